// Every staff page: customers waiting and unread messages, without a reload.
// Polls /notify.json; the tab's title shows how many conversations need you,
// a banner says a new customer is waiting (or a colleague passed you one, or
// another feature's news such as a new order), and an optional beep (Web
// Audio: no sound file) sounds. Also registers the service worker for Web Push
// and the "avisos neste aparelho" button. Loaded as a file: the CSP forbids inline scripts.
(function () {
  "use strict";
  var box = document.getElementById("notify");
  if (!box || !window.fetch) { return; }
  var every = Math.max(parseInt(box.getAttribute("data-every"), 10) || 5, 2) * 1000;
  var baseTitle = document.title.replace(/^\(\d+\) /, "");
  // other features' counts in /notify.json: their words (one, many) and their page
  var FEED_WORDS = { orders: { words: ["novo pedido", "novos pedidos"], href: "/pedidos" } };
  var last = null, busy = false, audio = null;
  var csrfMeta = document.querySelector("meta[name=csrf-token]");

  function soundOn() {
    try { return window.localStorage.getItem("chatbot-sound") === "1"; } catch (e) { return false; }
  }

  function beep() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return; }
    try {
      audio = audio || new Ctx();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.2, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + 0.4);
    } catch (e) { /* no sound before the first click: the banner still shows */ }
  }
  window.chatbotBeep = beep;

  function plural(n, words) { return n + " " + (n === 1 ? words[0] : words[1]); }

  function show(text, href) {
    box.replaceChildren();
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "link close";
    close.setAttribute("aria-label", "Fechar aviso");
    close.textContent = "×";
    close.addEventListener("click", function () { box.hidden = true; });
    box.appendChild(a);
    box.appendChild(close);
    box.hidden = false;
  }

  function here(waId) { return waId && window.location.pathname === "/conversations/" + waId; }

  function news(d) {
    if (last === null) { return null; }
    var fresh = (d.transfers || []).filter(function (t) {
      return !here(t.wa_id) && !(last.transfers || []).some(function (o) { return o.wa_id === t.wa_id; });
    });
    if (fresh.length) {
      return [fresh[0].by + " passou uma conversa para você. Abrir", "/conversations/" + fresh[0].wa_id];
    }
    var arrived = (d.waiting_ids || []).filter(function (w) {
      return !here(w) && (last.waiting_ids || []).indexOf(w) < 0;
    });
    if (arrived.length) {
      var n = arrived.length;
      return [(n === 1 ? "Novo cliente aguardando atendimento" : n + " novos clientes aguardando atendimento") +
              ". Abrir", n === 1 ? "/conversations/" + arrived[n - 1] : "/inbox"];
    }
    for (var key in FEED_WORDS) {
      if (typeof d[key] === "number" && d[key] > (last[key] || 0)) {
        return [plural(d[key] - (last[key] || 0), FEED_WORDS[key].words), FEED_WORDS[key].href];
      }
    }
    return null;
  }

  function refresh() {
    if (busy) { return; }
    busy = true;
    fetch(box.getAttribute("data-src"), {
      credentials: "same-origin", cache: "no-store", redirect: "error", headers: { "Accept": "application/json" }
    }).then(function (resp) { return resp.ok ? resp.json() : null; }).then(function (d) {
      if (!d) { return; }
      var n = d.attention || 0;
      for (var k in FEED_WORDS) { if (typeof d[k] === "number") { n += d[k]; } }   // new orders too
      document.title = (n > 0 ? "(" + n + ") " : "") + baseTitle;
      var said = news(d);
      if (said) {
        show(said[0], said[1]);
        if (soundOn()) { beep(); }
      }
      last = d;
      document.dispatchEvent(new CustomEvent("chatbot:feed", { detail: d }));
    }).catch(function () { /* the next round tries again */ }).then(function () { busy = false; });
  }

  // -- Web Push: this account, this device ------------------------------------------------
  function b64ToBytes(s) {
    var raw = window.atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", redirect: "error",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRF-Token": csrfMeta ? csrfMeta.content : "" },
      body: JSON.stringify(body)
    });
  }

  function setupPush() {
    var button = document.getElementById("push-toggle");
    var say = document.getElementById("push-status");
    if (!("serviceWorker" in navigator)) {
      if (button) { button.disabled = true; say.textContent = "Este navegador não recebe avisos."; }
      return;
    }
    var reg = navigator.serviceWorker.register("/sw.js", { scope: "/" });
    if (!button) { return; }
    var key = button.getAttribute("data-key");
    if (!key || !("PushManager" in window)) {
      button.disabled = true;
      say.textContent = key ? "Este navegador não recebe avisos." : "Avisos no celular não configurados no servidor.";
      return;
    }
    reg.then(function (r) { return r.pushManager.getSubscription(); }).then(function (sub) {
      button.textContent = sub ? "Desligar avisos neste aparelho" : "Ligar avisos neste aparelho";
      button.setAttribute("data-on", sub ? "1" : "0");
    }).catch(function () { /* the button still works */ });
    button.addEventListener("click", function () {
      button.disabled = true;
      reg.then(function (r) {
        return r.pushManager.getSubscription().then(function (sub) {
          if (sub) {
            return post("/push/unsubscribe", { endpoint: sub.endpoint }).then(function () { return sub.unsubscribe(); })
              .then(function () {
                button.textContent = "Ligar avisos neste aparelho";
                say.textContent = "Avisos desligados.";
              });
          }
          return r.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64ToBytes(key) })
            .then(function (s) { return post("/push/subscribe", s.toJSON()); })
            .then(function (resp) {
              if (!resp.ok) { throw new Error(); }
              button.textContent = "Desligar avisos neste aparelho";
              say.textContent = "Pronto: este aparelho toca quando um cliente esperar, mesmo bloqueado.";
            });
        });
      }).catch(function () {
        say.textContent = "Não foi possível ligar os avisos (permita as notificações do site).";
      }).then(function () { button.disabled = false; });
    });
  }

  setupPush();
  refresh();
  setInterval(refresh, every);
}());
