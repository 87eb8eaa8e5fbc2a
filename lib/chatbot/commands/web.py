"""chatbot-web: serve the webhook and the operators' pages with waitress."""
from __future__ import annotations

import dataclasses
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
    from ..web.app import create_app
    from .. import config as config_mod
    from ..web.serve import create_server, serve
    cfg = load_config(config_path)
    try:
        config_mod.check_admin_token(cfg)
    except config_mod.ConfigError as exc:
        raise Failure(str(exc), code=2) from None
    host, port = host or cfg.web.host, port or cfg.web.port
    # What the app knows as [web] host is where it really listens (sandbox mode
    # takes unsigned webhooks only on loopback).
    cfg = dataclasses.replace(cfg, web=dataclasses.replace(cfg.web, host=host, port=port))
    app = create_app(cfg)
    mode = "sandbox (replies recorded, not sent)" if cfg.whatsapp.sandbox else "live"
    log.info("chatbot-web listening on http://%s:%d in %s mode", host, port, mode)
    from ..web.webhook import unsigned_allowed
    if not cfg.whatsapp.app_secret and not unsigned_allowed(cfg):
        log.warning("no [whatsapp] app_secret and listening on %s: unsigned webhooks are refused (403);"
                    " set the app secret, or [whatsapp] allow_unsigned = true", host)
    server = create_server(app, cfg, host, port)
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
