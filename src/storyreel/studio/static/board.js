// The board: filters run in the page over data attributes (no round trip; 200 cards filter in a frame), and the
// choice is kept in the address, where the server applies it on a reload or a shared link.
"use strict";

(function () {
  const S = window.Studio;
  const form = document.getElementById("filters");
  const board = document.getElementById("board");
  if (!form || !board) return;
  const cards = Array.from(board.querySelectorAll(".card[data-shot]"));
  const scenes = Array.from(board.querySelectorAll(".scene"));

  function apply() {
    const scene = form.scene.value;
    const status = form.status.value;
    const character = form.character.value;
    for (const c of cards) {
      const chars = (c.dataset.characters || "").split("|");
      const statuses = (c.dataset.statuses || c.dataset.status || "").split(" ");
      const show = (!scene || c.dataset.scene === scene) && (!status || statuses.includes(status)) &&
        (!character || chars.includes(character));
      c.hidden = !show;
    }
    for (const s of scenes) s.hidden = !s.querySelector(".card[data-shot]:not([hidden])");
    const q = new URLSearchParams();
    if (scene) q.set("scene", scene);
    if (status) q.set("status", status);
    if (character) q.set("character", character);
    const url = location.pathname + (q.toString() ? "?" + q : "");
    history.replaceState(null, "", url);
  }

  // A board opened with filters in its address was filtered by the server and lacks the other cards; changing a
  // filter there asks the server again. An unfiltered board filters in place.
  const params = new URLSearchParams(location.search);
  const serverFiltered = ["scene", "status", "character"].some((n) => params.get(n));
  form.addEventListener("change", () => {
    if (serverFiltered) form.submit(); else apply();
  });
  form.addEventListener("submit", (ev) => {
    if (!serverFiltered) { ev.preventDefault(); apply(); }
  });

  // Live counts: a landed take bumps its shot's card without reloading the board.
  if (S) S.on("take:new", (p) => {
    const shot = p.shot || String(p.take || p.label || "").split("-t")[0];
    const card = board.querySelector('.card[data-shot="' + CSS.escape(shot) + '"]');
    if (!card) return;
    const n = card.querySelector(".n-takes");
    if (n) n.textContent = String((Number(n.textContent) || 0) + 1);
  });
})();
