"""/users: the staff accounts, for admins: create one, change its role, set a
new password (which ends its sessions), end its sessions (a lost phone),
remove it. Roles are shown as staff call them (atendente, gerente,
administrador). The same is ``chatbot users`` on the host.

    GET  /users                          the list (JSON: {"users": [...]})
    POST /users                          {"name", "role", "password"} -> 201
    POST /users/<name>/role              {"role"}
    POST /users/<name>/password          {"password"}
    POST /users/<name>/logout
    POST /users/<name>/delete
"""
from __future__ import annotations

import logging

from flask import Blueprint, g, jsonify, render_template, request, url_for

from .. import accounts, push
from . import auth
from .answers import body, done, error, wants_json
from .db import get_db

bp = Blueprint("users", __name__)
log = logging.getLogger("chatbot.web")

NOTES = {"criado": "Usuário criado.", "papel": "Papel alterado.",
         "senha": "Senha trocada: as sessões abertas terminaram.",
         "sessoes": "Sessões encerradas.", "removido": "Usuário removido."}
ERRORS_PT = [("already exists", "Já existe um usuário com esse nome."),
             ("invalid user name", "Nome inválido: de 2 a 40 letras (com acento), números ou espaços simples."),
             ("password too short", f"A senha precisa de pelo menos {accounts.MIN_PASSWORD} caracteres."),
             ("password too long", "Senha longa demais."),
             ("must not start or end with a space", "A senha não pode começar nem terminar com espaço."),
             ("invalid role", "Escolha um papel: atendente, gerente ou administrador."),
             ("no user", "Usuário não encontrado.")]


def _pt(exc: accounts.AccountError) -> str:
    text = str(exc)
    return next((pt for key, pt in ERRORS_PT if key in text), "Não foi possível.")


def _page(error: str | None = None, status: int = 200, note: str | None = None):
    rows = accounts.listing(get_db())
    if wants_json():
        return jsonify({"error": error} if error else {"users": rows}), status
    return render_template("users.html", users=rows, labels=accounts.ROLE_LABELS, roles=accounts.ROLES,
                           error=error, note=NOTES.get(note or "")), status


@bp.errorhandler(accounts.AccountError)
def _refused(exc: accounts.AccountError):
    """What accounts refuses: the list again, the reason above it (404 for a user that does not exist)."""
    return _page(_pt(exc), 404 if str(exc).startswith("no user") else 400)


def _done(note: str, data: dict, status: int = 200):
    return done(status, data, url_for("users.listing", ok=note))


@bp.get("/users")
@auth.require_role("admin")
def listing():
    return _page(note=request.args.get("ok"))


@bp.post("/users")
@auth.require_role("admin")
def create():
    data = body()
    user = accounts.add(get_db(), str(data.get("name") or "").strip(), str(data.get("role") or ""),
                        str(data.get("password") or ""))
    log.info("%s created the account %s (%s)", g.user.name, user.name, user.role)
    return _done("criado", {"user": user.name, "role": user.role}, 201)


@bp.post("/users/<name>/role")
@auth.require_role("admin")
def change_role(name: str):
    if g.user.name.lower() == name.lower():
        return _page("Você não pode mudar o seu próprio papel.", 400)
    accounts.set_role(get_db(), name, str(body().get("role") or ""))
    log.info("%s changed the role of %s", g.user.name, name)
    return _done("papel", {"user": name, "role": accounts.get(get_db(), name).role})


@bp.post("/users/<name>/password")
@auth.require_role("admin")
def reset_password(name: str):
    ended = accounts.set_password(get_db(), name, str(body().get("password") or ""))
    log.info("%s set a new password for %s (%d session(s) ended)", g.user.name, name, ended)
    return _done("senha", {"user": name, "ended": ended})


@bp.post("/users/<name>/logout")
@auth.require_role("admin")
def end_sessions(name: str):
    try:
        ended = accounts.end_sessions(get_db(), name, why=f"ended by {g.user.name}")
    except accounts.AccountError:
        return error(404, "Usuário não encontrado.", json_error="no such user")
    log.info("%s ended %d session(s) of %s", g.user.name, ended, name)
    return _done("sessoes", {"user": name, "ended": ended})


@bp.post("/users/<name>/delete")
@auth.require_role("admin")
def remove(name: str):
    if g.user.name.lower() == name.lower():
        return _page("Você não pode remover a sua própria conta.", 400)
    accounts.remove(get_db(), name)
    push.forget_user(get_db(), name)
    log.info("%s removed the account %s", g.user.name, name)
    return _done("removido", {"removed": name})
