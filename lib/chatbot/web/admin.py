"""The staff pages: login, dashboard, /stats, conversations, backup, test message.

Who may do what is ``web/auth.py``'s business: each route says the role it
needs with ``auth.require_role`` (login is public: ``auth.PUBLIC``).
"""
from __future__ import annotations

import hmac
import logging
import sqlite3
import threading

from flask import Blueprint, Response, current_app, g, jsonify, redirect, render_template, request, url_for

from .. import accounts
from ..db import describe_error
from ..whatsapp import inbox, sendtest, webhook
from . import auth, stats, throttle
from .answers import body, error, phone_number, wants_json
from .auth import login_page, safe_next
from .db import get_db

bp = Blueprint("admin", __name__)
log = logging.getLogger("chatbot.web")

SESSION_HOURS = accounts.SESSION_HOURS

_backup_lock = threading.Lock()
_test_slot = threading.BoundedSemaphore(1)     # a test message holds a web thread while it waits
# One password check at a time per lane: from where the account logged in before, and the rest.
_known_lane = throttle.Lane(queue=4, patience=5.0)
_other_lane = throttle.Lane(queue=1, patience=0.5, spacing=0.2)   # at most ~3 checks a second



@bp.route("/login", methods=["GET", "POST"])
def login():
    nxt = safe_next(request.values.get("next"))
    if request.method == "GET":
        auth.identify()
        if g.auth in ("session", "bearer"):
            return redirect(nxt or auth.home_for(g.user), 303)
        return login_page(nxt, None)
    addr = auth.client_addr()
    name = request.form.get("name", "").strip()
    secret = request.form.get("password") or request.form.get("token") or ""
    if not name and auth.throttled(addr):
        return login_page(nxt, "Muitas tentativas. Aguarde alguns minutos.", 429, name)
    if not auth.csrf_ok():
        return login_page(nxt, "Sessão expirada. Tente de novo.", 400, name)
    conn = get_db()
    token = g.cfg.admin.token
    user = None
    if name:
        trusted = accounts.logged_in_from(conn, name[:64], addr)
        wait = auth.login_wait(name, addr, trusted)
        if wait is not None:
            return wait
        # Logins from where the account logged in before have their own lane, so a flood of
        # guesses from elsewhere never queues the team behind it.
        lane = _known_lane if trusted else _other_lane
        if not lane.enter():
            return auth.login_busy(nxt, name)
        try:
            user = accounts.authenticate(conn, name, secret[:accounts.MAX_PASSWORD])
        finally:
            lane.leave()
    elif token and hmac_equal(secret.strip(), token):
        user = accounts.TOKEN_USER
    if user is None:
        if name:
            auth.login_failed(name, addr)
        else:
            auth.throttled(addr, failed=True)
        log.warning("failed login from %s %s", addr, auth.name_for_log(conn, name))
        msg = "Usuário ou senha incorretos." if name else "Token inválido."
        return login_page(nxt, msg, 401, name[:64])
    if name:
        auth.login_succeeded(name, addr)
    auth.throttled(addr, clear=True)
    old = request.cookies.get(auth.cookie_name())
    if old:             # a login replaces whatever session this browser had
        prev = accounts.lookup(conn, old, token)
        if prev is not None:
            accounts.end_session(conn, prev.id_hash, "replaced by a new login")
    sid, _sess = accounts.open_session(conn, user, client=addr, token=token if user.id is None else None)
    log.info("%s logged in from %s", user.name, addr)
    resp = redirect(nxt or auth.home_for(user), 303)
    resp.set_cookie(auth.cookie_name(), sid, max_age=SESSION_HOURS * 3600, httponly=True, samesite="Strict",
                    secure=g.cfg.web.secure_cookies, path="/")
    resp.delete_cookie(auth.login_cookie_name(), path="/", secure=g.cfg.web.secure_cookies, samesite="Strict")
    return resp


def hmac_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@bp.post("/logout")
@auth.require_role("operator")
def logout():
    if g.session is not None:
        accounts.end_session(get_db(), g.session.id_hash, "logout")
        log.info("%s logged out", g.user.name)
    resp = redirect(url_for("admin.login"), 303)
    resp.delete_cookie(auth.cookie_name(), path="/", secure=g.cfg.web.secure_cookies, samesite="Strict")
    return resp


# -- pages and data ---------------------------------------------------------------------

def _hours() -> int | None:
    raw = request.args.get("hours", "24")
    try:
        hours = int(raw)
    except ValueError:
        return None
    return hours if 1 <= hours <= stats.MAX_HOURS else None


def _dashboard_data(hours: int) -> dict:
    cache = current_app.extensions.setdefault("chatbot_buckets", stats.BucketCache())
    data = stats.dashboard(get_db(), g.cfg, hours, cache=cache,
                           pending_rejects=current_app.extensions["chatbot.rejects"].pending())
    if hours in (24, 168):
        cache.warm_later(g.cfg.db_path, 168 if hours == 24 else 24)     # the page's other view
    return data


@bp.get("/stats")
@auth.require_role("admin")
def stats_json():
    hours = _hours()
    if hours is None:
        return jsonify({"error": f"hours must be an integer from 1 to {stats.MAX_HOURS}"}), 400
    return jsonify(_dashboard_data(hours))


@bp.get("/")
@auth.require_role("operator")
def index():
    return redirect(auth.home_for(g.user), 303)


@bp.get("/dashboard")
@auth.require_role("admin")
def dashboard():
    hours = _hours() or 24
    return render_template("dashboard.html", d=_dashboard_data(hours))


@bp.get("/dashboard/fragment")
@auth.require_role("admin")
def dashboard_fragment():
    """The live part of the page, swapped in place by static/dashboard.js."""
    hours = _hours() or 24
    return render_template("_dashboard_body.html", d=_dashboard_data(hours))


# Routes share one shape (route, guard, data, JSON or page: `duplicates` pairs them as
# boilerplate); what they share is a function in web/answers.py and web/auth.py.
@bp.get("/conversations")
@auth.require_role("operator")
def conversations():
    items = stats.conversations(get_db())
    if wants_json():
        return jsonify({"conversations": items})
    return render_template("conversations.html", items=items)


# -- actions ------------------------------------------------------------------------------

@bp.post("/admin/backup")
@auth.require_role("admin")
def backup():
    from ..ops import backup as backup_mod
    if not _backup_lock.acquire(blocking=False):
        return _backup_error(409, "busy", "Um backup já está em andamento.")
    try:
        summary = backup_mod.run_backup(g.cfg)
    except backup_mod.BackupError as exc:
        log.error("backup from the dashboard failed: %s", exc)
        return _backup_error(500, "failed", f"O backup falhou: {exc}")
    except (sqlite3.Error, OSError) as exc:
        log.error("backup from the dashboard failed: %s", describe_error(exc))
        return _backup_error(500, "failed", f"O backup falhou: {describe_error(exc)}")
    finally:
        _backup_lock.release()
    log.info("backup taken from the dashboard")
    # "status" and "backup_path": the names the tutorial's scripts read.
    summary = {"status": "success", "backup_path": summary["path"], **summary}
    if wants_json():
        return jsonify(summary)
    return render_template("result.html", title="Backup concluído", message=None, result=summary)


def _backup_error(status: int, outcome: str, message: str) -> Response:
    """A failed /admin/backup: JSON callers also get a "status" other than "success"."""
    if not wants_json():
        return error(status, message)
    resp = jsonify({"status": outcome, "error": message})
    resp.status_code = status
    return resp


@bp.post("/test-message")
@auth.require_role("admin")
def test_message():
    cfg = g.cfg
    data = body()
    # "message" is what the tutorial sends; "text" is ours.
    text = str(data.get("text") or data.get("message") or "").strip()
    raw_sender = str(data.get("from") or "")
    sender = phone_number(raw_sender) if raw_sender else sendtest.DEFAULT_FROM
    try:
        timeout = min(max(float(data.get("timeout") or 30), 1), 60)
    except (TypeError, ValueError):
        return error(400, "timeout deve ser um número de segundos.")
    if not text or len(text) > 4096:
        return error(400, "Escreva o texto da mensagem (até 4096 caracteres).")
    if sender is None:
        return error(400, "Número de origem inválido.")
    if not _test_slot.acquire(blocking=False):
        return error(429, "Outra mensagem de teste está em andamento.")
    try:
        pnid = cfg.whatsapp.phone_number_ids[0] if cfg.whatsapp.phone_number_ids else "sandbox"
        raw, wamid = sendtest.build_payload(text, sender, pnid, name="Teste (painel)")
        conn = get_db()
        # The same path as a delivery to /webhook, minus the signature we would sign ourselves.
        inbox.store_batch(conn, webhook.parse(raw), cfg.whatsapp.phone_number_ids)
        result = sendtest.wait_reply(conn, wamid, timeout)
    except sqlite3.Error as exc:
        return error(503, f"Banco de dados indisponível: {describe_error(exc)}")
    finally:
        _test_slot.release()
    if result is None:
        result = {"status": "timeout", "reply": None, "reply_state": None,
                  "error": f"sem resposta em {timeout:.0f} s (o chatbot-worker está rodando?)"}
    out = {"wamid": wamid, "from": sender, "text": text, **result}
    code = 504 if result["status"] == "timeout" else 200
    if wants_json():
        return jsonify(out), code
    return render_template("result.html", title="Mensagem de teste", message=None, result=out), code
