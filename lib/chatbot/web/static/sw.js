// The service worker: shows the pushes the server sends (a customer waiting,
// a conversation passed to you) even with the page closed and the phone
// locked; a tap opens that conversation. Nothing is cached: the pages are live.
"use strict";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data.text() }; }
  event.waitUntil(self.registration.showNotification(data.title || "Atendimento WhatsApp", {
    body: data.body || "",
    tag: data.url || "atendimento",
    renotify: true,
    requireInteraction: true,
    icon: "/static/favicon.svg",
    data: { url: data.url || "/inbox" }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/inbox";
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      if ("navigate" in list[i]) { return list[i].navigate(url).then(function (c) { return c && c.focus(); }); }
    }
    return self.clients.openWindow(url);
  }));
});
