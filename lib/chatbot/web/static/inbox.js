// /inbox and the conversation page's side list: fetch the server-rendered
// lists every few seconds and swap them in place. The title badge, the
// banner and the optional beep are notify.js's (every staff page has them);
// here the "som" checkbox turns the beep on for this browser.
// Loaded as a file: the CSP forbids inline scripts.
(function () {
  "use strict";
  var box = document.getElementById("inbox");
  if (!box || !window.fetch) { return; }
  var status = document.getElementById("inbox-status");
  var sound = document.getElementById("sound");
  var every = Math.max(parseInt(box.getAttribute("data-every"), 10) || 5, 2) * 1000;
  var busy = false;

  if (sound) {
    try { sound.checked = window.localStorage.getItem("chatbot-sound") === "1"; } catch (e) { /* private mode */ }
    sound.addEventListener("change", function () {
      try { window.localStorage.setItem("chatbot-sound", sound.checked ? "1" : "0"); } catch (e) { /* ignore */ }
      if (sound.checked && window.chatbotBeep) { window.chatbotBeep(); }     // a click lets the page play sound later
    });
  }

  function say(text, stale) {
    if (!status) { return; }
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
      var scroll = box.scrollTop;
      box.replaceChildren(tpl.content);
      box.scrollTop = scroll;
      say("");
    }).catch(function (err) {
      say((err && err.shown) || "Sem conexão com o servidor; tentando de novo.", true);
    }).then(function () { busy = false; });
  }

  setInterval(refresh, every);
}());
