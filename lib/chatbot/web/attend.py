"""The human side, for operators and up: /inbox, one conversation, and the
actions on it. Every action answers JSON to scripts (Bearer, or
``Accept: application/json``) and redirects a browser's form back to the page.

    GET  /inbox                          waiting / held / recent (HTML); /inbox.json for the page's polling
    GET  /conversations/<number>         the thread; JSON with "mode", "held_by", "window", "messages"
    POST /conversations/<number>/reply   {"text": "..."}  -> 202 {"outbox_id": N}
    POST /conversations/<number>/takeover
    POST /conversations/<number>/release {"message": "..."} (optional closing message)
    POST /conversations/<number>/template {"template": "name", "values": [...]}
    GET  /handoffs/<id>                  the e-mail's link: to that conversation
"""
from __future__ import annotations

import logging

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, url_for

from .. import operators
from ..log import mask_phone
from . import auth
from .answers import body, error, phone_number, wants_json
from .db import get_db

bp = Blueprint("attend", __name__)
log = logging.getLogger("chatbot.web")



def _no_such_conversation():
    return error(404, "Nenhuma conversa com esse número.", json_error="no such conversation")


def _key(number: str):
    """(phone_number_id, wa_id) of the conversation with ``number``; the request ends in a 404 if none."""
    digits = phone_number(number)
    key = operators.locate(get_db(), digits) if digits else None
    if key is None:
        abort(_no_such_conversation())
    return key


def _done(number: str, status: int, body: dict, note: str):
    if wants_json():
        return jsonify(body), status
    return redirect(url_for("attend.conversation", number=number, ok=note), 303)


def _refused(number: str, exc: operators.Refused):
    if wants_json():
        return jsonify({"error": exc.code, "message": str(exc)}), exc.status
    return redirect(url_for("attend.conversation", number=number, erro=exc.code), 303)


@bp.get("/inbox")
@auth.require_role("operator")
def inbox():
    return render_template("inbox.html", d=operators.inbox(get_db()))


@bp.get("/inbox/fragment")
@auth.require_role("operator")
def inbox_fragment():
    """The live part of /inbox, swapped in place by static/inbox.js."""
    return render_template("_inbox_body.html", d=operators.inbox(get_db()))


@bp.get("/inbox.json")
@auth.require_role("operator")
def inbox_json():
    return jsonify(operators.inbox(get_db()))


@bp.get("/conversations/<number>")
@auth.require_role("operator")
def conversation(number: str):
    key = _key(number)
    conv = operators.conversation(get_db(), key[1])
    if conv is None:
        return _no_such_conversation()
    if wants_json():
        return jsonify(conv)
    templates = sorted(g.cfg.whatsapp.templates)
    return render_template("conversation.html", c=conv, templates=templates, ok=request.args.get("ok"),
                           erro=request.args.get("erro"), myname=g.user.name)


@bp.get("/conversations/<number>/thread")
@auth.require_role("operator")
def thread(number: str):
    """The messages, swapped in place by static/conversation.js."""
    key = _key(number)
    conv = operators.conversation(get_db(), key[1])
    return render_template("_thread.html", c=conv)


@bp.post("/conversations/<number>/reply")
@auth.require_role("operator")
def reply(number: str):
    key = _key(number)
    text = str(body().get("text") or "")
    try:
        oid = operators.reply(get_db(), key, g.user.name, text, g.cfg.handoff.timeout_minutes,
                              reply_to=body().get("reply_to"))
    except operators.Refused as exc:
        return _refused(number, exc)
    log.info("%s queued a reply to %s (outbox %d)", g.user.name, mask_phone(key[1]), oid)
    return _done(number, 202, {"outbox_id": oid, "state": "queued", "mode": "human"}, "enviada")


@bp.post("/conversations/<number>/takeover")
@auth.require_role("operator")
def takeover(number: str):
    key = _key(number)
    st = operators.takeover(get_db(), key, g.user.name, g.cfg.handoff.timeout_minutes)
    log.info("%s took over the conversation with %s", g.user.name, mask_phone(key[1]))
    return _done(number, 200, {"mode": st["mode"], "held_by": st["held_by"]}, "assumida")


@bp.post("/conversations/<number>/release")
@auth.require_role("operator")
def release(number: str):
    key = _key(number)
    data = body()
    try:
        out = operators.release(get_db(), key, g.user.name, str(data.get("message") or ""))
    except operators.Refused as exc:
        return _refused(number, exc)
    log.info("%s gave the conversation with %s back to the bot", g.user.name, mask_phone(key[1]))
    return _done(number, 200, out, "devolvida")


@bp.post("/conversations/<number>/template")
@auth.require_role("operator")
def template(number: str):
    key = _key(number)
    data = body()
    name = str(data.get("template") or "")
    tpl = g.cfg.whatsapp.templates.get(name)
    if tpl is None:
        exc = operators.Refused("Modelo não configurado.", "no_such_template", 400)
        return _refused(number, exc)
    values = data.get("values") if request.is_json else request.form.getlist("values")
    values = [str(v) for v in values] if isinstance(values, list) else []
    try:
        oid = operators.send_template(get_db(), key, g.user.name, tpl, values)
    except operators.Refused as exc:
        return _refused(number, exc)
    log.info("%s queued the template %s to %s (outbox %d)", g.user.name, name, mask_phone(key[1]), oid)
    return _done(number, 202, {"outbox_id": oid, "state": "queued"}, "modelo")


@bp.get("/handoffs/<int:handoff_id>")
@auth.require_role("operator")
def handoff_link(handoff_id: int):
    row = get_db().execute("SELECT wa_id FROM handoffs WHERE id=?", (handoff_id,)).fetchone()
    if row is None:
        return error(404, "Atendimento não encontrado.", json_error="no such handoff")
    return redirect(url_for("attend.conversation", number=row["wa_id"]), 303)
