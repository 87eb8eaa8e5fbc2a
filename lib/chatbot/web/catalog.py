"""/admin/catalog: staff upload a catalog file, see what it would change, confirm it.

``POST /admin/catalog`` (multipart field ``catalog``) answers the preview
and a ``token`` naming it; ``POST /admin/catalog/apply`` with that token
applies exactly that file (``confirm_suspicious`` too when the preview was
flagged); ``POST /admin/catalog/rollback`` puts the previous catalog back.
HTML for the browser, JSON for scripts (Bearer, or Accept: application/json).
The work is chatbot.bot.catalog's; these views only translate.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, g, jsonify, render_template, request

from .. import db
from ..bot import catalog, fmt, knowledge
from . import reasons
from .db import get_db
from .staff import current_actor, guard, require_role, secure_headers, wants_json

bp = Blueprint("catalog", __name__)
bp.before_request(guard)
bp.after_request(secure_headers)
bp.add_app_template_filter(reasons.motivo, "motivo")
bp.add_app_template_filter(fmt.money, "money")
log = logging.getLogger("chatbot.web")
SHOW = 300          # rows of each list the page shows (the JSON has them all)


def _error(status: int, message: str) -> Response:
    if wants_json():
        resp = jsonify({"error": message})
    else:
        resp = Response(render_template("catalog_done.html", title="Não foi possível", message=message, done=None),
                        mimetype="text/html")
    resp.status_code = status
    return resp


def _truthy(value) -> bool:
    return value is True or str(value).lower() in ("1", "true", "on", "yes", "sim")


@bp.get("/admin/catalog")
def page():
    if (denied := require_role("manager")):     # managers and admins
        return denied
    conn = get_db()
    s = knowledge.summary(conn)
    history = [c for c in knowledge.changes(conn, 15)]
    if wants_json():
        return jsonify({"version": s["version"], "products": s["products"], "promotions": s["promotions"],
                        "wholesale": s["wholesale"], "imported_at": s["imported_at"], "changes": history,
                        "can_rollback": knowledge.last_previous_catalog(conn) is not None})
    return render_template("catalog.html", s=s, history=history,
                           can_rollback=knowledge.last_previous_catalog(conn) is not None)


@bp.post("/admin/catalog")
def upload():
    if (denied := require_role("manager")):     # managers and admins
        return denied
    request.max_content_length = g.cfg.kb.max_upload_bytes
    f = request.files.get("catalog")
    if f is None or not f.filename:
        return _error(400, "Escolha o arquivo do catálogo (campo 'catalog': .csv ou .xlsx).")
    data = f.read()
    result = catalog.stage(get_db(), data, f.filename.replace("\\", "/").rsplit("/", 1)[-1], current_actor(), g.cfg)
    log.info("catalog preview %s by %s: %s", result["file"], current_actor(), result["counts"])
    if wants_json():
        return jsonify(result)
    return render_template("catalog_preview.html", p=result, show=SHOW)


@bp.post("/admin/catalog/apply")
def apply():
    if (denied := require_role("manager")):     # managers and admins
        return denied
    data = request.get_json(silent=True) if request.is_json else request.form
    data = data if hasattr(data, "get") else {}
    try:
        done = catalog.apply(get_db(), db.storable(str(data.get("token") or "")), current_actor(), g.cfg,
                             confirm_suspicious=_truthy(data.get("confirm_suspicious")))
    except catalog.CatalogError as exc:
        return _error(exc.status, str(exc))
    log.info("catalog %s applied by %s: version %s", done["file"], done["actor"], done["version"])
    if wants_json():
        return jsonify(done)
    return render_template("catalog_done.html", title="Catálogo atualizado", message=None, done=done)


@bp.post("/admin/catalog/rollback")
def rollback():
    if (denied := require_role("manager")):     # managers and admins
        return denied
    try:
        done = catalog.rollback(get_db(), current_actor(), g.cfg)
    except catalog.CatalogError as exc:
        return _error(exc.status, str(exc))
    log.info("catalog rolled back by %s: version %s", current_actor(), done["version"])
    if wants_json():
        return jsonify(done)
    return render_template("catalog_done.html", title="Catálogo anterior restaurado", message=None,
                           done={**done, "file": done["restored"].rsplit("/", 1)[-1]})


@bp.errorhandler(413)
def _too_large(_exc):
    return _error(413, f"Arquivo grande demais (máximo {g.cfg.kb.max_upload_bytes // 1_048_576} MB).")
