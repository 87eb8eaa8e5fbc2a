"""chatbot-web: serve the webhook and the operators' pages with waitress."""
from __future__ import annotations

import logging
import signal
import threading

import click

from .. import sdnotify
from .common import Failure, config_option, load_config

log = logging.getLogger("chatbot.web")


@click.command(help="""Serve the WhatsApp webhook, /health, /metrics and the dashboard.

\b
Example:
    CHATBOT_CONFIG=/etc/chatbot/chatbot.toml chatbot-web
""")
@config_option
@click.option("--host", help="Bind address (default [web] host).")
@click.option("--port", type=int, help="Port (default [web] port).")
def main(config_path, host, port):
    import waitress

    from ..web.app import create_app
    from .. import config as config_mod
    cfg = load_config(config_path)
    try:
        config_mod.check_admin_token(cfg)
    except config_mod.ConfigError as exc:
        raise Failure(str(exc), code=2) from None
    host, port = host or cfg.web.host, port or cfg.web.port
    app = create_app(cfg)
    mode = "sandbox (replies recorded, not sent)" if cfg.whatsapp.sandbox else "live"
    log.info("chatbot-web listening on http://%s:%d in %s mode", host, port, mode)
    # waitress drops X-Forwarded-* itself unless told otherwise; with
    # trusted_proxies the app's ProxyFix reads them (only the last N hops).
    server = waitress.create_server(app, host=host, port=port, threads=cfg.web.threads,
                                    channel_timeout=30, connection_limit=500, ident="chatbot",
                                    clear_untrusted_proxy_headers=not cfg.web.trusted_proxies)
    from ..web.serve import serve
    stop = threading.Event()

    def on_signal(signum, _frame):
        log.info("received %s: no new connections, finishing requests in flight", signal.Signals(signum).name)
        sdnotify.notify(STOPPING=1)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sdnotify.notify(READY=1, STATUS=f"listening on {host}:{port}")
    serve(server, stop)
    log.info("chatbot-web stopped")
