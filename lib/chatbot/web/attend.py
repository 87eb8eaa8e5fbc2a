"""The human side, for operators and up: /inbox, one conversation, and the
actions on it. Every action answers JSON to scripts (Bearer, or
``Accept: application/json``) and redirects a browser's form back to the page.

    GET  /inbox[?q=words]                waiting / held / recent (HTML), or the search's results;
                                         /inbox.json for scripts
    GET  /conversations/<number>         the thread; JSON with "mode", "held_by", "window", "messages"
    POST /conversations/<number>/reply   {"text": "..."}  -> 202 {"outbox_id": N}
    POST /conversations/<number>/takeover {"confirm": "1"} to take it from a colleague (else 409 "held")
    POST /conversations/<number>/transfer {"to": "colleague"}
    POST /conversations/<number>/note    {"text": "..."} (internal: never sent to the customer)
    POST /conversations/<number>/resolve
    POST /conversations/<number>/release {"message": "..."} (optional closing message)
    POST /conversations/<number>/template {"template": "name", "values": [...]}
    GET  /handoffs/<id>                  the e-mail's link: to that conversation
"""
from __future__ import annotations

import logging

from flask import Blueprint, g, jsonify, redirect, render_template, request, url_for

from .. import accounts, operators, push, quickreplies
from ..bot import unanswered
from ..log import mask_phone
from . import auth
from .answers import body, conversation_key, done, error, no_such_conversation, refused, wants_json
from .db import get_db

bp = Blueprint("attend", __name__)
log = logging.getLogger("chatbot.web")


@bp.errorhandler(operators.Refused)
def _refused(exc: operators.Refused):
    """Every action here that operators refuses: the reason to scripts, the browser back to the conversation."""
    return refused(exc, _page(request.view_args["number"], erro=exc.code))


def _page(number: str, **note) -> str:
    return url_for("attend.conversation", number=number, **note)


def _done(number: str, status: int, data: dict, note: str):
    return done(status, data, _page(number, ok=note))


@bp.get("/inbox")
@auth.require_role("operator")
def inbox():
    q = request.args.get("q", "").strip()[:100]
    found = operators.search(get_db(), q) if q else None
    return render_template("inbox.html", d=operators.inbox(get_db(), who=g.user.name), q=q, found=found,
                           push_key=push.public_key(g.cfg), devices=push.devices(get_db(), g.user.name))


@bp.get("/inbox/fragment")
@auth.require_role("operator")
def inbox_fragment():
    """The live part of /inbox, swapped in place by static/inbox.js."""
    cap = request.args.get("cap", type=int)
    return render_template("_inbox_body.html", d=operators.inbox(get_db(), who=g.user.name),
                           current=request.args.get("current"), cap=max(cap, 1) if cap else None)


@bp.get("/inbox.json")
@auth.require_role("operator")
def inbox_json():
    return jsonify(operators.inbox(get_db(), who=g.user.name))


def _page_data(key, conv) -> dict:
    me = g.user.name
    conn = get_db()
    templates = [{**t, "key": k, "text": operators.template_text(t)}
                 for k, t in sorted(g.cfg.whatsapp.templates.items())]
    colleagues = [u["name"] for u in accounts.listing(conn) if u["name"].lower() != me.lower()]
    return {"c": conv, "templates": templates, "myname": me, "colleagues": colleagues,
            "quick": quickreplies.listing(conn), "d": operators.inbox(conn, who=me)}


@bp.get("/conversations/<number>")
@auth.require_role("operator")
def conversation(number: str):
    key = conversation_key(number)
    conv = operators.conversation(get_db(), key[1], g.cfg.whatsapp.templates)
    if conv is None:
        return no_such_conversation()
    if g.user.id is not None:
        operators.mark_read(get_db(), key, g.user.name)
    if wants_json():
        return jsonify(conv)
    return render_template("conversation.html", ok=request.args.get("ok"), erro=request.args.get("erro"),
                           **_page_data(key, conv))


@bp.get("/conversations/<number>/thread")
@auth.require_role("operator")
def thread(number: str):
    """The messages and who holds the conversation, swapped in place by static/conversation.js
    (the page is open: what it shows is read)."""
    key = conversation_key(number)
    conv = operators.conversation(get_db(), key[1], g.cfg.whatsapp.templates)
    if g.user.id is not None:
        operators.mark_read(get_db(), key, g.user.name)
    return render_template("_thread.html", c=conv, myname=g.user.name)


# The actions share one shape (route, guard, the conversation, operators' call, a log line, the answer:
# `duplicates` pairs them); what they share is a function each (answers.conversation_key, _refused, _done),
# and each keeps its own fields, log line and note.
@bp.post("/conversations/<number>/reply")
@auth.require_role("operator")
def reply(number: str):
    key = conversation_key(number)
    text = str(body().get("text") or "")
    oid = operators.reply(get_db(), key, g.user.name, text, g.cfg.handoff.timeout_minutes,
                          reply_to=body().get("reply_to"))
    log.info("%s queued a reply to %s (outbox %d)", g.user.name, mask_phone(key[1]), oid)
    return _done(number, 202, {"outbox_id": oid, "state": "queued", "mode": "human"}, "enviada")


@bp.post("/conversations/<number>/takeover")
@auth.require_role("operator")
def takeover(number: str):
    key = conversation_key(number)
    confirm = str(body().get("confirm") or "") in ("1", "true", "sim")
    st = operators.takeover(get_db(), key, g.user.name, g.cfg.handoff.timeout_minutes, confirm=confirm)
    log.info("%s took over the conversation with %s", g.user.name, mask_phone(key[1]))
    return _done(number, 200, {"mode": st["mode"], "held_by": st["held_by"]}, "assumida")


@bp.post("/conversations/<number>/transfer")
@auth.require_role("operator")
def transfer(number: str):
    key = conversation_key(number)
    to = str(body().get("to") or "")
    st = operators.transfer(get_db(), key, g.user.name, to, g.cfg.handoff.timeout_minutes)
    log.info("%s passed the conversation with %s to %s", g.user.name, mask_phone(key[1]), st["held_by"])
    return _done(number, 200, {"mode": st["mode"], "held_by": st["held_by"]}, "transferida")


@bp.post("/conversations/<number>/note")
@auth.require_role("operator")
def note(number: str):
    key = conversation_key(number)
    nid = operators.add_note(get_db(), key, g.user.name, str(body().get("text") or ""))
    return _done(number, 201, {"note_id": nid}, "nota")


@bp.post("/conversations/<number>/resolve")
@auth.require_role("operator")
def resolve(number: str):
    key = conversation_key(number)
    out = operators.resolve(get_db(), key, g.user.name)
    log.info("%s marked the conversation with %s resolved", g.user.name, mask_phone(key[1]))
    return _done(number, 200, out, "resolvida")


@bp.post("/conversations/<number>/release")
@auth.require_role("operator")
def release(number: str):
    key = conversation_key(number)
    data = body()
    out = operators.release(get_db(), key, g.user.name, str(data.get("message") or ""))
    log.info("%s gave the conversation with %s back to the bot", g.user.name, mask_phone(key[1]))
    return _done(number, 200, out, "devolvida")


@bp.post("/conversations/<number>/template")
@auth.require_role("operator")
def template(number: str):
    key = conversation_key(number)
    data = body()
    name = str(data.get("template") or "")
    tpl = g.cfg.whatsapp.templates.get(name)
    if tpl is None:
        raise operators.Refused("Modelo não configurado.", "no_such_template", 400)
    values = data.get("values") if request.is_json else request.form.getlist("values")
    values = [str(v) for v in values] if isinstance(values, list) else []
    oid = operators.send_template(get_db(), key, g.user.name, tpl, values)
    log.info("%s queued the template %s to %s (outbox %d)", g.user.name, name, mask_phone(key[1]), oid)
    return _done(number, 202, {"outbox_id": oid, "state": "queued"}, "modelo")


@bp.post("/conversations/<number>/wrong/<int:inbox_id>")
@auth.require_role("operator")
def wrong_answer(number: str, inbox_id: int):
    """"resposta errada" on a bot reply: its question goes to the managers' unanswered list."""
    key = conversation_key(number)
    row = get_db().execute("SELECT 1 FROM inbox WHERE id=? AND wa_id=? AND phone_number_id=?",
                           (inbox_id, key[1], key[0])).fetchone()
    out = unanswered.report_wrong(get_db(), inbox_id, g.user.name) if row else None
    if out is None:
        return auth.error(404, "Essa resposta do robô não existe.", json_error="no such reply")
    log.info("%s reported a wrong bot answer to %s", g.user.name, mask_phone(key[1]))
    return _done(number, 201, {"reported": True, **out}, "errada")


@bp.get("/handoffs/<int:handoff_id>")
@auth.require_role("operator")
def handoff_link(handoff_id: int):
    row = get_db().execute("SELECT wa_id FROM handoffs WHERE id=?", (handoff_id,)).fetchone()
    if row is None:
        return error(404, "Atendimento não encontrado.", json_error="no such handoff")
    return redirect(url_for("attend.conversation", number=row["wa_id"]), 303)
