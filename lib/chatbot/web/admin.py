"""The operators' pages: login, dashboard, /stats, conversations, backup, test message.

Every route here needs the admin token, given either as
``Authorization: Bearer <token>`` (scripts, curl) or once in the login form,
which then sets a signed session cookie (HttpOnly, SameSite=Strict, Secure
unless ``[web] secure_cookies = false``). Without it the answer is 401 and
carries no data. Form posts made with the cookie must also carry the
session's CSRF token; bearer requests need none (a browser never adds that
header by itself). The cookie is signed with a key derived from the admin
token, so changing the token logs everyone out.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import sqlite3
import threading
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (Blueprint, Response, current_app, g, jsonify, redirect, render_template, request,
                   session, url_for)

from .. import clock
from ..db import describe_error
from ..whatsapp import inbox, sendtest, webhook
from . import stats
from .db import get_db
from .charts import register_filters

bp = Blueprint("admin", __name__)
log = logging.getLogger("chatbot.web")

SESSION_HOURS = 12
PUBLIC = {"admin.login"}
LOGIN_FAILURES_MAX, LOGIN_FAILURES_WINDOW = 10, 600
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self';"
       " form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
_NUMBER = re.compile(r"^\+?\d{5,20}$")
_PHONE_PUNCTUATION = re.compile(r"[\s().-]")     # "+55 (85) 99999-0000" is 5585999990000

_backup_lock = threading.Lock()
_test_slot = threading.BoundedSemaphore(1)     # a test message holds a web thread while it waits
_failures_lock = threading.Lock()


@bp.record_once
def _setup(state) -> None:
    app = state.app
    cfg = app.config["CHATBOT"]
    token = cfg.admin.token
    # The cookie key is derived from, not equal to, the token.
    app.config["SECRET_KEY"] = hmac.new(token.encode(), b"chatbot-web-session-v1", hashlib.sha256).hexdigest() \
        if token else None
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=SESSION_HOURS)
    # __Host-: the browser refuses it without Secure, or with a Domain or another path.
    app.config["SESSION_COOKIE_NAME"] = "__Host-chatbot" if cfg.web.secure_cookies else "chatbot_session"
    register_filters(app)
    app.add_template_global(csrf_token, "csrf_token")


# -- authentication ------------------------------------------------------------------

def authenticated() -> str | None:
    """'bearer', 'session' or None."""
    token = g.cfg.admin.token
    if not token:
        return None
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        given = header[7:].strip().encode()
        return "bearer" if hmac.compare_digest(given, token.encode()) else None
    if session.get("admin") and session.get("exp", 0) > clock.now():
        return "session"
    return None


def csrf_token() -> str:
    if not current_app.secret_key:      # no admin token: no sessions, nothing to protect
        return ""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def _csrf_ok() -> bool:
    given = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    want = session.get("csrf") or ""
    if not want or not hmac.compare_digest(given.encode(), want.encode()):
        return False
    # Defence in depth: a browser says where a post comes from. Compare hosts
    # only, since a TLS-terminating proxy makes our own scheme look like http.
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.host:
        return False
    return request.headers.get("Sec-Fetch-Site") != "cross-site"


@bp.before_request
def _require_admin():
    if request.endpoint in PUBLIC:
        return None
    g.auth = authenticated()
    if g.auth is None:
        return unauthorized()
    if g.auth == "session" and request.method not in ("GET", "HEAD", "OPTIONS") and not _csrf_ok():
        log.warning("refused a form post to %s without a valid CSRF token", request.path)
        return _error(403, "Requisição recusada (token CSRF inválido). Recarregue a página e tente de novo.")
    return None


def unauthorized() -> Response:
    if request.method == "GET" and _prefers_html():
        resp = Response(render_template("login.html", next=_safe_next(request.full_path), error=None,
                                        csrf=csrf_token(), configured=bool(g.cfg.admin.token)), status=401)
    else:
        resp = jsonify({"error": "unauthorized"})
        resp.status_code = 401
    resp.headers["WWW-Authenticate"] = 'Bearer realm="chatbot"'
    return resp


@bp.after_request
def _private(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.after_app_request
def _security_headers(resp: Response) -> Response:
    # Plain assignment: no view sets these itself, and werkzeug's setdefault
    # costs a raised-and-caught KeyError each, on every webhook call.
    h = resp.headers
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "no-referrer"
    h["X-Frame-Options"] = "DENY"
    if resp.mimetype == "text/html":
        h["Content-Security-Policy"] = CSP
    return resp


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never '//evil', 'https://evil' or '/\\evil'."""
    target = (target or "").rstrip("?")
    if not target.startswith("/") or target.startswith(("//", "/\\")) or any(ord(c) < 32 for c in target):
        return "/dashboard"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("/login"):
        return "/dashboard"
    return target


def _throttled(addr: str, failed: bool = False, clear: bool = False) -> bool:
    """Too many wrong tokens from this address lately? (Records one more if ``failed``.)"""
    now = clock.now()
    failures = current_app.extensions.setdefault("chatbot_login_failures", {})
    with _failures_lock:
        recent = [t for t in failures.get(addr, []) if now - t < LOGIN_FAILURES_WINDOW and not clear]
        if failed:
            recent.append(now)
        failures[addr] = recent
        return len(recent) >= LOGIN_FAILURES_MAX


@bp.route("/login", methods=["GET", "POST"])
def login():
    cfg = g.cfg
    nxt = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if authenticated():
            return redirect(nxt, 303)
        return render_template("login.html", next=nxt, error=None, csrf=csrf_token(),
                               configured=bool(cfg.admin.token))
    addr = request.remote_addr or "?"
    error, status = None, 401
    if not cfg.admin.token:
        error = "O acesso de administrador não está configurado ([admin] token)."
    elif _throttled(addr):
        error, status = "Muitas tentativas. Aguarde alguns minutos.", 429
    elif not _csrf_ok():
        error, status = "Sessão expirada. Tente de novo.", 400
    elif hmac.compare_digest(request.form.get("token", "").strip().encode(), cfg.admin.token.encode()):
        session.clear()
        session.permanent = True
        session.update(admin=True, exp=clock.now() + SESSION_HOURS * 3600, csrf=secrets.token_urlsafe(24))
        _throttled(addr, clear=True)
        log.info("operator logged in from %s", addr)
        return redirect(nxt, 303)
    else:
        _throttled(addr, failed=True)
        log.warning("failed operator login from %s", addr)
        error = "Token inválido."
    return render_template("login.html", next=nxt, error=error, csrf=csrf_token(),
                           configured=bool(cfg.admin.token)), status


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("admin.login"), 303)


# -- pages and data ---------------------------------------------------------------------

def _hours() -> int | None:
    raw = request.args.get("hours", "24")
    try:
        hours = int(raw)
    except ValueError:
        return None
    return hours if 1 <= hours <= stats.MAX_HOURS else None


def _prefers_html() -> bool:
    """A browser (text/html ranked above JSON), not curl's */*."""
    accept = request.accept_mimetypes
    return request.args.get("format") != "json" and accept["text/html"] > accept["application/json"]


def _wants_json() -> bool:
    return not _prefers_html()


def _error(status: int, message: str) -> Response:
    if _wants_json():
        resp = jsonify({"error": message})
    else:
        resp = Response(render_template("result.html", title="Erro", message=message, result=None),
                        mimetype="text/html")
    resp.status_code = status
    return resp


def _dashboard_data(hours: int) -> dict:
    cache = current_app.extensions.setdefault("chatbot_buckets", stats.BucketCache())
    data = stats.dashboard(get_db(), g.cfg, hours, cache=cache,
                           pending_rejects=current_app.extensions["chatbot.rejects"].pending())
    if hours in (24, 168):
        cache.warm_later(g.cfg.db_path, 168 if hours == 24 else 24)     # the page's other view
    return data


@bp.get("/stats")
def stats_json():
    hours = _hours()
    if hours is None:
        return jsonify({"error": f"hours must be an integer from 1 to {stats.MAX_HOURS}"}), 400
    return jsonify(_dashboard_data(hours))


@bp.get("/")
def index():
    return redirect(url_for("admin.dashboard"), 303)


@bp.get("/dashboard")
def dashboard():
    hours = _hours() or 24
    return render_template("dashboard.html", d=_dashboard_data(hours))


@bp.get("/dashboard/fragment")
def dashboard_fragment():
    """The live part of the page, swapped in place by static/dashboard.js."""
    hours = _hours() or 24
    return render_template("_dashboard_body.html", d=_dashboard_data(hours))


@bp.get("/conversations")
def conversations():
    items = stats.conversations(get_db())
    if _wants_json():
        return jsonify({"conversations": items})
    return render_template("conversations.html", items=items)


@bp.get("/conversations/<number>")
def conversation(number: str):
    if not _NUMBER.match(number):
        return _error(404, "Número inválido.")
    conv = stats.conversation(get_db(), number.lstrip("+"))
    if not conv["messages"] and conv["handoff"] is None:
        return _error(404, "Nenhuma conversa com esse número.")
    if _wants_json():
        return jsonify(conv)
    return render_template("conversation.html", c=conv)


# -- actions ------------------------------------------------------------------------------

@bp.post("/admin/backup")
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
    if _wants_json():
        return jsonify(summary)
    return render_template("result.html", title="Backup concluído", message=None, result=summary)


def _backup_error(status: int, outcome: str, message: str) -> Response:
    """A failed /admin/backup: JSON callers also get a "status" other than "success"."""
    if not _wants_json():
        return _error(status, message)
    resp = jsonify({"status": outcome, "error": message})
    resp.status_code = status
    return resp


@bp.post("/test-message")
def test_message():
    cfg = g.cfg
    data = request.get_json(silent=True) if request.is_json else request.form
    data = data if isinstance(data, dict) or hasattr(data, "get") else {}
    # "message" is what the tutorial sends; "text" is ours.
    text = str(data.get("text") or data.get("message") or "").strip()
    sender = _PHONE_PUNCTUATION.sub("", str(data.get("from") or "")).lstrip("+") or sendtest.DEFAULT_FROM
    try:
        timeout = min(max(float(data.get("timeout") or 30), 1), 60)
    except (TypeError, ValueError):
        return _error(400, "timeout deve ser um número de segundos.")
    if not text or len(text) > 4096:
        return _error(400, "Escreva o texto da mensagem (até 4096 caracteres).")
    if not _NUMBER.match(sender):
        return _error(400, "Número de origem inválido.")
    if not _test_slot.acquire(blocking=False):
        return _error(429, "Outra mensagem de teste está em andamento.")
    try:
        pnid = cfg.whatsapp.phone_number_ids[0] if cfg.whatsapp.phone_number_ids else "sandbox"
        body, wamid = sendtest.build_payload(text, sender, pnid, name="Teste (painel)")
        conn = get_db()
        # The same path as a delivery to /webhook, minus the signature we would sign ourselves.
        inbox.store_batch(conn, webhook.parse(body), cfg.whatsapp.phone_number_ids)
        result = sendtest.wait_reply(conn, wamid, timeout)
    except sqlite3.Error as exc:
        return _error(503, f"Banco de dados indisponível: {describe_error(exc)}")
    finally:
        _test_slot.release()
    if result is None:
        result = {"status": "timeout", "reply": None, "reply_state": None,
                  "error": f"sem resposta em {timeout:.0f} s (o chatbot-worker está rodando?)"}
    out = {"wamid": wamid, "from": sender, "text": text, **result}
    code = 504 if result["status"] == "timeout" else 200
    if _wants_json():
        return jsonify(out), code
    return render_template("result.html", title="Mensagem de teste", message=None, result=out), code


@bp.errorhandler(sqlite3.Error)
def _database_error(exc):
    log.error("%s %s: %s", request.method, request.path, describe_error(exc))
    return _error(503, f"Banco de dados indisponível: {describe_error(exc)}")


@bp.app_errorhandler(500)
def _internal_error(exc):
    # Never the exception text: it may quote a configuration value. (Flask
    # has already logged the traceback, through the log's secret scrubbing.)
    if _prefers_html():
        return Response("<!doctype html><title>Erro</title><p>Erro interno. Tente novamente.</p>",
                        status=500, mimetype="text/html")
    return jsonify({"error": "internal error"}), 500

