// Scan station: a keyboard-wedge scanner types the barcode and presses Enter. Each scan is queued and
// sent in order (htmx.ajax), the input is cleared at once so the next scan can follow immediately,
// focus stays in the input, and errors are flagged visually and with a beep (WebAudio, no files).
(function () {
  "use strict";
  var form, input, queue = [], busy = false, audio = null;

  function tone(freq, start, length, type) {
    var osc = audio.createOscillator(), gain = audio.createGain();
    osc.type = type; osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, audio.currentTime + start);
    gain.gain.exponentialRampToValueAtTime(0.3, audio.currentTime + start + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + start + length);
    osc.connect(gain); gain.connect(audio.destination);
    osc.start(audio.currentTime + start); osc.stop(audio.currentTime + start + length + 0.02);
  }

  function beep(level) {
    var box = document.getElementById("scan-sound");
    if (box && !box.checked) { return; }
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") { audio.resume(); }
      if (level === "error") { tone(220, 0, 0.18, "square"); tone(180, 0.24, 0.3, "square"); }
      else if (level === "wait") { tone(660, 0, 0.07, "sine"); }
      else { tone(1046, 0, 0.08, "sine"); }
    } catch (e) { /* no audio: the list still shows it */ }
  }

  function flash(level) {
    form.classList.remove("flash-error", "flash-ok");
    void form.offsetWidth;  // restart the animation
    form.classList.add(level === "error" ? "flash-error" : "flash-ok");
  }

  function values(code) {
    var data = {};
    new FormData(form).forEach(function (v, k) { data[k] = v; });
    data.code = code;
    return data;
  }

  function pump() {
    if (busy || !queue.length) { return; }
    busy = true;
    var code = queue.shift();
    var done = function () {
      busy = false;
      var row = document.querySelector("#scan-results li");
      if (row && row.dataset.level && !row.dataset.announced) {
        row.dataset.announced = "1";
        beep(row.dataset.level);
        flash(row.dataset.level);
      }
      input.focus();
      pump();
    };
    htmx.ajax("POST", form.action, { target: "#scan-results", swap: "afterbegin", values: values(code) })
      .then(done, function () { beep("error"); done(); });
  }

  function init() {
    form = document.getElementById("scan-form");
    input = document.getElementById("scan-code");
    if (!form || !input || typeof htmx === "undefined") { return; }  // without htmx the form posts normally
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var code = input.value.trim();
      input.value = "";
      if (code) { queue.push(code); pump(); }
    });
    // Keep the focus in the input: clicks on empty page areas and stray keys bring it back.
    document.addEventListener("click", function (event) {
      if (!event.target.closest("a, button, select, input, label, textarea")) { input.focus(); }
    });
    document.addEventListener("keydown", function (event) {
      var t = event.target;
      if (t !== input && !(t.closest && t.closest("select, textarea, input")) && event.key.length === 1 &&
          !event.ctrlKey && !event.metaKey && !event.altKey) {
        input.focus();
      }
    });
    document.querySelectorAll("#scan-form select, #scan-form input[type=checkbox]").forEach(function (el) {
      el.addEventListener("change", function () { input.focus(); });
    });
    input.focus();
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
