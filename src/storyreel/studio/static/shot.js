// The shot page: a contact sheet culled from the keyboard. Each decision updates its card at once (optimistic)
// and is saved with a single request; a failed save puts the card back and shows the server's message.
"use strict";

(function () {
  const S = window.Studio;
  const sheet = document.getElementById("sheet");
  if (!S || !sheet) return;
  const code = sheet.dataset.shot;
  const cards = Array.from(sheet.querySelectorAll(".take"));
  let focus = Math.max(0, cards.findIndex((c) => c.classList.contains("is-selected")));

  const enc = encodeURIComponent;
  const takeUrl = (card, action) => "/api/takes/" + enc(card.dataset.label) + (action ? "/" + action : "");

  function setFocus(i, scroll) {
    if (!cards.length) return;
    i = Math.max(0, Math.min(cards.length - 1, i));
    if (cards[focus]) cards[focus].classList.remove("focus");
    focus = i;
    const card = cards[focus];
    card.classList.add("focus");
    if (scroll !== false) card.scrollIntoView({ block: "nearest", inline: "nearest" });
    if (drawerOpen()) showProvenance(card);
  }

  // Video elements are made on first use only, so a 64-take sheet paints as 64 images.
  function videoOf(card, create) {
    let v = card.querySelector("video");
    if (!v && create && card.dataset.proxy) {
      v = document.createElement("video");
      v.src = card.dataset.proxy;
      v.muted = true;
      v.playsInline = true;
      v.preload = "auto";
      v.loop = true;
      card.querySelector(".thumb").appendChild(v);
      const bar = card.querySelector(".scrub");
      v.addEventListener("timeupdate", () => {
        if (bar && v.duration) bar.style.width = (100 * v.currentTime / v.duration) + "%";
      });
    }
    return v;
  }

  function togglePlay(card) {
    const v = videoOf(card, true);
    if (!v) return;
    if (v.paused) {
      cards.forEach((c) => { const o = c.querySelector("video"); if (o && o !== v) o.pause(); });
      v.play().catch(() => {});
    } else {
      v.pause();
    }
  }

  // Hover-scrub: the mouse's x across the thumbnail is the position in the take.
  sheet.addEventListener("mousemove", (ev) => {
    const thumb = ev.target.closest(".thumb");
    if (!thumb) return;
    const card = thumb.closest(".take");
    const v = videoOf(card, true);
    if (!v || !v.paused) return;
    const r = thumb.getBoundingClientRect();
    const frac = Math.max(0, Math.min(1, (ev.clientX - r.left) / r.width));
    const apply = () => { if (v.duration) v.currentTime = frac * v.duration; };
    if (v.readyState >= 1) apply(); else v.addEventListener("loadedmetadata", apply, { once: true });
  });

  function renderStars(card, stars) {
    const el = card.querySelector(".stars");
    if (!el) return;
    card.dataset.rating = stars || "";
    el.querySelectorAll("span").forEach((s, i) => s.classList.toggle("off", !(stars && i < stars)));
  }

  function setStatus(card, status) {
    card.classList.toggle("is-rejected", status === "rejected");
    card.dataset.status = status;
    const badge = card.querySelector(".badge.status");
    if (badge) {
      badge.className = "badge status " + status;
      badge.textContent = status === "rejected" ? S.msg("rejected") : status === "selected" ? S.msg("picked") : "";
      badge.hidden = status === "good";
    }
  }

  // Snapshot → change → save; on failure restore the snapshot. One request per decision.
  async function cull(card, apply, url, body) {
    const before = cards.map((c) => ({ cls: c.className, status: c.dataset.status, rating: c.dataset.rating }));
    apply();
    try {
      return await S.post(url, body);
    } catch (e) {
      cards.forEach((c, i) => {
        c.className = before[i].cls;
        setStatus(c, before[i].status);
        renderStars(c, Number(before[i].rating) || 0);
      });
      return null;
    }
  }

  function rate(card, stars) {
    return cull(card, () => renderStars(card, stars), takeUrl(card, "rating"), { stars });
  }

  function pick(card) {
    return cull(card, () => {
      cards.forEach((c) => { if (c.classList.contains("is-selected")) { c.classList.remove("is-selected"); setStatus(c, "good"); } });
      card.classList.add("is-selected");
      setStatus(card, "selected");
    }, takeUrl(card, "select"));
  }

  function reject(card) {
    return cull(card, () => {
      card.classList.remove("is-selected");
      setStatus(card, "rejected");
    }, takeUrl(card, "reject"));
  }

  function toggleMark(card) {
    const marked = sheet.querySelectorAll(".take.marked").length;
    if (!card.classList.contains("marked") && marked >= 4) {
      S.toast(S.msg("compare_need"));
      return;
    }
    card.classList.toggle("marked");
  }

  document.addEventListener("keydown", (ev) => {
    if (S.typing(ev) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    // Enter and Space on a focused keyframe button press that button; they are not the sheet's shortcuts.
    if ((ev.key === "Enter" || ev.key === " ") && ev.target.closest && ev.target.closest("#keyframes")) return;
    if (compare.classList.contains("open")) {
      if (ev.key === "Escape") closeCompare();
      else if (ev.key === " ") { ev.preventDefault(); compareToggle(); }
      return;
    }
    const card = cards[focus];
    if (!card) return;
    const k = ev.key;
    if (k === "ArrowRight" || k === "ArrowDown") { ev.preventDefault(); setFocus(focus + 1); }
    else if (k === "ArrowLeft" || k === "ArrowUp") { ev.preventDefault(); setFocus(focus - 1); }
    else if (k === " ") { ev.preventDefault(); togglePlay(card); }
    else if (k >= "1" && k <= "5") { rate(card, Number(k)); }
    else if (k === "p" || k === "P") { pick(card); }
    else if (k === "x" || k === "X") { reject(card); }
    else if (k === "c") { toggleMark(card); }
    else if (k === "C") { openCompare(); } // Shift+C: compare what is marked
    else if (k === "i" || k === "I" || k === "Enter") { showProvenance(card); }
    else if (k === "Escape") { closeDrawer(); }
  });

  sheet.addEventListener("click", (ev) => {
    const card = ev.target.closest(".take");
    if (!card) return;
    const i = cards.indexOf(card);
    const btn = ev.target.closest("[data-act]");
    const star = ev.target.closest(".stars span");
    setFocus(i, false);
    if (star) { rate(card, Number(star.dataset.n)); return; }
    if (!btn) return;
    ev.preventDefault();
    const act = btn.dataset.act;
    if (act === "play") togglePlay(card);
    else if (act === "pick") pick(card);
    else if (act === "reject") reject(card);
    else if (act === "mark") toggleMark(card);
    else if (act === "info") showProvenance(card);
  });

  // ---- provenance drawer -------------------------------------------------------------------------------------
  const drawer = document.getElementById("drawer");
  const drawerOpen = () => drawer && drawer.classList.contains("open");
  function closeDrawer() { if (drawer) drawer.classList.remove("open"); }

  const FIELDS = ["label", "provider", "model", "prompt", "seed", "origin", "parent_take", "source_take", "inputs",
    "keyframe", "first_frame", "last_frame", "cost", "frames", "fps", "draft", "status", "rating", "tags", "created_at"];

  function show(v) {
    if (v == null || v === "") return "—";
    if (typeof v === "object") return JSON.stringify(v, null, 1);
    return String(v);
  }

  async function showProvenance(card) {
    if (!drawer) return;
    drawer.classList.add("open");
    drawer.dataset.label = card.dataset.label;
    drawer.querySelector(".title").textContent = card.dataset.label;
    const dl = drawer.querySelector("dl");
    const note = drawer.querySelector("textarea");
    note.value = card.dataset.note || "";
    const tags = drawer.querySelector("input[name=tags]");
    if (tags) tags.value = card.dataset.tags || "";
    let data;
    try { data = await S.get(takeUrl(card)); } catch (e) { return; }
    if (drawer.dataset.label !== card.dataset.label) return; // focus moved on while we waited
    const take = data && data.take ? data.take : data;
    const keys = FIELDS.filter((k) => k in take).concat(Object.keys(take).filter((k) => !FIELDS.includes(k) && k !== "note"));
    dl.innerHTML = keys.map((k) => {
      const label = drawer.dataset["l_" + k] || k;
      return "<dt>" + S.escapeHtml(label) + "</dt><dd>" + S.escapeHtml(show(take[k])) + "</dd>";
    }).join("");
    if (typeof take.note === "string") { note.value = take.note; card.dataset.note = take.note; }
    if (Array.isArray(take.tags) && tags) { tags.value = take.tags.join(", "); card.dataset.tags = tags.value; }
  }

  if (drawer) {
    // Labels for the provenance keys come from the template (data-l_provider="生成引擎" …).
    drawer.querySelector(".close").addEventListener("click", closeDrawer);
    drawer.querySelector("form.note").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const label = drawer.dataset.label;
      const text = drawer.querySelector("textarea").value;
      const card = cards.find((c) => c.dataset.label === label);
      if (await S.post("/api/takes/" + enc(label) + "/note", { text }).then(() => true, () => false)) {
        if (card) card.dataset.note = text;
        S.toast(S.msg("saved", "Saved"));
      }
    });
    const tagForm = drawer.querySelector("form.tags");
    if (tagForm) tagForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const label = drawer.dataset.label;
      const card = cards.find((c) => c.dataset.label === label);
      const split = (s) => s.split(/[,，]/).map((x) => x.trim()).filter(Boolean);
      const now = split(tagForm.querySelector("input[name=tags]").value);
      const was = split((card && card.dataset.tags) || "");
      const add = now.filter((x) => !was.includes(x));
      const remove = was.filter((x) => !now.includes(x));
      if (await S.post("/api/takes/" + enc(label) + "/tags", { add, remove }).then(() => true, () => false)) {
        if (card) card.dataset.tags = now.join(", ");
        S.toast(S.msg("saved", "Saved"));
      }
    });
  }

  // ---- compare: 2–4 marked takes side by side, one master clock --------------------------------------------
  const compare = document.getElementById("compare");
  const panes = compare.querySelector(".panes");
  const range = compare.querySelector("input[type=range]");
  let vids = [];
  let raf = 0;

  function openCompare() {
    const marked = cards.filter((c) => c.classList.contains("marked"));
    if (marked.length < 2) { S.toast(S.msg("compare_need")); return; }
    panes.innerHTML = "";
    vids = marked.map((c) => {
      const pane = document.createElement("div");
      pane.className = "pane";
      const v = document.createElement("video");
      v.src = c.dataset.proxy;
      v.muted = true;
      v.playsInline = true;
      v.preload = "auto";
      v.dataset.label = c.dataset.label;
      const cap = document.createElement("div");
      cap.className = "muted";
      cap.textContent = c.dataset.label;
      pane.append(v, cap);
      panes.appendChild(pane);
      return v;
    });
    compare.classList.add("open");
    const master = vids[0];
    const mine = vids;
    master.addEventListener("timeupdate", () => {
      if (master.duration) range.value = String(1000 * master.currentTime / master.duration);
    });
    master.addEventListener("ended", () => { mine.forEach((v) => v.pause()); });
  }

  // The first video is the clock. The others are nudged back whenever they drift more than a frame or two,
  // which keeps them together without fighting the decoder on every frame.
  function follow() {
    const m = vids[0];
    if (!m) return;
    for (let i = 1; i < vids.length; i++) {
      const v = vids[i];
      const target = Math.min(m.currentTime, (v.duration || Infinity) - 0.01);
      if (Math.abs(v.currentTime - target) > 0.08) v.currentTime = target;
      if (m.paused !== v.paused) { if (m.paused) v.pause(); else v.play().catch(() => {}); }
    }
    raf = m.paused ? 0 : requestAnimationFrame(follow);
  }

  function compareToggle() {
    const m = vids[0];
    if (!m) return;
    if (m.paused) {
      m.play().then(() => { if (!raf) raf = requestAnimationFrame(follow); }).catch(() => {});
    } else {
      m.pause();
      follow();
    }
  }

  function closeCompare() {
    vids.forEach((v) => { v.pause(); v.removeAttribute("src"); v.load(); });
    vids = [];
    panes.innerHTML = "";
    compare.classList.remove("open");
  }

  range.addEventListener("input", () => {
    const m = vids[0];
    if (m && m.duration) { m.currentTime = (Number(range.value) / 1000) * m.duration; follow(); }
  });
  compare.querySelector("[data-act=compare-play]").addEventListener("click", compareToggle);
  compare.querySelector("[data-act=compare-close]").addEventListener("click", closeCompare);
  const cmpBtn = document.querySelector("[data-act=compare]");
  if (cmpBtn) cmpBtn.addEventListener("click", openCompare);

  // ---- shot actions ------------------------------------------------------------------------------------------
  const shotUrl = (action) => "/api/shots/" + enc(code) + "/" + action;
  const rerollForm = document.getElementById("reroll");
  if (rerollForm) rerollForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { takes: Number(rerollForm.takes.value) || 1 };
    if (rerollForm.provider && rerollForm.provider.value) body.provider = rerollForm.provider.value;
    if (rerollForm.model && rerollForm.model.value) body.model = rerollForm.model.value;
    const submitter = ev.submitter;
    if (submitter && submitter.dataset.withPrompt) {
      const p = document.getElementById("prompt-edit");
      if (p) body.prompt = p.value;
    }
    try { await S.post(shotUrl("reroll"), body); S.toast(S.msg("reroll_started")); } catch (e) { /* toast shown */ }
  });

  const lockBtn = document.querySelector("[data-act=lock]");
  if (lockBtn) lockBtn.addEventListener("click", async () => {
    const locked = lockBtn.dataset.locked !== "true";
    try {
      await S.post(shotUrl("lock"), { locked });
      lockBtn.dataset.locked = String(locked);
      lockBtn.textContent = locked ? lockBtn.dataset.unlockText : lockBtn.dataset.lockText;
      document.body.classList.toggle("shot-locked", locked);
    } catch (e) { /* toast shown */ }
  });

  const upBtn = document.querySelector("[data-act=upgrade]");
  if (upBtn) upBtn.addEventListener("click", async () => {
    const card = cards[focus];
    if (!card) return;
    try { await S.post(takeUrl(card, "upgrade")); S.toast(S.msg("reroll_started")); } catch (e) { /* shown */ }
  });

  // The frame under the play head of the focused take (scrubbed or paused), as a whole frame number.
  const grabBtn = document.querySelector("[data-act=grab]");
  if (grabBtn) grabBtn.addEventListener("click", async () => {
    const card = cards[focus];
    if (!card) return;
    const v = card.querySelector("video");
    const fps = Number(card.dataset.fps) || 24;
    const at = v ? Math.round(v.currentTime * fps) + "f" : "last";
    const body = { at };
    if (sheet.dataset.nextShot) body.to_shot = sheet.dataset.nextShot;
    try {
      const r = await S.post(takeUrl(card, "grab"), body);
      S.toast(S.msg("grabbed") + (r && r.exact === false ? " · " + S.msg("grabbed_copy") : ""));
    } catch (e) { /* shown */ }
  });

  S.on("take:new", (p) => {
    if (p && (p.shot === code || (p.take && String(p.take).startsWith(code + "-")))) {
      S.toast(S.msg("new_take") + " " + (p.label || p.take || ""));
    }
  });

  // ---- keyframes: list, approve, upload (an image is a keyframe, a video a new take) -------------------------
  const kfBox = document.getElementById("keyframes");
  const kfStrip = kfBox ? kfBox.querySelector(".kf-strip") : null;
  const kfMsg = document.getElementById("kf-msg");
  const kfInput = document.getElementById("kf-file");
  const VIDEO = /\.(mp4|mov|m4v|mkv|webm|avi)$/i;

  function say(text, isError) {
    if (!kfMsg) return;
    kfMsg.textContent = text || "";
    kfMsg.hidden = !text;
    kfMsg.classList.toggle("error", !!isError);
    kfMsg.setAttribute("role", isError ? "alert" : "status");
  }

  function keyframeHtml(k) {
    const d = kfStrip.dataset;
    const origin = kfBox.dataset["l_origin_" + k.origin] || k.origin;
    return '<figure class="kf' + (k.approved ? " is-approved" : "") + '" data-number="' + k.number +
      '" data-label="' + S.escapeHtml(k.label) + '"><img src="' + S.escapeHtml(k.url) + '" alt="' + S.escapeHtml(k.label) +
      '" loading="lazy" decoding="async" width="160" height="90"><figcaption><span class="code">' + S.escapeHtml(k.label) +
      '</span><span class="badge origin">' + S.escapeHtml(origin) + '</span><span class="badge approved"' +
      (k.approved ? "" : " hidden") + ">" + S.escapeHtml(d.approved) + '</span><button type="button" data-act="approve"' +
      (k.approved ? " hidden" : "") + ">" + S.escapeHtml(d.approve) + "</button>" +
      (k.source ? '<span class="muted src" title="' + S.escapeHtml(k.source) + '">' + S.escapeHtml(d.source + " " + k.source) + "</span>" : "") +
      "</figcaption></figure>";
  }

  function showKeyframes(list) {
    if (!kfStrip) return;
    kfStrip.innerHTML = list.length ? list.map(keyframeHtml).join("")
      : '<span class="muted empty">' + S.escapeHtml(kfStrip.dataset.empty) + "</span>";
  }

  async function refreshKeyframes() {
    try { showKeyframes(await S.get("/api/shots/" + enc(code) + "/keyframes", { quiet: true })); } catch (e) { /* keep */ }
  }

  // A take uploaded from this page joins the sheet at once; its thumbnail and proxy are made in the background
  // and show on the next visit.
  function addTakeCard(take) {
    const card = document.createElement("article");
    card.className = "card take";
    card.tabIndex = -1;
    Object.assign(card.dataset, { label: take.label, status: take.status, rating: "", fps: String(take.fps),
      note: "", tags: "" });
    const stars = [1, 2, 3, 4, 5].map((n) => '<span data-n="' + n + '" class="off">★</span>').join("");
    const act = (a, key, text) => '<button type="button" data-act="' + a + '" title="' + key + '">' + S.escapeHtml(text) + "</button>";
    card.innerHTML = '<div class="thumb"><div class="scrub"></div></div><div class="meta"><span class="code">' +
      S.escapeHtml(take.label) + '</span><span class="stars">' + stars + '</span><span class="badge status good" hidden></span>' +
      '<span class="badge origin">' + S.escapeHtml(kfBox.dataset.l_origin_uploaded || take.origin) + "</span></div>" +
      '<div class="meta muted"><span>' + S.escapeHtml(take.provider) + "</span><span>" + take.seconds.toFixed(1) + "s</span></div>" +
      '<div class="row">' + act("play", "Space", "▶") + act("pick", "P", S.msg("pick")) + act("reject", "X", S.msg("reject")) +
      act("mark", "C", S.msg("compare")) + act("info", "I", "ⓘ") + "</div>";
    const empty = sheet.querySelector(":scope > p.muted");
    if (empty) empty.remove();
    sheet.appendChild(card);
    cards.push(card);
  }

  async function uploadFile(file) {
    const video = (file.type || "").startsWith("video/") || VIDEO.test(file.name);
    say(S.msg("uploading") + " " + file.name);
    try {
      const res = await S.upload("/api/shots/" + enc(code) + (video ? "/takes" : "/keyframes"), file, { quiet: true });
      if (video) {
        addTakeCard(res);
        say(S.msg("take_uploaded") + " · " + res.label);
      } else {
        say(S.msg("kf_uploaded") + " · " + res.label);
        await refreshKeyframes();
      }
      S.toast(video ? S.msg("take_uploaded") : S.msg("kf_uploaded"));
    } catch (e) {
      // The server's refusal (size, pixels, format) stays on the page, not only in a passing toast.
      say(file.name + ": " + (e && e.status ? e.message : S.msg("network")), true);
    }
  }

  async function uploadAll(files) {
    for (const f of Array.from(files || [])) await uploadFile(f);
  }

  if (kfBox) {
    kfStrip.addEventListener("click", async (ev) => {
      const btn = ev.target.closest("[data-act=approve]");
      if (!btn) return;
      const fig = btn.closest(".kf");
      btn.disabled = true;
      try {
        await S.post("/api/shots/" + enc(code) + "/keyframes/" + enc(fig.dataset.number) + "/approve");
        S.toast(S.msg("kf_approved") + " · " + fig.dataset.label);
        await refreshKeyframes();
      } catch (e) { btn.disabled = false; /* toast shown */ }
    });
    if (kfInput) kfInput.addEventListener("change", async () => {
      await uploadAll(kfInput.files);
      kfInput.value = "";
    });
    // Files dragged from the desktop; a take card dragged inside the page is not a file and is left alone.
    const hasFiles = (ev) => ev.dataTransfer && Array.from(ev.dataTransfer.types || []).includes("Files");
    kfBox.addEventListener("dragover", (ev) => {
      if (!hasFiles(ev)) return;
      ev.preventDefault();
      ev.dataTransfer.dropEffect = "copy";
      kfBox.classList.add("over");
    });
    kfBox.addEventListener("dragleave", (ev) => { if (!kfBox.contains(ev.relatedTarget)) kfBox.classList.remove("over"); });
    kfBox.addEventListener("drop", (ev) => {
      if (!hasFiles(ev)) return;
      ev.preventDefault();
      kfBox.classList.remove("over");
      uploadAll(ev.dataTransfer.files);
    });
    S.on("keyframe:new", (p) => { if (p && p.shot === code) refreshKeyframes(); });
  }

  setFocus(focus, false);
  window.StudioShot = { cards, setFocus, openCompare, get videos() { return vids; }, uploadFile, refreshKeyframes };
})();
