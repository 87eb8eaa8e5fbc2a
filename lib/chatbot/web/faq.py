"""/admin/faq and /admin/unanswered: answers staff write, and the questions that need one.

``POST /admin/faq`` with {"q", "a"} (JSON or the page's form) adds an entry
and returns its id; ``POST /admin/faq/<id>`` edits, ``POST
/admin/faq/<id>/delete`` deletes (PUT and DELETE do the same for scripts).
An entry is in force for the next customer message (the knowledge version
moves). ``/admin/unanswered`` groups the questions that ended in a fallback
or "não encontrei"; each group's button opens the FAQ form filled in.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, g, jsonify, redirect, render_template, request, url_for

from ..bot import unanswered
from ..bot.store import knowledge
from . import auth
from .answers import body, wants_json
from .db import get_db
from .staff import current_actor

bp = Blueprint("faq", __name__)
log = logging.getLogger("chatbot.web")


def _error(status: int, message: str) -> Response:
    """A refused entry: the page again, its form filled with what was sent and the reason above it."""
    if wants_json():
        resp = jsonify({"error": message})
    else:
        resp = Response(render_template("faq.html", entries=knowledge.faq_entries(get_db()), error=message,
                                        q=request.form.get("q", ""), a=request.form.get("a", "")),
                        mimetype="text/html")
    resp.status_code = status
    return resp


@bp.get("/admin/faq")
@auth.require_role("manager")
def page():
    entries = knowledge.faq_entries(get_db())
    if wants_json():
        return jsonify({"faq": entries})
    return render_template("faq.html", entries=entries, error=None, q=request.args.get("q", "")[:300], a="")


@bp.post("/admin/faq")
@auth.require_role("manager")
def add():
    data = body()
    try:
        fid = knowledge.faq_add(get_db(), data.get("q"), data.get("a"), current_actor(), g.cfg.kb_sources_dir)
    except knowledge.FAQError as exc:
        return _error(400, str(exc))
    log.info("FAQ entry %s added by %s", fid, current_actor())
    if wants_json():
        return jsonify({"id": fid}), 201
    return redirect(url_for("faq.page") + f"#faq-{fid}", 303)


@bp.route("/admin/faq/<int:faq_id>", methods=["POST", "PUT"])
@auth.require_role("manager")
def edit(faq_id: int):
    data = body()
    try:
        found = knowledge.faq_edit(get_db(), faq_id, data.get("q"), data.get("a"), current_actor(),
                                   g.cfg.kb_sources_dir)
    except knowledge.FAQError as exc:
        return _error(400, str(exc))
    if not found:
        return _error(404, "Essa pergunta não existe mais.")
    log.info("FAQ entry %s edited by %s", faq_id, current_actor())
    if wants_json():
        return jsonify({"id": faq_id})
    return redirect(url_for("faq.page") + f"#faq-{faq_id}", 303)


@bp.route("/admin/faq/<int:faq_id>/delete", methods=["POST"])
@bp.route("/admin/faq/<int:faq_id>", methods=["DELETE"])
@auth.require_role("manager")
def delete(faq_id: int):
    if not knowledge.faq_delete(get_db(), faq_id, current_actor(), g.cfg.kb_sources_dir):
        return _error(404, "Essa pergunta não existe mais.")
    log.info("FAQ entry %s deleted by %s", faq_id, current_actor())
    if wants_json():
        return jsonify({"deleted": faq_id})
    return redirect(url_for("faq.page"), 303)


@bp.get("/admin/unanswered")
@auth.require_role("manager")
def unanswered_page():
    try:
        days = min(max(float(request.args.get("days", 30)), 1), 365)
    except ValueError:
        days = 30
    items = unanswered.groups(get_db(), days)
    if wants_json():
        return jsonify({"days": days, "groups": items})
    return render_template("unanswered.html", items=items, days=int(days))


@bp.post("/admin/unanswered/mark")
@auth.require_role("manager")
def unanswered_mark():
    """"feito" or "ignorar" on a group: {"key": group key, "state": "done" | "ignored"}."""
    data = body()
    state = {"feito": "done", "ignorar": "ignored"}.get(str(data.get("state") or ""), str(data.get("state") or ""))
    key = str(data.get("key") or "")[:500]
    if state not in ("done", "ignored") or not key:
        return _error(400, "Escolha feito ou ignorar.")
    unanswered.mark(get_db(), key, state, current_actor())
    log.info("unanswered group marked %s by %s", state, current_actor())
    if wants_json():
        return jsonify({"key": key, "state": state})
    return redirect(url_for("faq.unanswered_page"), 303)
