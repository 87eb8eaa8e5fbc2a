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
"""
from __future__ import annotations

import logging
import threading
import time

from waitress import wasyncore

log = logging.getLogger("chatbot.web")


def create_server(app, cfg, host: str, port: int):
    import waitress
    return waitress.create_server(
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
