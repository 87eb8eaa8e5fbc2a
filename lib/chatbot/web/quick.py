"""/respostas-rapidas: the team's quick replies, kept by managers (operators
use them by typing "/" in a conversation's reply box).

    GET  /respostas-rapidas                    the list and the form (JSON: {"quick_replies": [...]})
    POST /respostas-rapidas                    {"shortcut", "body"} -> 201 {"id"}
    POST /respostas-rapidas/<id>               change it
    POST /respostas-rapidas/<id>/delete
"""
from __future__ import annotations

import logging

from flask import Blueprint, g, jsonify, redirect, render_template, request, url_for

from .. import quickreplies
from . import auth
from .answers import wants_json
from .db import get_db

bp = Blueprint("quick", __name__)
log = logging.getLogger("chatbot.web")


def _body() -> dict:
    data = request.get_json(silent=True) if request.is_json else request.form
    return data if hasattr(data, "get") else {}


def _page(error: str | None = None, status: int = 200, form: dict | None = None):
    items = quickreplies.listing(get_db())
    if wants_json():
        body = {"error": error} if error else {"quick_replies": items}
        return jsonify(body), status
    return render_template("quick_replies.html", items=items, error=error, form=form or {}), status


@bp.get("/respostas-rapidas")
@auth.require_role("manager")
def page():
    return _page()


@bp.post("/respostas-rapidas")
@bp.post("/respostas-rapidas/<int:qr_id>")
@auth.require_role("manager")
def save(qr_id: int | None = None):
    data = _body()
    try:
        rid = quickreplies.save(get_db(), str(data.get("shortcut") or ""), str(data.get("body") or ""),
                                g.user.name, qr_id)
    except quickreplies.QuickReplyError as exc:
        return _page(str(exc), 400, {"shortcut": data.get("shortcut", ""), "body": data.get("body", "")})
    log.info("quick reply %d saved by %s", rid, g.user.name)
    if wants_json():
        return jsonify({"id": rid}), 201 if qr_id is None else 200
    return redirect(url_for("quick.page") + f"#qr-{rid}", 303)


@bp.post("/respostas-rapidas/<int:qr_id>/delete")
@auth.require_role("manager")
def delete(qr_id: int):
    if not quickreplies.delete(get_db(), qr_id):
        return _page("Essa resposta rápida não existe mais.", 404)
    log.info("quick reply %d deleted by %s", qr_id, g.user.name)
    if wants_json():
        return jsonify({"deleted": qr_id})
    return redirect(url_for("quick.page"), 303)
