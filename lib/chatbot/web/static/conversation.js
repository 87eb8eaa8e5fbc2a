// A conversation: new messages and delivery ticks appear without a reload
// (the server renders the thread; this swaps it in), and the 24-hour
// window's time left counts down. Loaded as a file: the CSP forbids inline scripts.
(function () {
  "use strict";
  var thread = document.getElementById("thread");
  if (!thread || !window.fetch) { return; }
  var every = Math.max(parseInt(thread.getAttribute("data-every"), 10) || 4, 2) * 1000;
  var win = document.getElementById("conv-window");
  var closes = win ? parseFloat(win.getAttribute("data-closes")) : NaN;
  var busy = false, last = thread.innerHTML;

  function atBottom() { return window.innerHeight + window.scrollY >= document.body.scrollHeight - 40; }

  function refresh() {
    if (busy) { return; }
    busy = true;
    fetch(thread.getAttribute("data-src"), {
      credentials: "same-origin", cache: "no-store", redirect: "error", headers: { "Accept": "text/html" }
    }).then(function (resp) { return resp.ok ? resp.text() : null; }).then(function (html) {
      if (html === null || html === last) { return; }
      var follow = atBottom();
      var tpl = document.createElement("template");
      tpl.innerHTML = html;
      thread.replaceChildren(tpl.content);
      last = thread.innerHTML;
      if (follow) { window.scrollTo(0, document.body.scrollHeight); }
    }).catch(function () { /* the next round tries again */ }).then(function () { busy = false; });
  }

  function countdown() {
    if (!win || isNaN(closes)) { return; }
    var left = closes - Date.now() / 1000;
    if (left <= 0) { win.textContent = "fora da janela de 24 horas"; win.classList.add("bad"); return; }
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60);
    win.textContent = "janela de 24 h: faltam " + (h ? h + " h " : "") + m + " min";
  }

  last = thread.innerHTML;
  countdown();
  setInterval(refresh, every);
  setInterval(countdown, 30000);
}());
