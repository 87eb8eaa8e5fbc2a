"""/admin/catalog: staff upload a catalog file, see what it would change, confirm it.

``POST /admin/catalog`` (multipart field ``catalog``) answers the preview
and a ``token`` naming it; ``POST /admin/catalog/apply`` with that token
applies exactly that file (``confirm_suspicious`` too when the preview was
flagged); ``POST /admin/catalog/rollback`` puts the previous catalog back.
A file whose header has a column nobody recognises gets the mapping step
instead of a preview: ``POST /admin/catalog/columns`` (the token and
``col_<n>`` = the field column n holds, "" to ignore it) remembers those
names and shows the preview. ``GET /admin/catalog/modelo.csv`` is a sample
spreadsheet with the names the import knows.
HTML for the browser, JSON for scripts (Bearer, or Accept: application/json).
The work is chatbot.bot.store.catalog's; these views only translate.
"""
from __future__ import annotations

import functools
import logging

from flask import Blueprint, Response, g, jsonify, render_template, request, url_for

from .. import db
from ..bot.store import catalog, catalog_file, knowledge
from . import auth
from .answers import body, error, wants_json
from .db import get_db
from .staff import current_actor

bp = Blueprint("catalog", __name__)
log = logging.getLogger("chatbot.web")
SHOW = 300          # rows of each list the page shows (the JSON has them all)


def _error(status: int, message: str):
    return error(status, message, back=url_for("catalog.page"))


def _truthy(value) -> bool:
    return value is True or str(value).lower() in ("1", "true", "on", "yes", "sim")


@bp.get("/admin/catalog")
@auth.require_role("manager")
def page():
    conn = get_db()
    s = knowledge.summary(conn)
    history = [c for c in knowledge.changes(conn, 15)]
    if wants_json():
        return jsonify({"version": s["version"], "products": s["products"], "promotions": s["promotions"],
                        "wholesale": s["wholesale"], "imported_at": s["imported_at"], "changes": history,
                        "can_rollback": knowledge.last_previous_catalog(conn) is not None})
    return render_template("catalog.html", s=s, history=history, max_mb=g.cfg.kb.max_upload_bytes // 1_048_576,
                           can_rollback=knowledge.last_previous_catalog(conn) is not None)


def takes_upload(view):
    """The catalog's body limit, not the webhook's: set before the guard reads the form (CSRF)."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        request.max_content_length = g.cfg.kb.max_upload_bytes
        return view(*args, **kwargs)
    return wrapped


@bp.post("/admin/catalog")
@takes_upload
@auth.require_role("manager")
def upload():
    f = request.files.get("catalog")
    if f is None or not f.filename:
        return _error(400, "Escolha o arquivo do catálogo (campo 'catalog': .csv ou .xlsx).")
    data = f.read()
    result = catalog.stage(get_db(), data, f.filename.replace("\\", "/").rsplit("/", 1)[-1], current_actor(), g.cfg)
    log.info("catalog preview %s by %s: %s", result["file"], current_actor(), result["counts"])
    return _preview(result)


def _preview(result: dict):
    if wants_json():
        return jsonify(result)
    if result["needs_mapping"]:
        return render_template("catalog_columns.html", p=result, labels=catalog_file.LABELS,
                               required=catalog_file.REQUIRED_FIELDS)
    return render_template("catalog_preview.html", p=result, show=SHOW)


@bp.post("/admin/catalog/columns")
@auth.require_role("manager")
def columns():
    data = request.get_json(silent=True) if request.is_json else request.form
    data = data if hasattr(data, "get") else {}
    chosen = {}
    for key in data:
        if key.startswith("col_") and key[4:].isdigit() and int(key[4:]) < 1000:
            chosen[int(key[4:])] = str(data.get(key) or "")
    try:
        result = catalog.map_columns(get_db(), str(data.get("token") or ""), chosen, current_actor(), g.cfg)
    except catalog.CatalogError as exc:
        return _error(exc.status, str(exc))
    log.info("catalog columns named by %s for %s", current_actor(), result["file"])
    return _preview(result)


@bp.get("/admin/catalog/modelo.csv")
@auth.require_role("manager")
def sample():
    return Response(catalog.sample_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="modelo-catalogo.csv"',
                             "Content-Type": "text/csv; charset=windows-1252"})


@bp.post("/admin/catalog/apply")
@auth.require_role("manager")
def apply():
    data = body()
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
@auth.require_role("manager")
def rollback():
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
