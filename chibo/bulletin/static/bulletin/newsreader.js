// The newsreader on the bulletin page and the meeting screen: chapter buttons seek the joined
// audio and follow playback; "Đọc bằng giọng của thiết bị" reads the entries with the browser's
// own Vietnamese voice (speechSynthesis) where the device has one. Event delegation: the panel is
// replaced by htmx while audio renders.
(function () {
  if (window.chiboNewsreader) { window.chiboNewsreader.scan(); return; }
  var synth = window.speechSynthesis;

  function viVoice() {
    if (!synth) return null;
    var voices = synth.getVoices() || [];
    for (var i = 0; i < voices.length; i++) {
      if ((voices[i].lang || "").toLowerCase().indexOf("vi") === 0) return voices[i];
    }
    return null;
  }

  function scan() {
    var voice = viVoice();
    document.querySelectorAll("[data-newsreader]").forEach(function (box) {
      var btn = box.querySelector("[data-device-voice]");
      var note = box.querySelector("[data-device-note]");
      if (!btn) return;
      btn.hidden = false;
      btn.disabled = !voice;
      if (note) note.textContent = voice ? "" : "Thiết bị này không có giọng đọc tiếng Việt.";
    });
  }

  function readAll(box) {
    var voice = viVoice();
    var tpl = box.querySelector("template[data-texts]");
    if (!voice || !tpl) return;
    synth.cancel();
    var stop = box.querySelector("[data-device-stop]");
    if (stop) stop.hidden = false;
    tpl.content.querySelectorAll("p").forEach(function (p, i, all) {
      var u = new SpeechSynthesisUtterance(p.textContent);
      u.lang = "vi-VN";
      u.voice = voice;
      if (i === all.length - 1 && stop) u.onend = function () { stop.hidden = true; };
      synth.speak(u);
    });
  }

  document.addEventListener("click", function (ev) {
    var seek = ev.target.closest("[data-start]");
    if (seek) {
      var box = seek.closest("[data-newsreader]");
      var audio = box && box.querySelector("[data-player]");
      if (audio) { audio.currentTime = parseFloat(seek.dataset.start); audio.play(); }
      return;
    }
    var dv = ev.target.closest("[data-device-voice]");
    if (dv) { readAll(dv.closest("[data-newsreader]")); return; }
    var st = ev.target.closest("[data-device-stop]");
    if (st && synth) { synth.cancel(); st.hidden = true; }
  });

  document.addEventListener("timeupdate", function (ev) {
    var audio = ev.target;
    if (!audio.matches || !audio.matches("[data-player]")) return;
    var box = audio.closest("[data-newsreader]");
    box.querySelectorAll("[data-start]").forEach(function (b) {
      var on = audio.currentTime >= parseFloat(b.dataset.start) && audio.currentTime < parseFloat(b.dataset.end) + 0.5;
      b.classList.toggle("current", on);
      if (on) b.setAttribute("aria-current", "true"); else b.removeAttribute("aria-current");
    });
  }, true);

  // While the newsreader renders: add each item's player as soon as its clip is ready (players
  // already on the page keep playing), then reload once for the joined audio and its chapters.
  function poll() {
    var panel = document.querySelector("[data-progress-url]");
    if (!panel || panel.dataset.polling) return;
    panel.dataset.polling = "1";
    function tick() {
      fetch(panel.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (data) {
          var done = panel.querySelector("[data-done]");
          if (done) done.textContent = data.done;
          var bar = panel.querySelector("progress");
          if (bar) bar.value = data.done;
          data.entries.forEach(function (e) {
            var li = document.getElementById("clip-" + e.id);
            if (!li) return;
            var state = li.querySelector("[data-state]");
            if (e.url && !li.querySelector("audio")) {
              if (state) state.remove();
              var a = document.createElement("audio");
              a.controls = true; a.preload = "none"; a.src = e.url;
              li.appendChild(a);
            } else if (!e.url && state) {
              state.textContent = e.status === "failed" ? "Lỗi: " + e.error : e.label;
            }
          });
          if (data.status === "ready" || data.status === "failed") {
            var playing = Array.prototype.some.call(panel.querySelectorAll("audio"), function (a) { return !a.paused; });
            if (!playing) { window.location.reload(); return; }
          }
          setTimeout(tick, 2000);
        })
        .catch(function () { setTimeout(tick, 5000); });
    }
    setTimeout(tick, 1500);
  }

  document.addEventListener("DOMContentLoaded", poll);
  poll();

  if (synth && "onvoiceschanged" in synth) synth.addEventListener("voiceschanged", scan);
  document.addEventListener("htmx:afterSwap", scan);
  document.addEventListener("DOMContentLoaded", scan);
  window.chiboNewsreader = { scan: scan };
  scan();
})();
