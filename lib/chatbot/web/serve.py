"""Run waitress with a graceful stop.

waitress on its own dies mid-request on SIGTERM. Here SIGTERM closes the
listening socket first (new connections are refused, so a load balancer or
Meta retries elsewhere or later), then keeps the event loop turning until
the requests already accepted have been answered, for at most ``grace``
seconds. A webhook that was acknowledged was committed first, so the only
cost of running out of grace is a redelivery.

The body limit is waitress's own (``max_request_body_size``): it refuses a
declared Content-Length over ``[web] max_body_bytes`` as soon as the headers
are read, and stops a chunked body once it passes the limit. Flask's
MAX_CONTENT_LENGTH alone applies only after waitress has buffered the whole
body (a 200 MiB upload became a 208 MB temp file before the 413), and a
huge declared length that never arrived was never answered at all.

Catalog uploads are the one exception: ``POST /admin/catalog`` takes up to
``[kb] max_upload_bytes`` (a 15,000-product ERP file is 2 MB). The parser
below picks the limit per request, from the request line, before any of the
body is read; every other path keeps ``[web] max_body_bytes``. A refused
upload gets a pt-BR page (JSON for scripts), not waitress's English text.
"""
from __future__ import annotations

import copy
import html
import json
import logging
import threading
import time

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.utilities import Error, RequestEntityTooLarge

log = logging.getLogger("chatbot.web")


UPLOAD_PATHS = frozenset({"/admin/catalog"})      # POST only: the catalog file
DRAIN_FACTOR = 4        # a refused upload declaring up to 4x the limit is read and dropped, then answered


def create_server(app, cfg, host: str, port: int):
    import waitress
    server = waitress.create_server(
        app, host=host, port=port, threads=cfg.web.threads, channel_timeout=30, connection_limit=500,
        ident="chatbot",
        # Its own socket map, not waitress's process-wide one: serve() walks and closes it.
        map={},
        # waitress refuses at >= the limit; a body of exactly max_body_bytes is allowed.
        max_request_body_size=cfg.web.max_body_bytes + 1,
        # X-Forwarded-* reach the app: with trusted_proxies its ProxyFix reads them (only the
        # last N hops); without, nothing believes them, but their presence tells the webhook
        # that a proxy forwarded the post (unsigned posts are taken only from this host).
        clear_untrusted_proxy_headers=False)
    server.channel_class = upload_channel(server.adj, cfg.kb.max_upload_bytes)
    return server


class TooLarge(Error):
    """waitress's 413, in the staff's language: a page for a browser, JSON for a script."""
    code, reason = 413, "Request Entity Too Large"

    def __init__(self, limit: int, wants_html: bool):
        super().__init__(f"exceeds max_body of {limit}")
        self.limit, self.wants_html = limit, wants_html

    def to_response(self, ident=None):
        mb = self.limit // 1_048_576
        text = f"Arquivo grande demais: o máximo é {mb} MB. Nada foi alterado."
        if not self.wants_html:
            return (f"{self.code} {self.reason}", [("Content-Type", "application/json")],
                    json.dumps({"error": text}, ensure_ascii=False).encode())
        body = TOO_LARGE_PAGE.format(message=html.escape(text)).encode()
        return (f"{self.code} {self.reason}", [("Content-Type", "text/html; charset=utf-8"),
                                               ("Content-Security-Policy", "default-src 'self'"),
                                               ("Cache-Control", "no-store")], body)


TOO_LARGE_PAGE = """<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Não foi possível · Atendimento WhatsApp</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body><header class="top"><a class="brand" href="/">Atendimento WhatsApp</a></header>
<main><section class="card"><h1>Não foi possível</h1>
<p class="notice bad" role="alert">{message}</p>
<p><a href="/admin/catalog">Voltar ao catálogo</a></p></section></main></body></html>
"""


def upload_channel(adj, upload_limit: int):
    """A channel class whose requests to UPLOAD_PATHS may carry ``upload_limit`` bytes."""
    upload_adj = copy.copy(adj)
    # waitress refuses at >= the limit; a file of exactly max_upload_bytes is allowed.
    upload_adj.max_request_body_size = max(upload_limit + 1, adj.max_request_body_size)

    class Parser(HTTPRequestParser):
        upload = False
        draining = 0

        def parse_header(self, header_plus):
            super().parse_header(header_plus)
            if self.command == "POST" and self.path in UPLOAD_PATHS:
                self.upload = True
                self.adj = upload_adj       # read by received() for this request only

        def received(self, data):
            if self.draining:
                n = min(len(data), self.draining)
                self.draining -= n
                self.completed = self.draining == 0
                return n
            consumed = super().received(data)
            if self.upload and isinstance(self.error, RequestEntityTooLarge):
                accept = self.headers.get("ACCEPT", "")
                self.error = TooLarge(upload_limit, "text/html" in accept)
                small = self.content_length <= DRAIN_FACTOR * upload_limit
                if not self.chunked and self.body_bytes_received == 0 and small:
                    # A browser sends the whole file before it reads an answer: read the rest and
                    # drop it (nothing is buffered), so the page arrives instead of a reset.
                    self.draining, self.completed = self.content_length, False
            return consumed

    return type("UploadChannel", (HTTPChannel,), {"parser_class": Parser})


def _busy(server) -> bool:
    for ch in list(server._map.values()):
        if ch is server or ch is getattr(server, "trigger", None):
            continue
        if getattr(ch, "requests", None) or getattr(ch, "total_outbufs_len", 0):
            return True
    return False


def serve(server, stop: threading.Event, grace: float = 10.0) -> None:
    while not stop.is_set():
        wasyncore.loop(timeout=0.5, map=server._map, count=1)
    # Stop accepting: close only the listener; the trigger must stay, worker
    # threads use it to hand finished responses back to this loop.
    wasyncore.dispatcher.close(server)
    deadline = time.monotonic() + grace
    while _busy(server) and time.monotonic() < deadline:
        wasyncore.loop(timeout=0.1, map=server._map, count=1)
    unfinished = _busy(server)
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=2)
    wasyncore.close_all(server._map)
    if unfinished:
        log.warning("stopped with requests still in flight after %.0fs grace (Meta will redeliver them)", grace)
