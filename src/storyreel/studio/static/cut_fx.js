// The cut page's effects panel: click a clip (or ←/→ outside a field) to open its ClipEffects; saving sends the
// whole set with one PATCH /api/cut/clips/{id} (it replaces). A refusal (422) is shown beside the fields, which keep
// what was typed. Builds on window.StudioCut from cut.js.
"use strict";

(function () {
  const S = window.Studio;
  const C = window.StudioCut;
  const strip = document.getElementById("strip");
  const table = document.getElementById("clips");
  const panel = document.getElementById("fx");
  const form = document.getElementById("fx-form");
  if (!S || !C || !strip || !panel || !form) return;
  const fxError = panel.querySelector(".fx-error");
  // The selected clip: by id once the cut is edited, by position while it is derived (no ids yet).
  let selected = null; // { id, index }
  let dirty = false;

  // Framings in 0..1 of the picture (model.Crop). Pans keep a 0.8 window and slide it across the 0.2 margin.
  const FULL = { x: 0, y: 0, w: 1, h: 1 };
  const INNER = { x: 0.1, y: 0.1, w: 0.8, h: 0.8 };
  const KEN_BURNS = {
    push_in: { start: FULL, end: INNER },
    pull_out: { start: INNER, end: FULL },
    pan_left: { start: { x: 0.2, y: 0.1, w: 0.8, h: 0.8 }, end: { x: 0, y: 0.1, w: 0.8, h: 0.8 } },
    pan_right: { start: { x: 0, y: 0.1, w: 0.8, h: 0.8 }, end: { x: 0.2, y: 0.1, w: 0.8, h: 0.8 } },
  };
  const DEFAULTS = { handheld: 0, handheld_seed: 0, speed: 1, freeze_at: null, freeze_frames: 0, hold_frames: 0,
    transition_in: "cut", transition_frames: 0, fade_out_frames: 0 };
  const NUMBERS = ["handheld", "handheld_seed", "speed", "freeze_at", "freeze_frames", "hold_frames",
    "transition_frames", "fade_out_frames"];
  let customKenBurns = null; // a framing no preset matches (set from the CLI or the API) is kept as it is

  function sameCrop(a, b) {
    const get = (c, k) => (c && c[k] != null ? Number(c[k]) : FULL[k]);
    return ["x", "y", "w", "h"].every((k) => Math.abs(get(a, k) - get(b, k)) < 1e-6);
  }
  function kenBurnsPreset(kb) {
    if (!kb) return "off";
    const start = kb.start || FULL;
    const end = kb.end || INNER;
    return Object.keys(KEN_BURNS).find((k) => sameCrop(KEN_BURNS[k].start, start) && sameCrop(KEN_BURNS[k].end, end)) || "custom";
  }

  function selectedIndex() {
    if (!selected) return -1;
    if (selected.id != null) return C.clips.findIndex((c) => c.id === selected.id);
    return selected.index < C.clips.length ? selected.index : -1;
  }
  function isSelected(c, i) {
    return !!selected && (selected.id != null ? c.id === selected.id : selected.index === i);
  }

  function showError(text) {
    if (!fxError) return;
    fxError.textContent = text || "";
    fxError.hidden = !text;
  }

  function fillForm(fx) {
    const v = Object.assign({}, DEFAULTS, fx || {});
    for (const name of NUMBERS) form.elements[name].value = v[name] == null ? "" : String(v[name]);
    form.elements.handheld_range.value = String(v.handheld);
    form.elements.transition_in.value = v.transition_in;
    const preset = kenBurnsPreset(v.ken_burns);
    customKenBurns = preset === "custom" ? v.ken_burns : null;
    form.elements.ken_burns.querySelector("option[value=custom]").hidden = preset !== "custom";
    form.elements.ken_burns.value = preset;
    dirty = false;
    showError("");
  }

  // The form as ClipEffects. Empty number fields mean the default (freeze_at: no freeze); what is out of range is
  // sent as typed, so the server's message says what is wrong with it.
  function readForm() {
    const fx = {};
    for (const name of NUMBERS) {
      const el = form.elements[name];
      if (el.validity && el.validity.badInput) return { error: (el.closest("fieldset").querySelector("legend") || el).textContent.trim() + ": " + S.msg("fx_nan") };
      if (el.value.trim() === "") continue;
      fx[name] = Number(el.value);
    }
    fx.transition_in = form.elements.transition_in.value;
    const preset = form.elements.ken_burns.value;
    if (preset === "custom" && customKenBurns) fx.ken_burns = customKenBurns;
    else if (KEN_BURNS[preset]) fx.ken_burns = KEN_BURNS[preset];
    return { effects: fx };
  }

  function openPanel(index) {
    const c = C.clips[index];
    if (!c) return;
    if (dirty && !isSelected(c, index) && !confirm(S.msg("fx_discard"))) return;
    selected = { id: c.id, index };
    panel.hidden = false;
    panel.querySelector(".fx-clip").textContent = c.label + (c.id != null ? " · #" + c.id : "");
    fillForm(c.effects);
    strip.querySelectorAll(".clip").forEach((el, k) => el.classList.toggle("selected", k === index));
  }

  function closePanel() {
    if (dirty && !confirm(S.msg("fx_discard"))) return;
    selected = null;
    dirty = false;
    panel.hidden = true;
    strip.querySelectorAll(".clip.selected").forEach((el) => el.classList.remove("selected"));
  }

  // After the strip re-renders (a move, a trim, another save): follow the selected clip; the fields keep what the
  // director typed unless the clip is gone.
  function syncPanel() {
    if (!selected) return;
    const i = selectedIndex();
    if (i < 0) { dirty = false; closePanel(); return; }
    selected.index = i;
    const c = C.clips[i];
    panel.querySelector(".fx-clip").textContent = c.label + (c.id != null ? " · #" + c.id : "");
    strip.querySelectorAll(".clip").forEach((el, k) => el.classList.toggle("selected", k === i));
  }

  async function saveEffects() {
    const built = readForm();
    if (built.error) { showError(built.error); return; }
    let i = selectedIndex();
    if (i < 0) return;
    if (C.clips[i].id == null) {
      if (!(await C.ensureIds())) return;
      selected = { id: C.clips[i].id, index: i };
    }
    const c = C.clips[i];
    let data;
    try {
      data = await S.patch("/api/cut/clips/" + c.id, { effects: built.effects }, { quiet: true });
    } catch (e) {
      // The refusal is shown beside the fields, which keep what was typed.
      showError(e && e.status ? e.message : S.msg("network"));
      return;
    }
    dirty = false;
    C.setCut(data);
    i = selectedIndex();
    if (i >= 0) fillForm(C.clips[i].effects);
    S.toast(S.msg("fx_saved"));
  }

  form.addEventListener("input", (ev) => {
    dirty = true;
    if (ev.target.name === "handheld_range") form.elements.handheld.value = ev.target.value;
    if (ev.target.name === "handheld") form.elements.handheld_range.value = ev.target.value || "0";
  });
  form.addEventListener("change", () => { dirty = true; });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); saveEffects(); });
  panel.querySelector("[data-act=fx-clear]").addEventListener("click", () => {
    fillForm({});
    dirty = true;
  });
  panel.querySelector("[data-act=fx-close]").addEventListener("click", closePanel);
  strip.addEventListener("click", (ev) => {
    const el = ev.target.closest(".clip");
    if (!el || ev.target.closest(".handle")) return;
    openPanel(Number(el.dataset.index));
  });
  if (table) table.addEventListener("click", (ev) => {
    const tr = ev.target.closest("tr[data-index]");
    if (!tr || ev.target.closest("input, button, a")) return;
    openPanel(Number(tr.dataset.index));
  });
  // Keys typed into the panel's fields stay there: only keys pressed outside a field move the selection.
  document.addEventListener("keydown", (ev) => {
    if (S.typing(ev) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "Escape" && selected) { closePanel(); return; }
    if (ev.key !== "ArrowLeft" && ev.key !== "ArrowRight") return;
    if (!C.clips.length) return;
    ev.preventDefault();
    const i = selectedIndex();
    const next = i < 0 ? 0 : Math.max(0, Math.min(C.clips.length - 1, i + (ev.key === "ArrowRight" ? 1 : -1)));
    openPanel(next);
  });

  C.onRender(syncPanel);
  window.StudioCutFx = { open: openPanel, close: closePanel };
})();
