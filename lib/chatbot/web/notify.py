"""Never miss a customer: what every staff page polls, and Web Push.

    GET  /notify.json       {"waiting": n, "unread": n, "attention": n, "transfers": [...], ...}
    GET  /sw.js             the service worker (shows pushes; a tap opens the conversation)
    POST /push/subscribe    the browser's PushSubscription (JSON) for this account's device
    POST /push/unsubscribe  {"endpoint": "..."}

``static/notify.js`` (loaded by base.html on every page) polls /notify.json and
shows a title badge, a banner and, if the person turned it on, a beep. Other
features add their own counts to the feed without touching this module::

    app.extensions.setdefault("chatbot.feed", []).append(lambda conn, user: {"orders": n})

(the page's banner then names them too: see ``FEED_WORDS`` in notify.js).
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, g, jsonify, request, send_from_directory

from .. import operators, push
from . import auth
from .db import get_db

bp = Blueprint("notify", __name__)
log = logging.getLogger("chatbot.web")


@bp.get("/notify.json")
@auth.require_role("operator")
def feed():
    conn = get_db()
    out = operators.feed(conn, g.user.name)
    for extra in current_app.extensions.get("chatbot.feed", ()):
        out.update(extra(conn, g.user))
    resp = jsonify(out)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/sw.js")
@auth.require_role("operator")
def service_worker():
    resp = send_from_directory(current_app.static_folder, "sw.js", mimetype="text/javascript", max_age=0)
    resp.headers["Service-Worker-Allowed"] = "/"
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.post("/push/subscribe")
@auth.require_role("operator")
def subscribe():
    if g.user.id is None:
        return jsonify({"error": "token", "message": "Entre com a sua conta para receber avisos."}), 400
    sub = request.get_json(silent=True)
    try:
        sid = push.subscribe(get_db(), g.user.name, sub if isinstance(sub, dict) else {})
    except push.PushError as exc:
        return jsonify({"error": "invalid", "message": str(exc)}), 400
    log.info("%s turned on push notices on a device (subscription %d)", g.user.name, sid)
    return jsonify({"id": sid, "devices": push.devices(get_db(), g.user.name)}), 201


@bp.post("/push/unsubscribe")
@auth.require_role("operator")
def unsubscribe():
    data = request.get_json(silent=True) or {}
    n = push.unsubscribe(get_db(), g.user.name, str(data.get("endpoint") or "") if isinstance(data, dict) else "")
    return jsonify({"removed": n, "devices": push.devices(get_db(), g.user.name)})
