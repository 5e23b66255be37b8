// The bin (故事后置): every take not in the cut, filtered in the page, dragged onto the cut strip to place it.
"use strict";

(function () {
  const S = window.Studio;
  const grid = document.getElementById("bin");
  const form = document.getElementById("bin-filters");
  const strip = document.getElementById("strip");
  if (!S || !grid) return;
  const cards = Array.from(grid.querySelectorAll(".card[data-label]"));

  // The server searches (prompt, note, tags, dialogue, character names and their bible aliases); the page only
  // shows or hides the cards it already has, so typing never re-lays the grid out from scratch.
  let seq = 0;
  let timer = 0;
  async function apply() {
    const q = new URLSearchParams();
    for (const name of ["q", "character", "tag", "min_rating"]) {
      const v = form[name] ? String(form[name].value).trim() : "";
      if (v) q.set(name, v);
    }
    const mine = ++seq;
    let data;
    try { data = await S.get("/api/bin?" + q); } catch (e) { return; }
    if (mine !== seq) return; // a newer search went out while this one was on its way
    const list = Array.isArray(data) ? data : data.takes || data.items || [];
    const keep = new Set(list.map((x) => (typeof x === "string" ? x : x.label)));
    for (const c of cards) c.hidden = !keep.has(c.dataset.label);
    history.replaceState(null, "", location.pathname + (q.toString() ? "?" + q : ""));
  }
  if (form) {
    form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(apply, 150); });
    form.addEventListener("submit", (ev) => { ev.preventDefault(); apply(); });
    if (location.search) {
      const params = new URLSearchParams(location.search);
      for (const [k, v] of params) if (form[k]) form[k].value = v;
      apply();
    }
  }

  grid.addEventListener("dragstart", (ev) => {
    const card = ev.target.closest(".card[data-label]");
    if (!card) return;
    card.classList.add("dragging");
    ev.dataTransfer.effectAllowed = "copy";
    ev.dataTransfer.setData("text/x-storyreel-take", card.dataset.label);
    ev.dataTransfer.setData("text/plain", card.dataset.label);
  });
  grid.addEventListener("dragend", (ev) => {
    const card = ev.target.closest(".card");
    if (card) card.classList.remove("dragging");
  });

  if (!strip) return;
  // Where in the strip the take lands: before the clip under the pointer, else at the end.
  function dropPosition(ev) {
    const clips = Array.from(strip.querySelectorAll(".clip"));
    for (let i = 0; i < clips.length; i++) {
      const r = clips[i].getBoundingClientRect();
      if (ev.clientX < r.left + r.width / 2) return i;
    }
    return null;
  }
  strip.addEventListener("dragover", (ev) => {
    ev.preventDefault();
    ev.dataTransfer.dropEffect = "copy";
    strip.classList.add("over");
  });
  strip.addEventListener("dragleave", () => strip.classList.remove("over"));
  strip.addEventListener("drop", async (ev) => {
    ev.preventDefault();
    strip.classList.remove("over");
    const label = ev.dataTransfer.getData("text/x-storyreel-take") || ev.dataTransfer.getData("text/plain");
    if (!label) return;
    const position = dropPosition(ev);
    const body = { take: label };
    if (position !== null) body.position = position;
    try {
      await S.post("/api/cut/clips", body);
    } catch (e) {
      return;
    }
    const card = cards.find((c) => c.dataset.label === label);
    const clip = document.createElement("div");
    clip.className = "clip";
    clip.dataset.take = label;
    clip.style.width = (card ? Number(card.dataset.seconds) || 2 : 2) * 24 + "px";
    clip.innerHTML = '<img alt="" src="/thumbs/' + encodeURIComponent(label) + '.jpg"><span class="label">' +
      S.escapeHtml(label) + "</span>";
    const empty = strip.querySelector(".empty");
    if (empty) empty.remove();
    const clips = strip.querySelectorAll(".clip");
    if (position !== null && clips[position]) strip.insertBefore(clip, clips[position]);
    else strip.appendChild(clip);
    if (card) card.remove();
    S.toast(S.msg("added") + " · " + label);
  });
})();
