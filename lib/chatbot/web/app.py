"""The Flask app factory: config bound per request, the blueprints registered."""
from __future__ import annotations

from flask import Flask, g

from .. import config as config_mod
from .. import db
from . import admin, observe, webhook


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
    from ..whatsapp.rejects import Rejects
    app.extensions["chatbot.rejects"] = Rejects()    # refused webhooks, counted in memory

    @app.before_request
    def _bind_config():
        g.cfg = cfg

    for module in (webhook, observe, admin):
        app.register_blueprint(module.bp)
    return app
