// /inbox: fetch the server-rendered lists every few seconds and swap them in
// place; the tab's title shows how many customers wait, and an optional
// beep (made here with Web Audio: no sound file, nothing external) says a
// new one arrived. Loaded as a file: the CSP forbids inline scripts.
(function () {
  "use strict";
  var box = document.getElementById("inbox");
  if (!box || !window.fetch) { return; }
  var status = document.getElementById("inbox-status");
  var sound = document.getElementById("sound");
  var every = Math.max(parseInt(box.getAttribute("data-every"), 10) || 5, 2) * 1000;
  var baseTitle = document.title;
  var waiting = parseInt(box.getAttribute("data-waiting"), 10) || 0;
  var busy = false, audio = null;

  try { sound.checked = window.localStorage.getItem("chatbot-sound") === "1"; } catch (e) { /* private mode */ }
  sound.addEventListener("change", function () {
    try { window.localStorage.setItem("chatbot-sound", sound.checked ? "1" : "0"); } catch (e) { /* ignore */ }
    if (sound.checked) { beep(); }     // a click lets the page play sound later
  });

  function beep() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return; }
    audio = audio || new Ctx();
    var osc = audio.createOscillator(), gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
    osc.connect(gain); gain.connect(audio.destination);
    osc.start(); osc.stop(audio.currentTime + 0.4);
  }

  function badge(n) {
    document.title = (n > 0 ? "(" + n + ") " : "") + baseTitle;
  }

  function say(text, stale) {
    status.textContent = text;
    status.classList.toggle("stale", !!stale);
  }

  function refresh() {
    if (busy) { return; }
    busy = true;
    fetch(box.getAttribute("data-src"), {
      credentials: "same-origin", cache: "no-store", redirect: "error", headers: { "Accept": "text/html" }
    }).then(function (resp) {
      if (resp.status === 401) { throw { shown: "Sessão expirada: recarregue a página e entre de novo." }; }
      if (!resp.ok) { throw { shown: "Falha ao atualizar (" + resp.status + ")." }; }
      return resp.text();
    }).then(function (html) {
      var tpl = document.createElement("template");
      tpl.innerHTML = html;
      var body = tpl.content.querySelector(".inbox-body");
      var n = body ? parseInt(body.getAttribute("data-waiting"), 10) || 0 : 0;
      box.replaceChildren(tpl.content);
      if (n > waiting && sound.checked) { beep(); }
      waiting = n;
      badge(n);
      say("");
    }).catch(function (err) {
      say((err && err.shown) || "Sem conexão com o servidor; tentando de novo.", true);
    }).then(function () { busy = false; });
  }

  badge(waiting);
  setInterval(refresh, every);
}());
