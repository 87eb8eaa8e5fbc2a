// Refresh the dashboard's live part in place: fetch the server-rendered
// fragment, parse it off-screen, then swap it in one step (no blank page,
// no flicker, scroll position kept). Loaded as a file: the CSP forbids
// inline scripts.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.fetch) { return; }
  var status = document.getElementById("refresh-status");
  var every = Math.max(parseInt(live.getAttribute("data-every"), 10) || 30, 5) * 1000;
  var busy = false;

  function say(text, stale) {
    if (!status) { return; }
    status.textContent = text;
    status.classList.toggle("stale", !!stale);
  }

  function refresh() {
    if (busy || document.hidden) { return; }
    busy = true;
    // The same fetch-and-swap as inbox.js, kept in each page's one script: the CSP allows no
    // inline code, and a shared third file would be one more request for a dozen lines.
    fetch(live.getAttribute("data-src"), {
      credentials: "same-origin", cache: "no-store", redirect: "error",
      headers: { "Accept": "text/html" }
    }).then(function (resp) {
      if (resp.status === 401) { throw { shown: "Sessão expirada: recarregue a página e entre de novo." }; }
      if (!resp.ok) { throw { shown: "Falha ao atualizar (" + resp.status + "); mostrando os últimos dados." }; }
      return resp.text();
    }).then(function (html) {
      var tpl = document.createElement("template");
      tpl.innerHTML = html;
      live.replaceChildren(tpl.content);
      say("");
    }).catch(function (err) {
      say((err && err.shown) || "Sem conexão com o servidor; mostrando os últimos dados.", true);
    }).then(function () { busy = false; });
  }

  setInterval(refresh, every);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });
})();
