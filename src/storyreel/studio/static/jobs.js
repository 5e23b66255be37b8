// Jobs & ledger: the queue follows the film's event stream live; failed jobs get a retry button; the spend chart
// is inline SVG drawn here from the ledger JSON the page carries (no chart library).
"use strict";

(function () {
  const S = window.Studio;
  if (!S) return;
  const table = document.getElementById("jobs");
  const dot = document.querySelector(".live-dot");
  const SVG = "http://www.w3.org/2000/svg";
  const tr = (key, fallback) => (table && table.dataset["t_" + key]) || fallback;

  document.addEventListener("studio:live", (ev) => { if (dot) dot.classList.toggle("on", !!ev.detail); });

  function rowFor(id) {
    return table ? table.querySelector('tr[data-job="' + CSS.escape(String(id)) + '"]') : null;
  }

  function setState(row, state, errorClass) {
    row.dataset.state = state;
    row.classList.toggle("failed", state === "failed" || state === "reconcile");
    row.querySelector(".state").textContent = state;
    if (errorClass !== undefined) row.querySelector(".err-class").textContent = errorClass || "";
    const acts = row.querySelector(".acts");
    const canRetry = state === "failed" || state === "canceled";
    const terminal = ["done", "failed", "canceled"].includes(state);
    acts.querySelector("[data-act=retry]").hidden = !canRetry;
    acts.querySelector("[data-act=cancel]").hidden = terminal;
  }

  function newRow(p) {
    const tbody = table.querySelector("tbody");
    const row = document.createElement("tr");
    row.dataset.job = String(p.job);
    const label = p.shot && p.take != null ? p.shot + "-t" + String(p.take).padStart(3, "0") : "";
    row.innerHTML = "<td>" + S.escapeHtml(p.job) + "</td><td>" + S.escapeHtml(label) + "</td><td></td>" +
      '<td class="state"></td><td class="err-class"></td><td class="err"></td><td></td>' +
      '<td class="acts"><button type="button" data-act="retry">' + S.escapeHtml(tr("retry", "Retry")) +
      '</button> <button type="button" data-act="cancel">' + S.escapeHtml(tr("cancel", "Cancel")) + "</button></td>";
    tbody.prepend(row);
    const empty = table.querySelector(".no-jobs");
    if (empty) empty.remove();
    return row;
  }

  if (table) {
    S.on("job:state", (p) => {
      if (!p || p.job == null) return;
      const row = rowFor(p.job) || newRow(p);
      setState(row, p.state, p.error);
    });
    table.addEventListener("click", async (ev) => {
      const btn = ev.target.closest("[data-act]");
      if (!btn) return;
      const row = btn.closest("tr[data-job]");
      const act = btn.dataset.act;
      btn.disabled = true;
      try {
        const res = await S.post("/api/jobs/" + encodeURIComponent(row.dataset.job) + "/" + act);
        const job = res && res.job ? res.job : res;
        if (job && job.state) setState(row, job.state, job.error_class);
      } catch (e) { /* shown */ }
      btn.disabled = false;
    });
  }

  // ---- spend chart ---------------------------------------------------------------------------------------------
  const dataEl = document.getElementById("ledger-data");
  if (!dataEl) return;
  let ledger = {};
  try { ledger = JSON.parse(dataEl.textContent); } catch (e) { return; }

  function el(name, attrs, text) {
    const n = document.createElementNS(SVG, name);
    for (const k in attrs) n.setAttribute(k, attrs[k]);
    if (text != null) n.textContent = text;
    return n;
  }

  function money(v) { return (Math.round(v * 100) / 100).toFixed(2); }

  // Horizontal bars, largest first: names on the left, amounts at the bar ends.
  function bars(svg, entries) {
    const top = entries.sort((a, b) => b[1] - a[1]).slice(0, 12);
    const W = 720, row = 22, left = 120, H = Math.max(40, top.length * row + 10);
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    const max = Math.max(...top.map((e) => e[1]), 1e-9);
    top.forEach(([name, v], i) => {
      const y = 5 + i * row;
      const w = Math.max(1, (W - left - 80) * v / max);
      svg.append(el("text", { x: left - 6, y: y + 14, "text-anchor": "end" }, name),
        el("rect", { class: "bar", x: left, y: y + 3, width: w, height: row - 8, rx: 2 }),
        el("text", { x: left + w + 6, y: y + 14 }, money(v)));
    });
    if (!top.length) svg.append(el("text", { x: 10, y: 24 }, "—"));
  }

  // Cumulative spend over time as a step line; points are (time, amount) from the ledger's charges.
  function line(svg, points) {
    const W = 720, H = 200, pad = 36;
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    if (points.length < 1) { svg.append(el("text", { x: 10, y: 24 }, "—")); return; }
    points.sort((a, b) => a[0] - b[0]);
    let sum = 0;
    const cum = points.map(([t, v]) => [t, (sum += v)]);
    const t0 = cum[0][0], t1 = Math.max(cum[cum.length - 1][0], t0 + 1);
    const x = (t) => pad + (W - 2 * pad) * (t - t0) / (t1 - t0);
    const y = (v) => H - pad + -(H - 2 * pad) * v / Math.max(sum, 1e-9);
    let d = "M" + x(t0) + "," + y(0);
    for (const [t, v] of cum) d += " H" + x(t).toFixed(1) + " V" + y(v).toFixed(1);
    svg.append(el("line", { class: "axis", x1: pad, y1: H - pad, x2: W - pad, y2: H - pad }),
      el("line", { class: "axis", x1: pad, y1: pad, x2: pad, y2: H - pad }),
      el("path", { class: "line", d }),
      el("text", { x: pad, y: H - pad + 16 }, new Date(t0).toLocaleString()),
      el("text", { x: W - pad, y: H - pad + 16, "text-anchor": "end" }, new Date(t1).toLocaleString()),
      el("text", { x: pad + 4, y: pad - 8 }, money(sum)));
  }

  const byProvider = document.getElementById("chart-provider");
  const byShot = document.getElementById("chart-shot");
  const overTime = document.getElementById("chart-time");
  if (byProvider) bars(byProvider, Object.entries(ledger.by_provider || {}));
  if (byShot) bars(byShot, Object.entries(ledger.by_shot || {}));
  if (overTime) {
    const rows = ledger.entries || ledger.series || ledger.charges || [];
    const pts = rows.filter((r) => (r.kind || "charge") === "charge").map((r) => {
      const at = r.created_at || r.at || r.time;
      return [typeof at === "number" ? at * (at < 1e12 ? 1000 : 1) : Date.parse(at), Number(r.amount) || 0];
    }).filter((p) => !Number.isNaN(p[0]));
    line(overTime, pts);
  }
})();
