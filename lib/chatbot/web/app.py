"""The Flask app factory and the per-thread database connection."""
from __future__ import annotations

import threading

from flask import Flask, g
from werkzeug.middleware.proxy_fix import ProxyFix

from .. import accounts, db
from .. import config as config_mod

_local = threading.local()


def get_db():
    """One connection per waitress thread, kept open: opening SQLite and
    setting its pragmas on every webhook call would cost more than the insert."""
    path = str(g.cfg.db_path)
    conns = getattr(_local, "conns", None)
    if conns is None:
        conns = _local.conns = {}
    conn = conns.get(path)
    if conn is None:
        # NORMAL: what must survive a power cut here (a stored inbox batch) is
        # committed with durable=True anyway; a reject record need not cost an
        # fsync, or a flood of forged posts becomes a flood of disk syncs.
        conn = conns[path] = db.connect(path, busy_timeout_ms=g.cfg.web.db_busy_timeout_ms,
                                        synchronous="NORMAL")
    return conn


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

    @app.before_request
    def _bind_config():
        g.cfg = cfg

    from . import admin, attend, hooks, observe, users
    for module in (hooks, observe, admin, attend, users):
        app.register_blueprint(module.bp)
    return app
