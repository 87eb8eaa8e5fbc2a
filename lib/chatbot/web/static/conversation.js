// A conversation: opens at the newest message; new messages and delivery ticks
// appear without a reload (the server renders the thread; this swaps it in);
// sending (a reply or an internal note) does not reload the page; "/" in the
// reply box offers the team's quick replies; a counter warns before WhatsApp's
// 4,096 characters; when a colleague takes the conversation, a banner says so
// before you reply. Loaded as a file: the CSP forbids inline scripts.
(function () {
  "use strict";
  var thread = document.getElementById("thread");
  if (!thread || !window.fetch) { return; }
  var pane = document.getElementById("conv-pane");
  var me = (pane.getAttribute("data-me") || "").toLowerCase();
  var every = Math.max(parseInt(thread.getAttribute("data-every"), 10) || 4, 2) * 1000;
  var win = document.getElementById("conv-window");
  var closes = win ? parseFloat(win.getAttribute("data-closes")) : NaN;
  var form = document.getElementById("composer");
  var text = document.getElementById("reply-text");
  var send = document.getElementById("send");
  var noteButton = document.getElementById("note-button");
  var counter = document.getElementById("counter");
  var errorBox = document.getElementById("send-error");
  var heldBanner = document.getElementById("held-banner");
  var modeBox = document.getElementById("conv-mode");
  var menu = document.getElementById("quick-menu");
  var quick = [];
  try { quick = JSON.parse(document.getElementById("quick-data").textContent) || []; } catch (e) { quick = []; }
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var LIMIT = 4096, WARN_AT = 3600;
  var busy = false, sending = false, last = thread.innerHTML, heldByOther = !heldBanner.hidden;
  var choices = [], chosen = 0;

  function atBottom() { return thread.scrollHeight - thread.scrollTop - thread.clientHeight < 60; }
  function toBottom() { thread.scrollTop = thread.scrollHeight; }

  function readState() {
    var st = thread.querySelector(".thread-state");
    if (!st) { return; }
    var holder = st.getAttribute("data-held-by") || "";
    var mode = st.getAttribute("data-mode");
    var other = mode === "human" && holder && holder.toLowerCase() !== me;
    if (other && !heldByOther) {
      var by = st.getAttribute("data-transferred-by");
      heldBanner.textContent = holder + " assumiu esta conversa" + (by ? " (transferida por " + by + ")" : "") +
        ". Para responder, assuma no lugar (em Ações).";
      heldBanner.hidden = false;
      if (modeBox) { modeBox.textContent = "com " + holder; }
    } else if (!other && heldByOther) {
      heldBanner.hidden = true;
      if (modeBox && holder) { modeBox.textContent = "com " + holder; }
    }
    if (modeBox && mode === "human" && holder) {
      modeBox.textContent = "com " + holder;
      modeBox.classList.remove("warn");
    }
    heldByOther = !!other;
    updateCounter();
  }

  function refresh(force) {
    if (busy && !force) { return Promise.resolve(); }
    busy = true;
    return fetch(thread.getAttribute("data-src"), {
      credentials: "same-origin", cache: "no-store", redirect: "error", headers: { "Accept": "text/html" }
    }).then(function (resp) { return resp.ok ? resp.text() : null; }).then(function (html) {
      if (html === null || html === last) { return; }
      var follow = force || atBottom();
      var tpl = document.createElement("template");
      tpl.innerHTML = html;
      thread.replaceChildren(tpl.content);
      last = html;
      readState();
      if (follow) { toBottom(); }
    }).catch(function () { /* the next round tries again */ }).then(function () { busy = false; });
  }

  function countdown() {
    if (!win || isNaN(closes)) { return; }
    var left = closes - Date.now() / 1000;
    if (left <= 0) { win.textContent = "fora da janela de 24 horas"; win.classList.add("bad"); return; }
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60);
    win.textContent = "janela de 24 h: faltam " + (h ? h + " h " : "") + m + " min";
  }

  function fmt(n) { return n.toLocaleString("pt-BR"); }

  function updateCounter() {
    var n = text.value.length;
    counter.classList.toggle("over", n > LIMIT);
    counter.classList.toggle("near", n > WARN_AT && n <= LIMIT);
    if (n > LIMIT) {
      counter.textContent = fmt(n) + " / " + fmt(LIMIT) + ": passa do limite do WhatsApp, encurte " +
        fmt(n - LIMIT) + (n - LIMIT === 1 ? " caractere" : " caracteres");
    } else if (n > WARN_AT) {
      counter.textContent = fmt(n) + " / " + fmt(LIMIT) + " (faltam " + fmt(LIMIT - n) + ")";
    } else {
      counter.textContent = "";
    }
    send.disabled = text.disabled || heldByOther || n > LIMIT;
  }

  function grow() {
    text.style.height = "auto";
    text.style.height = Math.min(text.scrollHeight + 2, 180) + "px";
  }

  // -- quick replies: "/" then the shortcut ------------------------------------------------
  function slashWord() {
    var upto = text.value.slice(0, text.selectionStart);
    var m = /(^|\s)\/([^\s\/]*)$/.exec(upto);
    return m ? { start: upto.length - m[2].length - 1, word: m[2].toLowerCase() } : null;
  }

  function closeMenu() { menu.hidden = true; choices = []; text.setAttribute("aria-expanded", "false"); }

  function openMenu() {
    var at = slashWord();
    if (!at || !quick.length) { closeMenu(); return; }
    choices = quick.filter(function (q) { return q.shortcut.indexOf(at.word) === 0; }).slice(0, 8);
    if (!choices.length) { closeMenu(); return; }
    chosen = Math.min(chosen, choices.length - 1);
    menu.replaceChildren();
    choices.forEach(function (q, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", i === chosen ? "true" : "false");
      var b = document.createElement("strong");
      b.textContent = "/" + q.shortcut;
      var s = document.createElement("span");
      s.textContent = " " + q.body.slice(0, 90) + (q.body.length > 90 ? "…" : "");
      li.appendChild(b); li.appendChild(s);
      li.addEventListener("mousedown", function (ev) { ev.preventDefault(); pick(i); });
      menu.appendChild(li);
    });
    menu.hidden = false;
    text.setAttribute("aria-expanded", "true");
  }

  function pick(i) {
    var at = slashWord(), q = choices[i];
    if (!at || !q) { return; }
    var before = text.value.slice(0, at.start), after = text.value.slice(text.selectionStart);
    text.value = before + q.body + after;
    var pos = (before + q.body).length;
    text.setSelectionRange(pos, pos);
    closeMenu(); grow(); updateCounter(); text.focus();
  }

  text.addEventListener("input", function () { chosen = 0; openMenu(); grow(); updateCounter(); });
  text.addEventListener("keydown", function (ev) {
    if (!menu.hidden && choices.length) {
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        chosen = (chosen + (ev.key === "ArrowDown" ? 1 : choices.length - 1)) % choices.length;
        openMenu(); ev.preventDefault(); return;
      }
      if (ev.key === "Enter" || ev.key === "Tab") { pick(chosen); ev.preventDefault(); return; }
      if (ev.key === "Escape") { closeMenu(); ev.preventDefault(); return; }
    }
    // On a computer Enter sends and Shift+Enter breaks the line, as in WhatsApp Web.
    if (ev.key === "Enter" && !ev.shiftKey && window.matchMedia("(pointer: fine)").matches) {
      ev.preventDefault();
      submit(false);
    }
  });
  text.addEventListener("blur", function () { setTimeout(closeMenu, 150); });

  // -- sending without a reload --------------------------------------------------------------
  function submit(asNote) {
    var body = text.value.trim();
    if (sending || !body || (!asNote && send.disabled)) { return; }
    sending = true;
    errorBox.hidden = true;
    var url = asNote ? form.getAttribute("data-note") : form.getAttribute("action");
    fetch(url, {
      method: "POST", credentials: "same-origin", redirect: "error",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ text: body })
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok) { throw { shown: data.message || "Não foi possível enviar (" + resp.status + ")." }; }
        text.value = "";
        grow(); updateCounter();
        return refresh(true);
      });
    }).catch(function (err) {
      errorBox.textContent = (err && err.shown) || "Sem conexão com o servidor: a mensagem não foi enviada.";
      errorBox.hidden = false;
    }).then(function () { sending = false; text.focus(); });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    submit(ev.submitter === noteButton);
  });

  toBottom();
  updateCounter();
  countdown();
  setInterval(refresh, every);
  setInterval(countdown, 30000);
}());
