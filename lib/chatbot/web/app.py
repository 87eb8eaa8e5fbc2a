"""The Flask app factory and the per-thread database connection."""
from __future__ import annotations

import threading

from flask import Flask, g

from .. import config as config_mod
from .. import db

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
    app = Flask(__name__)
    app.config.update(
        CHATBOT=cfg,
        MAX_CONTENT_LENGTH=cfg.web.max_body_bytes,
        SECRET_KEY=cfg.admin.token or None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=cfg.web.secure_cookies,
    )
    # Create the schema once at start-up, not inside the first webhook call.
    db.connect(cfg.db_path).close()

    @app.before_request
    def _bind_config():
        g.cfg = cfg

    from . import admin, catalog, faq, hooks, observe
    for module in (hooks, observe, admin, catalog, faq):
        app.register_blueprint(module.bp)
    return app
