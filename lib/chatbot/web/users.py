"""/users: the staff accounts, for admins. Accounts are created and changed
with ``chatbot users`` on the host (a password never travels through a form
someone else could be looking at); here an admin sees them and can end a
user's sessions, e.g. for a lost phone."""
from __future__ import annotations

import logging

from flask import Blueprint, g, jsonify, redirect, render_template, url_for

from .. import accounts
from . import auth
from .answers import error, wants_json
from .db import get_db

bp = Blueprint("users", __name__)
log = logging.getLogger("chatbot.web")


@bp.get("/users")
@auth.require_role("admin")
def listing():
    rows = accounts.listing(get_db())
    if wants_json():
        return jsonify({"users": rows})
    return render_template("users.html", users=rows, labels=accounts.ROLE_LABELS)


@bp.post("/users/<name>/logout")
@auth.require_role("admin")
def end_sessions(name: str):
    try:
        ended = accounts.end_sessions(get_db(), name, why=f"ended by {g.user.name}")
    except accounts.AccountError:
        return error(404, "Usuário não encontrado.", json_error="no such user")
    log.info("%s ended %d session(s) of %s", g.user.name, ended, name)
    if wants_json():
        return jsonify({"user": name, "ended": ended})
    return redirect(url_for("users.listing"), 303)
