// The studio's one way to talk to the server: JSON in and out, the CSRF token on every state change, and any
// error shown as a toast in the page's language. Loaded with `defer` on every page; exposes `window.Studio`.
"use strict";

(function () {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.getAttribute("content") : "";
  const zh = (document.documentElement.lang || "").toLowerCase().startsWith("zh");
  let msgs = {};
  try {
    const el = document.getElementById("i18n");
    if (el) msgs = JSON.parse(el.textContent);
  } catch (e) { /* a page without strings still works, in English */ }

  function msg(key, fallback) {
    return msgs["js_" + key] || msgs[key] || fallback || key;
  }

  function toastBox() {
    let box = document.getElementById("toasts");
    if (!box) {
      box = document.createElement("div");
      box.id = "toasts";
      box.setAttribute("role", "status");
      document.body.appendChild(box);
    }
    return box;
  }

  function toast(text, kind) {
    const el = document.createElement("div");
    el.className = "toast" + (kind ? " " + kind : "");
    el.textContent = text;
    toastBox().appendChild(el);
    setTimeout(() => el.remove(), kind === "error" ? 6000 : 2500);
  }

  // The server's error body may be our own {message, zh}, FastAPI's {detail: str | [..]}, or plain text.
  function errorText(data, status) {
    if (data && typeof data === "object") {
      const d = data.error && typeof data.error === "object" ? data.error : data;
      if (zh && (d.zh || d.message_zh)) return d.zh || d.message_zh;
      if (d.message) return d.message;
      if (typeof d.detail === "string") return d.detail;
      if (Array.isArray(d.detail) && d.detail.length) {
        return d.detail.map((x) => (x.loc ? x.loc.join(".") + ": " : "") + (x.msg || JSON.stringify(x))).join("; ");
      }
      if (typeof d.error === "string") return d.error;
    }
    if (typeof data === "string" && data.trim()) return data.trim().slice(0, 300);
    return msg("error", "Error") + " " + status;
  }

  async function request(method, url, body, opts) {
    const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (method !== "GET" && method !== "HEAD") init.headers["X-CSRF-Token"] = csrf;
    if (body instanceof FormData) {
      init.body = body; // the browser writes the multipart Content-Type with its boundary
    } else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(url, init);
    } catch (e) {
      if (!(opts && opts.quiet)) toast(msg("network", "Network error"), "error");
      throw e;
    }
    const type = res.headers.get("content-type") || "";
    let data = null;
    if (res.status !== 204) data = type.includes("json") ? await res.json() : await res.text();
    if (!res.ok) {
      const text = errorText(data, res.status);
      if (!(opts && opts.quiet)) toast(text, "error");
      const err = new Error(text);
      err.status = res.status;
      err.data = data;
      throw err;
    }
    return data;
  }

  // One EventSource per page, shared by every listener; the browser reconnects on its own.
  let source = null;
  const handlers = {};
  function on(type, fn) {
    if (!window.EventSource) return;
    if (!source) {
      source = new EventSource("/api/events");
      source.addEventListener("open", () => document.dispatchEvent(new CustomEvent("studio:live", { detail: true })));
      source.addEventListener("error", () => document.dispatchEvent(new CustomEvent("studio:live", { detail: false })));
      // Untyped messages may carry their type in the body.
      source.addEventListener("message", (ev) => dispatch(null, ev));
    }
    if (!handlers[type]) {
      handlers[type] = [];
      source.addEventListener(type, (ev) => dispatch(type, ev));
    }
    handlers[type].push(fn);
  }
  function dispatch(type, ev) {
    let data = {};
    try { data = JSON.parse(ev.data); } catch (e) { return; }
    const t = type || data.type;
    const payload = data && data.payload && typeof data.payload === "object" ? data.payload : data;
    (handlers[t] || []).forEach((fn) => fn(payload, data));
  }

  function seconds(frames, fps) {
    return fps ? (frames / fps).toFixed(1) : "0.0";
  }

  function escapeHtml(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, (c) => (
      { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  // Keys typed into a text field belong to the field, not to the page's shortcuts.
  function typing(ev) {
    const el = ev.target;
    if (!el || !el.tagName) return false;
    const tag = el.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || el.isContentEditable;
  }

  window.Studio = {
    csrf, zh, msg, toast, request, on, seconds, escapeHtml, typing,
    get: (url, opts) => request("GET", url, undefined, opts),
    post: (url, body, opts) => request("POST", url, body === undefined ? {} : body, opts),
    patch: (url, body, opts) => request("PATCH", url, body, opts),
    del: (url, opts) => request("DELETE", url, undefined, opts),
    // One file as the multipart field ``file`` (keyframe and take uploads).
    upload: (url, file, opts) => {
      const form = new FormData();
      form.append("file", file, file.name);
      return request("POST", url, form, opts);
    },
  };
})();
