"""The Flask app factory: config bound per request, the blueprints registered."""
from __future__ import annotations

import logging
import sqlite3

from flask import Flask, Response, g, jsonify, request
from werkzeug.middleware.proxy_fix import ProxyFix

from .. import accounts, db, operators
from .. import config as config_mod
from ..bot import fmt
from . import (
    admin,
    answers,
    attend,
    auth,
    catalog,
    charts,
    faq,
    media,
    notify,
    observe,
    orders,
    quick,
    reasons,
    richtext,
    users,
    webhook,
)

log = logging.getLogger("chatbot.web")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self';"
       " form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


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

    for module in (webhook, observe, admin, attend, media, users, catalog, faq, orders, notify, quick):
        app.register_blueprint(module.bp)
    _answers(app)
    return app


def _answers(app: Flask) -> None:
    """What every page shares: template helpers, headers, and the answer to a failure."""
    charts.register_filters(app)
    app.add_template_filter(reasons.motivo, "motivo")
    app.add_template_filter(fmt.money, "money")
    app.add_template_filter(richtext.whatsapp_html, "whatsapp")     # *negrito*, _itálico_, escaped first
    app.add_template_filter(richtext.tel_href, "tel")
    app.add_template_filter(operators.type_label, "type_label")
    app.add_template_global(auth.csrf_token, "csrf_token")
    app.add_template_global(auth.current_user, "current_user")

    @app.after_request
    def _headers(resp: Response) -> Response:
        # Plain assignment: werkzeug's setdefault costs a raised-and-caught
        # KeyError each, on every webhook call.
        h = resp.headers
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "no-referrer"
        h["X-Frame-Options"] = "DENY"
        if resp.mimetype == "text/html":
            h["Content-Security-Policy"] = CSP
        if request.endpoint != "static":     # static files say their own; pages and data are never cached
            h["Cache-Control"] = "no-store"
        return auth.set_login_cookie(resp)

    @app.errorhandler(sqlite3.Error)
    def _database_error(exc):
        log.error("%s %s: %s", request.method, request.path, db.describe_error(exc))
        return answers.error(503, f"Banco de dados indisponível: {db.describe_error(exc)}")

    @app.errorhandler(500)
    def _internal_error(exc):
        # Never the exception text: it may quote a configuration value. (Flask
        # has already logged the traceback, through the log's secret scrubbing.)
        if answers.prefers_html():
            return Response("<!doctype html><title>Erro</title><p>Erro interno. Tente novamente.</p>",
                            status=500, mimetype="text/html")
        return jsonify({"error": "internal error"}), 500
