/* chibo — the live meeting screen: never lose what the secretary entered.
 *
 * - Shows "Chưa lưu" while a change is being sent or could not be sent, "Đã lưu" otherwise.
 * - A change that could not be sent (no network, server error, or dropped because the page
 *   was redrawn while it waited its turn) is kept in a queue, in memory and in localStorage,
 *   and sent again when the connection comes back (`online`), every 15 s, or on demand.
 * - Text typed but not yet saved survives the redraws that other actions cause.
 * - Changes are sent one at a time with the meeting version this page last saw, so a stale
 *   page gets the server's "vừa được người khác cập nhật" message instead of overwriting.
 * Works on top of htmx 2; without JavaScript every form still posts and redirects.
 */
(function () {
  "use strict";
  var root = document.getElementById("live-root");
  if (!root || !window.htmx) return;
  document.documentElement.classList.add("js");

  var KEY = "chibo.unsaved." + root.getAttribute("data-meeting");
  var liveUrl = root.getAttribute("data-live-url");
  var stateEl = document.getElementById("save-state");
  var panel = document.getElementById("unsaved");
  var queue = load();
  var pending = new Map(); // form -> {entry, sent, submitter}
  var versionMap = {}; // version sent -> version the server answered with
  var inflight = 0;
  var replaying = false;
  var offline = !navigator.onLine;
  var carried = null;

  htmx.config.timeout = 30000;
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "(403|409)", swap: true, error: true }, // the server explains why: show it
    { code: "[45]..", swap: false, error: true },
    { code: "...", swap: false }
  ];

  // --- storage --------------------------------------------------------------------------
  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function save() {
    try {
      if (queue.length) localStorage.setItem(KEY, JSON.stringify(queue));
      else localStorage.removeItem(KEY);
    } catch (e) { /* private mode or full: the in-memory queue still holds it */ }
  }

  // --- helpers --------------------------------------------------------------------------
  function currentVersion() {
    var el = document.getElementById("meeting-version");
    return el ? el.value : "";
  }
  function resolveVersion(v) {
    var seen = {};
    while (v && versionMap[v] && !seen[v]) { seen[v] = true; v = versionMap[v]; }
    return v;
  }
  function versionIn(text) {
    var m = /id="meeting-version" value="(\d+)"/.exec(text || "");
    return m ? m[1] : null;
  }
  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }
  function fieldsOf(form, submitter) {
    var data;
    try { data = new FormData(form, submitter || undefined); } catch (e) {
      data = new FormData(form);
      if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    }
    var out = [];
    data.forEach(function (value, name) { if (typeof value === "string") out.push([name, value]); });
    return out;
  }
  function labelOf(form, submitter, fields) {
    var label = form.getAttribute("data-label") || "Thao tác";
    if (submitter && submitter.textContent.trim()) label += ": " + submitter.textContent.trim();
    var text = fields.filter(function (f) { return ["summary", "text", "title", "reason", "name"].indexOf(f[0]) >= 0 && f[1]; })[0];
    if (text) label += " — “" + (text[1].length > 80 ? text[1].slice(0, 80) + "…" : text[1]) + "”";
    return label;
  }
  function makeEntry(form, submitter) {
    var fields = fieldsOf(form, submitter);
    return {
      id: Date.now() + "-" + Math.random().toString(36).slice(2, 7),
      url: form.getAttribute("hx-post") || form.getAttribute("action"),
      fields: fields, label: labelOf(form, submitter, fields),
      formId: form.id, version: currentVersion(), error: "", failed: false
    };
  }
  function markUnsaved(form, submitter) {
    var row = form.closest(".roll-row") || form;
    row.classList.add("is-unsaved");
    if (submitter && submitter.classList.contains("tap")) { // show the tap registered (not yet saved)
      Array.prototype.forEach.call(submitter.parentNode.querySelectorAll(".tap"), function (b) {
        b.setAttribute("aria-pressed", b === submitter ? "true" : "false");
      });
    }
  }
  function enqueue(entry) {
    queue.push(entry);
    save();
    render();
  }
  function textOf(html) {
    var doc = new DOMParser().parseFromString(html || "", "text/html");
    var alert = doc.querySelector(".alert") || doc.body;
    return (alert.textContent || "").replace(/\s+/g, " ").trim().slice(0, 300);
  }
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // --- the indicator and the panel of unsaved changes -------------------------------------
  function render() {
    var failed = queue.filter(function (e) { return e.failed; }).length;
    var waiting = queue.length - failed;
    var state = "saved", text = "Đã lưu";
    if (queue.length) { state = "unsaved"; text = "Chưa lưu (" + queue.length + ")"; }
    else if (inflight || replaying) { state = "saving"; text = "Chưa lưu… đang gửi"; }
    if (stateEl) { stateEl.setAttribute("data-state", state); stateEl.textContent = text; }
    if (!panel) return;
    if (!queue.length) { panel.hidden = true; panel.innerHTML = ""; return; }
    var html = "<p><b>" + queue.length + " thao tác chưa lưu lên máy chủ.</b> ";
    if (waiting) {
      html += offline ? "Mất kết nối: dữ liệu được giữ trên máy này và sẽ tự gửi khi có mạng trở lại. Đừng đóng trình duyệt."
                      : "Đang thử gửi lại…";
    }
    if (failed) html += " Máy chủ từ chối " + failed + " thao tác: xem lý do, rồi gửi lại hoặc bỏ.";
    html += "</p><ul>";
    queue.forEach(function (e) {
      html += "<li>" + escapeHtml(e.label) + (e.error ? " <i>(" + escapeHtml(e.error) + ")</i>" : "");
      if (e.failed) {
        html += ' <button type="button" class="btn small" data-act="resend" data-id="' + e.id + '">Gửi lại</button>' +
                ' <button type="button" class="btn small secondary" data-act="drop" data-id="' + e.id + '">Bỏ</button>';
      }
      html += "</li>";
    });
    html += '</ul><div class="actions"><button type="button" class="btn small" data-act="retry">Gửi lại ngay</button></div>';
    panel.innerHTML = html;
    panel.hidden = false;
  }

  panel && panel.addEventListener("click", function (e) {
    var btn = e.target.closest("button[data-act]");
    if (!btn) return;
    var act = btn.getAttribute("data-act"), id = btn.getAttribute("data-id");
    var entry = queue.filter(function (x) { return x.id === id; })[0];
    if (act === "drop" && entry) {
      if (!window.confirm("Bỏ thao tác này? Nội dung sẽ không được lưu:\n" + entry.label)) return;
      queue = queue.filter(function (x) { return x !== entry; });
      save();
      render();
      return;
    }
    if (act === "resend" && entry) {
      // The user has seen why it was refused: send it with the versions of now (the meeting's, and
      // no record_version, whose check has done its job: the current text was shown in the message).
      entry.failed = false; entry.error = ""; entry.version = null;
      entry.fields = entry.fields.filter(function (f) { return f[0] !== "record_version"; });
      save();
    }
    replay();
  });

  // --- sending again --------------------------------------------------------------------
  function refreshBoard() {
    htmx.ajax("GET", liveUrl, { target: "#live-board", select: "#live-board", swap: "outerHTML" });
  }

  function replay() {
    if (replaying || inflight) return;
    var entry = queue.filter(function (e) { return !e.failed; })[0];
    if (!entry) { render(); return; }
    replaying = true;
    render();
    var body = new URLSearchParams(), sentVersion = null;
    entry.fields.forEach(function (f) {
      if (f[0] === "expected_version") {
        sentVersion = (entry.version ? resolveVersion(entry.version) : currentVersion()) || f[1];
        body.append(f[0], sentVersion);
      } else if (f[0] === "csrfmiddlewaretoken") {
        body.append(f[0], csrfToken());
      } else {
        body.append(f[0], f[1]);
      }
    });
    fetch(entry.url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true", "HX-Current-URL": location.href }
    }).then(function (r) {
      return r.text().then(function (t) { return { status: r.status, text: t }; });
    }).then(function (res) {
      replaying = false;
      offline = false;
      if (res.status >= 200 && res.status < 300) {
        var v = versionIn(res.text);
        if (v) {
          if (entry.version) versionMap[resolveVersion(entry.version)] = v;
          var el = document.getElementById("meeting-version");
          if (el) el.value = v;
        }
        queue = queue.filter(function (x) { return x !== entry; });
        save();
        if (queue.some(function (x) { return !x.failed; })) replay(); else { render(); refreshBoard(); }
        return;
      }
      if (res.status >= 500) { entry.error = "Máy chủ gặp lỗi " + res.status + ", sẽ thử lại"; save(); render(); return; }
      entry.failed = true; // refused: the user decides (the reason is shown)
      entry.error = res.status === 409 ? "Dữ liệu vừa được người khác cập nhật; kiểm tra lại rồi bấm Gửi lại"
                                       : (textOf(res.text) || ("Bị từ chối (" + res.status + ")"));
      save();
      render();
      refreshBoard();
      replay();
    }).catch(function () {
      replaying = false;
      offline = true;
      entry.error = "Mất kết nối";
      save();
      render();
    });
  }

  // --- htmx lifecycle ---------------------------------------------------------------------
  function ours(elt) { return elt && elt.tagName === "FORM" && (root.contains(elt) || pending.has(elt)); }

  document.body.addEventListener("htmx:confirm", function (e) {
    var form = e.detail.elt;
    if (!ours(form) || e.detail.verb === "get" || e.detail.question) return;
    var ev = e.detail.triggeringEvent, submitter = ev && ev.submitter ? ev.submitter : null;
    var known = pending.get(form);
    pending.set(form, { entry: makeEntry(form, submitter || (known && known.submitter)), sent: false,
                        submitter: submitter || (known && known.submitter) });
  });

  document.body.addEventListener("htmx:configRequest", function (e) {
    if (e.detail.verb === "get") return;
    // A request that waited its turn is built after focus moved on: htmx has forgotten which
    // button was tapped (e.g. "Có mặt"). Put the tapped button's value back.
    var p = pending.get(e.detail.elt);
    if (p && p.submitter && p.submitter.name && e.detail.formData && !e.detail.formData.has(p.submitter.name)) {
      e.detail.formData.set(p.submitter.name, p.submitter.value);
    }
    var v = currentVersion();
    e.detail.__chiboVersion = v;
    if (v && e.detail.formData && e.detail.formData.has("expected_version")) {
      e.detail.formData.set("expected_version", v);
    }
  });

  document.body.addEventListener("htmx:beforeRequest", function (e) {
    var cfg = e.detail.requestConfig || {};
    if (cfg.verb === "get") return;
    var p = pending.get(cfg.elt);
    if (p) p.sent = true;
    inflight++;
    render();
  });

  document.body.addEventListener("htmx:afterRequest", function (e) {
    var cfg = e.detail.requestConfig || {};
    if (!cfg.verb || cfg.verb === "get") return;
    inflight = Math.max(0, inflight - 1);
    var form = cfg.elt, xhr = e.detail.xhr, status = xhr ? xhr.status : 0;
    var p = pending.get(form);
    pending.delete(form);
    if (status === 0 || status >= 500) {
      offline = status === 0;
      var entry = p ? p.entry : makeEntry(form, null);
      entry.error = status ? "Máy chủ gặp lỗi " + status : "Mất kết nối";
      enqueue(entry);
      if (document.body.contains(form)) markUnsaved(form, p && p.submitter);
      return;
    }
    offline = false;
    if (status >= 400 && status !== 403 && status !== 409) {
      // Refused without an explanation to show (e.g. 404: the item is gone): say so, keep what was typed.
      var alertBox = document.getElementById("live-alert");
      var what = p ? p.entry.label : "Thao tác";
      if (alertBox) {
        alertBox.innerHTML = '<div class="alert alert-error" role="alert"><p><b>Chưa lưu:</b> ' + escapeHtml(what) +
          ". Máy chủ trả lời mã " + status + '. Hãy <a href="' + escapeHtml(liveUrl) + '">tải lại trang</a> rồi thử lại.</p></div>';
      }
    }
    if (status < 300) {
      var v = versionIn(xhr.responseText);
      if (v && cfg.__chiboVersion) versionMap[cfg.__chiboVersion] = v;
    }
    render();
    if (queue.length) replay();
  });

  document.body.addEventListener("htmx:sendError", function () { offline = true; render(); });
  document.body.addEventListener("htmx:timeout", function () { offline = true; render(); });

  // Keep typed-but-unsaved text across redraws (not the text of the form just saved).
  function collectDirty(skip) {
    var out = [];
    Array.prototype.forEach.call(root.querySelectorAll("input, textarea, select"), function (el) {
      var form = el.form;
      if (!form || !form.id || form === skip || !el.name) return;
      if (["hidden", "submit", "button", "file"].indexOf(el.type) >= 0) return;
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked !== el.defaultChecked) out.push({ f: form.id, n: el.name, v: el.value, c: el.checked, k: el.type });
      } else if (el.tagName === "SELECT") {
        var changed = Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
        if (changed) out.push({ f: form.id, n: el.name, v: el.value, k: "select" });
      } else if (el.value !== el.defaultValue) {
        out.push({ f: form.id, n: el.name, v: el.value, k: "text" });
      }
    });
    return out;
  }
  function restoreDirty(list) {
    (list || []).forEach(function (d) {
      var form = document.getElementById(d.f);
      if (!form || !form.elements) return;
      if (d.k === "checkbox" || d.k === "radio") {
        Array.prototype.forEach.call(form.elements, function (el) {
          if (el.name === d.n && el.value === d.v && el.checked === el.defaultChecked) el.checked = d.c;
        });
        return;
      }
      var el = form.elements.namedItem(d.n);
      if (!el || el.length > 1 && !el.tagName) return;
      if (d.k === "select") {
        var untouched = Array.prototype.every.call(el.options, function (o) { return o.selected === o.defaultSelected; });
        var exists = Array.prototype.some.call(el.options, function (o) { return o.value === d.v; });
        if (untouched && exists) el.value = d.v;
      } else if (el.value === el.defaultValue) {
        el.value = d.v;
      }
    });
  }
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    var cfg = e.detail.requestConfig || {};
    var saved = e.detail.xhr && e.detail.xhr.status < 300 && cfg.verb !== "get";
    carried = collectDirty(saved ? cfg.elt : null);
  });
  function afterRedraw() {
    if (carried) { restoreDirty(carried); carried = null; }
    // A change that was waiting its turn when its form was redrawn would be dropped by htmx: send it again.
    pending.forEach(function (p, form) {
      if (!p.sent && !document.body.contains(form)) {
        pending.delete(form);
        p.entry.version = null;
        p.entry.error = "";
        enqueue(p.entry);
      }
    });
    preview();
    if (queue.length && !inflight) replay();
  }
  document.body.addEventListener("htmx:afterSwap", afterRedraw);
  document.body.addEventListener("htmx:afterSettle", afterRedraw);

  // "Vắng có lý do" needs a reason: ask for it instead of sending an incomplete tap.
  root.addEventListener("click", function (e) {
    var btn = e.target.closest("button[data-needs-reason]");
    if (!btn || !btn.form) return;
    var reason = btn.form.elements.namedItem("reason");
    if (reason && !reason.value.trim()) {
      e.preventDefault();
      e.stopPropagation();
      var row = btn.form.closest(".roll-row");
      if (row) row.classList.add("want-reason");
      reason.placeholder = "Ghi lý do rồi bấm lại “Vắng có lý do”";
      reason.focus();
    }
  }, true);

  // Live total and grade of the scorecard while typing.
  function preview() {
    var table = root.querySelector("table.score");
    if (!table) return;
    var bands = [];
    try { bands = JSON.parse(table.getAttribute("data-bands") || "[]"); } catch (e) { return; }
    ["cell", "upper"].forEach(function (col) {
      var out = table.querySelector('[data-preview="' + col + '"]');
      if (!out || !bands.length) return;
      var total = 0, keyFull = true, complete = true;
      Array.prototype.forEach.call(table.querySelectorAll("tbody tr"), function (tr) {
        var points = parseInt(tr.getAttribute("data-points"), 10), td = tr.querySelector(".col-" + col), v = null;
        var auto = col === "cell" && td ? td.querySelector(".auto") : null;
        var input = td ? td.querySelector("input") : null;
        if (auto) v = parseInt(auto.getAttribute("data-value"), 10);
        else if (input && input.value.trim() !== "") v = parseInt(input.value, 10);
        if (v === null || isNaN(v)) { complete = false; v = 0; }
        v = Math.max(0, Math.min(points, v));
        total += v;
        if (tr.hasAttribute("data-key") && v < points) keyFull = false;
      });
      var band = bands.filter(function (b) { return total >= b.min && (!b.key || keyFull); })[0] || bands[bands.length - 1];
      out.textContent = "Tạm tính: " + total + " điểm — " + band.label + (complete ? "" : " (còn ô chưa nhập)");
    });
  }
  root.addEventListener("input", function (e) { if (e.target.closest("table.score")) preview(); });

  window.addEventListener("online", function () { offline = false; render(); replay(); });
  window.addEventListener("offline", function () { offline = true; render(); });
  window.addEventListener("beforeunload", function (e) {
    if (queue.length || inflight) { e.preventDefault(); e.returnValue = ""; }
  });
  setInterval(function () { if (queue.length && navigator.onLine) replay(); }, 15000);

  render();
  preview();
  if (queue.length && navigator.onLine) replay();
})();
