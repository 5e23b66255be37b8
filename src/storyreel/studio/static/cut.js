// The cut: a strip of clips as wide as they last, reordered by drag and drop, trimmed by edge handles or numbers,
// given effects in a panel (cut_fx.js), played in the page (each clip's proxy in turn, subtitles drawn over it in
// record time) and rendered on demand for a delivery profile.
"use strict";

(function () {
  const S = window.Studio;
  const strip = document.getElementById("strip");
  const table = document.getElementById("clips");
  const dataEl = document.getElementById("cut-data");
  if (!S || !strip || !dataEl) return;
  const PX_PER_SECOND = 48;
  let cut = normalise(JSON.parse(dataEl.textContent));
  const renderHooks = []; // run after every re-render of the strip (the effects panel follows its clip)

  // GET /api/cut and the page's own JSON may differ in shape; the strip only needs these fields.
  function normalise(data) {
    const list = Array.isArray(data) ? data : (data.clips || data.timeline || []);
    const fpsAll = (data && data.fps) || 24;
    const clips = list.map((c, i) => {
      const take = c.take && typeof c.take === "object" ? c.take : {};
      const fps = c.fps || take.fps || fpsAll;
      const frames = c.take_frames || take.frames || c.frames || c.source_out || 0;
      const srcIn = c.source_in || 0;
      const srcOut = c.source_out == null ? frames : c.source_out;
      const fx = c.effects || {};
      return {
        id: c.id == null ? null : c.id,
        position: c.position == null ? i : c.position,
        label: typeof c.take === "string" ? c.take : take.label || c.take_label || c.label,
        fps, frames, source_in: srcIn, source_out: srcOut,
        speed: fx.speed || 1,
        effects: fx,
        record_start: c.record_start,
        record_frames: c.record_frames || srcOut - srcIn,
      };
    }).sort((a, b) => a.position - b.position);
    let rec = 0;
    for (const c of clips) { if (c.record_start == null) c.record_start = rec; rec = c.record_start + c.record_frames; }
    const edited = data.edited != null ? data.edited : data.is_edited != null ? data.is_edited : clips.some((c) => c.id != null);
    const problem = data.problem ? (S.zh && data.problem.message_zh) || data.problem.message : "";
    return { clips, edited, fps: fpsAll, problem };
  }

  function render() {
    strip.innerHTML = "";
    if (!cut.clips.length) {
      const p = document.createElement("span");
      p.className = "empty";
      p.textContent = strip.dataset.empty || "";
      strip.appendChild(p);
    }
    cut.clips.forEach((c, i) => {
      const el = document.createElement("div");
      el.className = "clip";
      el.draggable = true;
      el.dataset.index = String(i);
      el.dataset.take = c.label;
      if (c.id != null) el.dataset.id = String(c.id);
      el.style.width = Math.max(56, (c.record_frames / c.fps) * PX_PER_SECOND) + "px";
      el.title = c.label + " · " + S.seconds(c.record_frames, c.fps) + "s";
      el.innerHTML = '<img alt="" loading="lazy" src="/thumbs/' + encodeURIComponent(c.label) + '.jpg">' +
        '<span class="label">' + S.escapeHtml(c.label) + " · " + S.seconds(c.record_frames, c.fps) + "s</span>" +
        '<span class="fx-badges">' + badges(c.effects).map((b) => '<span class="badge fx">' + S.escapeHtml(b) +
          "</span>").join("") + "</span>" +
        '<span class="handle in" data-edge="in"></span><span class="handle out" data-edge="out"></span>';
      strip.appendChild(el);
    });
    if (table) {
      const tb = table.querySelector("tbody");
      tb.innerHTML = cut.clips.map((c, i) =>
        "<tr data-index=\"" + i + "\"><td>" + (i + 1) + "</td><td><a href=\"/shot/" +
        encodeURIComponent(c.label.split("-t")[0]) + "\">" + S.escapeHtml(c.label) + "</a></td>" +
        "<td><input type=\"number\" name=\"source_in\" min=\"0\" max=\"" + (c.frames - 1) + "\" value=\"" + c.source_in + "\"></td>" +
        "<td><input type=\"number\" name=\"source_out\" min=\"1\" max=\"" + c.frames + "\" value=\"" + c.source_out + "\"></td>" +
        "<td>" + S.seconds(c.record_frames, c.fps) + "</td>" +
        "<td><button type=\"button\" data-act=\"remove\">" + S.escapeHtml(table.dataset.remove || "×") + "</button></td></tr>"
      ).join("");
    }
    const total = cut.clips.reduce((n, c) => n + c.record_frames / c.fps, 0);
    const tot = document.getElementById("cut-total");
    if (tot) tot.textContent = total.toFixed(1);
    const state = document.getElementById("cut-state");
    if (state) state.textContent = (cut.edited ? state.dataset.edited : state.dataset.derived) + (cut.problem ? " · " + cut.problem : "");
    renderHooks.forEach((fn) => fn());
  }

  // What a clip card says about its effects, in the page's language ("handheld", "1.5×", "dissolve"…).
  function badges(fx) {
    const out = [];
    if (!fx) return out;
    if (fx.handheld) out.push(S.msg("badge_handheld"));
    if (fx.speed != null && fx.speed !== 1) out.push(fx.speed + "×");
    if (fx.ken_burns) out.push(S.msg("badge_ken_burns"));
    if (fx.freeze_at != null) out.push(S.msg("badge_freeze"));
    if (fx.hold_frames) out.push(S.msg("badge_hold"));
    if (fx.transition_in === "dissolve") out.push(S.msg("badge_dissolve"));
    if (fx.transition_in === "fade") out.push(S.msg("badge_fade"));
    if (fx.fade_out_frames) out.push(S.msg("badge_fade_out"));
    return out;
  }

  async function reload() {
    try { cut = normalise(await S.get("/api/cut")); } catch (e) { return; }
    render();
  }

  // Edits answer with the whole cut; use it, or ask again when the answer is something else (or an error).
  async function apply(pending) {
    let data = null;
    try { data = await pending; } catch (e) { /* the toast is shown; the reload puts the strip back */ }
    if (data && Array.isArray(data.clips)) { cut = normalise(data); render(); } else { await reload(); }
  }

  // A derived cut has no clip ids yet; the first edit asks the server to write it down as rows (materialise).
  async function ensureIds() {
    if (cut.clips.every((c) => c.id != null)) return true;
    try {
      const data = await S.post("/api/cut/materialise");
      cut = normalise(data && data.clips ? data : await S.get("/api/cut"));
      render();
    } catch (e) {
      await reload();
    }
    return cut.clips.every((c) => c.id != null);
  }

  // ---- reorder: drag a clip, drop it before another (or at the end) -------------------------------------------
  let dragIndex = null;
  strip.addEventListener("dragstart", (ev) => {
    const el = ev.target.closest(".clip");
    if (!el) return;
    dragIndex = Number(el.dataset.index);
    el.classList.add("dragging");
    ev.dataTransfer.effectAllowed = "move";
    ev.dataTransfer.setData("text/x-storyreel-clip", el.dataset.index);
  });
  strip.addEventListener("dragend", () => {
    dragIndex = null;
    strip.querySelectorAll(".clip").forEach((c) => c.classList.remove("dragging", "drop-before"));
  });
  function targetIndex(ev) {
    const els = Array.from(strip.querySelectorAll(".clip"));
    for (let i = 0; i < els.length; i++) {
      const r = els[i].getBoundingClientRect();
      if (ev.clientX < r.left + r.width / 2) return i;
    }
    return els.length;
  }
  strip.addEventListener("dragover", (ev) => {
    ev.preventDefault();
    const els = strip.querySelectorAll(".clip");
    const t = targetIndex(ev);
    els.forEach((c, i) => c.classList.toggle("drop-before", i === t));
  });
  strip.addEventListener("drop", async (ev) => {
    ev.preventDefault();
    const from = dragIndex;
    const to = targetIndex(ev);
    strip.querySelectorAll(".clip").forEach((c) => c.classList.remove("drop-before"));
    if (from == null) {
      // A take dragged in from another window or the bin strip of this page.
      const label = ev.dataTransfer.getData("text/x-storyreel-take");
      if (label) { await S.post("/api/cut/clips", { take: label, position: to }).catch(() => null); await reload(); }
      return;
    }
    // Dropping before itself or right after itself changes nothing.
    const position = to > from ? to - 1 : to;
    if (position === from) return;
    await moveClip(from, position);
  });

  async function moveClip(from, position) {
    if (!(await ensureIds())) return;
    const clip = cut.clips[from];
    const moved = cut.clips.splice(from, 1)[0];
    cut.clips.splice(position, 0, moved);
    render(); // optimistic: the strip shows the new order while the server writes it
    await apply(S.patch("/api/cut/clips/" + clip.id, { position }));
  }

  // ---- trim: edge handles (pointer) and the numeric fields ---------------------------------------------------
  async function trim(index, srcIn, srcOut) {
    if (!(await ensureIds())) return;
    const c = cut.clips[index];
    srcIn = Math.max(0, Math.min(c.frames - 1, Math.round(srcIn)));
    srcOut = Math.max(srcIn + 1, Math.min(c.frames, Math.round(srcOut)));
    await apply(S.patch("/api/cut/clips/" + c.id, { source_in: srcIn, source_out: srcOut }));
  }

  strip.addEventListener("pointerdown", (ev) => {
    const handle = ev.target.closest(".handle");
    if (!handle) return;
    ev.preventDefault();
    ev.stopPropagation();
    const el = handle.closest(".clip");
    el.draggable = false; // the handle trims; it must not start a reorder drag
    const index = Number(el.dataset.index);
    const c = cut.clips[index];
    const x0 = ev.clientX;
    const w0 = el.getBoundingClientRect().width;
    const framesPerPx = c.fps / PX_PER_SECOND;
    handle.setPointerCapture(ev.pointerId);
    let dx = 0;
    const moveFn = (e) => {
      dx = e.clientX - x0;
      el.style.width = Math.max(24, handle.dataset.edge === "out" ? w0 + dx : w0 - dx) + "px";
    };
    const upFn = () => {
      handle.removeEventListener("pointermove", moveFn);
      el.draggable = true;
      const df = dx * framesPerPx;
      if (Math.abs(df) < 1) { render(); return; }
      if (handle.dataset.edge === "in") trim(index, c.source_in + df, c.source_out);
      else trim(index, c.source_in, c.source_out + df);
    };
    handle.addEventListener("pointermove", moveFn);
    handle.addEventListener("pointerup", upFn, { once: true });
  });

  if (table) {
    table.addEventListener("change", (ev) => {
      const tr = ev.target.closest("tr[data-index]");
      if (!tr) return;
      const i = Number(tr.dataset.index);
      trim(i, Number(tr.querySelector("[name=source_in]").value), Number(tr.querySelector("[name=source_out]").value));
    });
    table.addEventListener("click", async (ev) => {
      const btn = ev.target.closest("[data-act=remove]");
      if (!btn) return;
      const i = Number(btn.closest("tr").dataset.index);
      if (!(await ensureIds())) return;
      await apply(S.del("/api/cut/clips/" + cut.clips[i].id));
    });
  }

  const resetBtn = document.querySelector("[data-act=reset]");
  if (resetBtn) resetBtn.addEventListener("click", async () => {
    if (!confirm(S.msg("confirm_reset"))) return;
    await apply(S.post("/api/cut/reset"));
  });

  // ---- play the whole cut ------------------------------------------------------------------------------------
  const video = document.getElementById("player");
  const subtitle = document.getElementById("subtitle");
  const playBtn = document.querySelector("[data-act=play-cut]");
  let cues = null;
  let current = -1;
  let playing = false;
  let raf = 0;

  function parseVtt(text) {
    const out = [];
    const toS = (ts) => {
      const p = ts.trim().split(":").map(Number);
      return p.length === 3 ? p[0] * 3600 + p[1] * 60 + p[2] : p[0] * 60 + p[1];
    };
    for (const block of text.replace(/\r/g, "").split(/\n\n+/)) {
      const lines = block.split("\n");
      const at = lines.findIndex((l) => l.includes("-->"));
      if (at < 0) continue;
      const [a, b] = lines[at].split("-->");
      // Cue text is escaped VTT that may carry voice tags; the overlay shows it as plain text.
      const text = lines.slice(at + 1).join("\n").replace(/<[^>]*>/g, "")
        .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&nbsp;/g, " ").replace(/&amp;/g, "&");
      out.push({ start: toS(a), end: toS(b.trim().split(/\s+/)[0]), text });
    }
    return out;
  }

  async function loadCues() {
    if (cues) return;
    try {
      const res = await fetch("/api/cut/subtitles.vtt", { credentials: "same-origin" });
      cues = res.ok ? parseVtt(await res.text()) : [];
    } catch (e) { cues = []; }
  }

  function recordTime() {
    const c = cut.clips[current];
    if (!c) return 0;
    return (c.record_start + (video.currentTime * c.fps - c.source_in) / c.speed) / c.fps;
  }

  function startClip(i) {
    current = i;
    strip.querySelectorAll(".clip").forEach((el, k) => el.classList.toggle("playing", k === i));
    const c = cut.clips[i];
    if (!c) { stop(); return; }
    const url = "/proxy/" + encodeURIComponent(c.label) + ".mp4";
    const go = () => {
      video.currentTime = c.source_in / c.fps;
      video.playbackRate = c.speed;
      video.play().catch(() => {});
    };
    if (video.dataset.src !== url) {
      video.dataset.src = url;
      video.src = url;
      video.addEventListener("loadedmetadata", go, { once: true });
    } else {
      go();
    }
  }

  // Clip boundaries are checked every animation frame: timeupdate comes only ~4 times a second.
  function tick() {
    if (!playing) return;
    const c = cut.clips[current];
    if (c && !video.seeking && video.readyState >= 2 &&
        (video.currentTime >= c.source_out / c.fps - 0.5 / c.fps || video.ended)) {
      startClip(current + 1);
    }
    if (subtitle && cues) {
      const t = recordTime();
      const cue = cues.find((q) => t >= q.start && t < q.end);
      const text = cue ? cue.text : "";
      if (subtitle.textContent !== text) subtitle.textContent = text;
    }
    raf = requestAnimationFrame(tick);
  }

  function stop() {
    playing = false;
    cancelAnimationFrame(raf);
    video.pause();
    if (playBtn) playBtn.textContent = playBtn.dataset.play;
    strip.querySelectorAll(".clip").forEach((el) => el.classList.remove("playing"));
  }

  video.addEventListener("ended", () => { if (playing) startClip(current + 1); });
  if (playBtn) playBtn.addEventListener("click", async () => {
    if (playing) { stop(); return; }
    if (!cut.clips.length) return;
    await loadCues();
    playing = true;
    playBtn.textContent = playBtn.dataset.pause;
    startClip(current >= 0 && current < cut.clips.length ? current : 0);
    raf = requestAnimationFrame(tick);
  });

  // ---- render with progress ----------------------------------------------------------------------------------
  const renderBtn = document.querySelector("[data-act=render]");
  const bar = document.querySelector("#render-progress > div");
  const renderMsg = document.getElementById("render-msg");

  function showTask(task) {
    if (bar) bar.style.width = Math.round(100 * (task.progress || 0)) + "%";
    if (renderMsg) {
      renderMsg.dataset.state = task.state;
      if (task.state === "failed") {
        const e = task.error || {};
        renderMsg.textContent = (S.zh && e.message_zh) || e.message || task.message || "failed";
      } else if (task.state === "done") {
        const r = task.result || {};
        const first = Object.values(r).find((v) => typeof v === "string");
        renderMsg.textContent = S.msg("render_done") + (first ? " · " + first : "");
      } else {
        renderMsg.textContent = (renderBtn ? renderBtn.dataset.busy : "") + " " + Math.round(100 * (task.progress || 0)) + "% " + (task.message || "");
      }
    }
  }

  async function follow(id) {
    // Polling is the floor; SSE "task" events make it smoother when the stream is up.
    for (;;) {
      let task;
      try { task = await S.get("/api/tasks/" + encodeURIComponent(id), { quiet: true }); } catch (e) { task = null; }
      if (task) {
        showTask(task);
        if (task.state === "done" || task.state === "failed") return task;
      }
      await new Promise((r) => setTimeout(r, 400));
    }
  }

  if (renderBtn) renderBtn.addEventListener("click", async () => {
    renderBtn.disabled = true;
    try {
      const profile = document.getElementById("render-profile");
      const res = await S.post("/api/cut/render", profile && profile.value ? { profile: profile.value } : {});
      const task = res && typeof res.task === "object" ? res.task : res;
      const id = task && (task.id || res.task);
      if (task && task.state) showTask(task);
      const done = await follow(id);
      if (done.state === "done") S.toast(S.msg("render_done"));
    } catch (e) { /* shown */ }
    renderBtn.disabled = false;
  });
  S.on("task", (t) => { if (t && t.kind === "render" && renderBtn && renderBtn.disabled) showTask(t); });

  render();
  // What cut_fx.js (the effects panel) builds on.
  window.StudioCut = {
    get clips() { return cut.clips; },
    reload, moveClip, trim, ensureIds,
    setCut(data) { cut = normalise(data); render(); },
    onRender(fn) { renderHooks.push(fn); },
  };
})();
