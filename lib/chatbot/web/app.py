"""The Flask app factory: config bound per request, the blueprints registered."""
from __future__ import annotations

from flask import Flask, g
from werkzeug.middleware.proxy_fix import ProxyFix

from .. import accounts, db
from .. import config as config_mod
from . import admin, attend, catalog, faq, notify, observe, quick, users, webhook


def create_app(cfg: config_mod.Config | None = None) -> Flask:
    cfg = cfg or config_mod.load()
    config_mod.check_admin_token(cfg)
    app = Flask(__name__)
    # No SECRET_KEY: sessions live in the database (accounts.py), not in a signed cookie.
    app.config.update(CHATBOT=cfg, MAX_CONTENT_LENGTH=cfg.web.max_body_bytes)
    if cfg.web.trusted_proxies:
        # remote_addr, scheme and host as the client used them, from the last
        # N entries of X-Forwarded-*: what the throttle and metrics_allow see.
        n = cfg.web.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    # Create the schema once at start-up, not inside the first webhook call;
    # sessions opened with an admin token that is no longer in force end here.
    conn = db.connect(cfg.db_path)
    try:
        accounts.end_stale_token_sessions(conn, cfg.admin.token)
    finally:
        conn.close()
    from ..whatsapp.rejects import Rejects
    app.extensions["chatbot.rejects"] = Rejects()    # refused webhooks, counted in memory

    @app.before_request
    def _bind_config():
        g.cfg = cfg

    for module in (webhook, observe, admin, attend, users, catalog, faq, notify, quick):
        app.register_blueprint(module.bp)
    return app
