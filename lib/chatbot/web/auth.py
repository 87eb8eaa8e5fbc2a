"""Who is asking, and may they: the web side of ``chatbot.accounts``.

A request is authenticated by either

- ``Authorization: Bearer <admin token>``: acts as an admin (scripts, curl);
  no CSRF token needed, since a browser never adds that header by itself; or
- the session cookie set by ``/login`` (user name + password, or the admin
  token): a random id looked up on the server, so logout, a password change,
  removing the user and a new admin token end it at once. Form posts with
  the cookie must carry the session's CSRF token and, when the browser says
  where they come from, an Origin matching ``[web] public_url`` (or, without
  it, the request's host).

Every route is guarded one way, the decorator ``require_role`` under the route's own::

    from . import auth

    @bp.get("/admin/catalog")
    @auth.require_role("manager")
    def catalog(): ...

unless its endpoint is in ``PUBLIC`` (the few routes anyone may call, each
with its reason). ``tests/test_web_guards.py`` walks the app's url_map and
fails on an endpoint that is neither. Without a session or token the answer
is 401 (the login form for a browser), with too small a role 403; neither
carries data.

Wrong admin tokens (Bearer or the login form) are counted per client (the
address ``[web] trusted_proxies`` makes the real one) and 10 within 10
minutes make that client wait, on both paths. Failed logins with a user name
are counted per account and per address together (``web/throttle.py``): a
colleague's wrong passwords slow down only that name at that address, and
guesses at an account from elsewhere never stop its owner where they logged
in before. The log names an existing account, and only a keyed tag of any
other name (a password typed into the name box must not reach the journal).
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
import threading
from urllib.parse import urlsplit

from flask import Response, current_app, g, jsonify, render_template, request

from .. import accounts, clock
from .answers import error, prefers_html
from . import throttle
from .db import get_db

log = logging.getLogger("chatbot.web")

FAILURES_MAX, FAILURES_WINDOW = 10, 600
_MAX_TRACKED_CLIENTS = 10_000
_failures_lock = threading.Lock()


def cookie_name() -> str:
    # __Host-: the browser refuses it without Secure, or with a Domain or another path.
    return "__Host-chatbot" if g.cfg.web.secure_cookies else "chatbot_session"


def login_cookie_name() -> str:
    return "__Host-chatbot-login" if g.cfg.web.secure_cookies else "chatbot_login"


def client_addr() -> str:
    """The client's address: behind ``trusted_proxies`` hops, the one the nearest proxy saw."""
    return request.remote_addr or "?"


# -- who is asking ------------------------------------------------------------------------

def identify() -> str | None:
    """Set g.user / g.auth / g.session for this request; return "bearer", "session",
    "throttled" (a Bearer from a client with too many failures) or None."""
    if "auth" in g:
        return g.auth
    g.user, g.session, g.auth = None, None, None
    token = g.cfg.admin.token
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        addr = client_addr()
        if throttled(addr):
            g.auth = "throttled"
        elif token and hmac.compare_digest(header[7:].strip().encode(), token.encode()):
            g.user, g.auth = accounts.TOKEN_USER, "bearer"
        else:
            throttled(addr, failed=True)
            log.warning("wrong Bearer token from %s for %s", addr, request.path)
        return g.auth    # a wrong Bearer never falls back to the cookie
    sid = request.cookies.get(cookie_name())
    if sid:
        sess = accounts.lookup(get_db(), sid, token)
        if sess is not None:
            g.user, g.session, g.auth = sess.user, sess, "session"
    return g.auth


def current_user() -> accounts.User | None:
    identify()
    return g.user


def check(role: str) -> Response | None:
    """None when this request may go on with ``role``'s rights, else the answer to give."""
    auth = identify()
    if auth == "throttled":
        return too_many()
    if auth is None:
        return unauthorized()
    if auth == "session" and request.method not in ("GET", "HEAD", "OPTIONS") and not csrf_ok():
        log.warning("refused a form post to %s without a valid CSRF token", request.path)
        return error(403, "Requisição recusada (token CSRF inválido). Recarregue a página e tente de novo.")
    if not g.user.can(role):
        log.warning("user %s (%s) refused %s %s", g.user.name, g.user.role, request.method, request.path)
        return error(403, "Sua conta não tem acesso a esta página.", json_error="forbidden")
    return None


# The endpoints anyone may call, and why. Everything else carries ``require_role``.
PUBLIC = frozenset({
    "static",               # the pages' CSS, scripts and icon: no data
    "admin.login",          # the way in; throttled per client, CSRF-checked
    "webhook.verify",       # Meta's subscription handshake: checks [whatsapp] verify_token itself
    "webhook.receive",      # Meta's deliveries: checks X-Hub-Signature-256 itself
    "observe.health",       # load balancers: verdicts only; the details only to an admin (observe._is_admin)
    "observe.metrics",      # Prometheus: its own [web] metrics_allow and metrics_token
})


def require_role(role: str):
    """Route decorator: only users with at least ``role`` (operator < manager < admin)."""
    if role not in accounts.RANK:
        raise ValueError(f"unknown role {role!r}")

    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            denied = check(role)
            return denied if denied is not None else view(*args, **kwargs)
        guarded.required_role = role
        return guarded
    return decorate


# -- CSRF -----------------------------------------------------------------------------------

def csrf_token() -> str:
    """The token forms must send back: the session's, or before login a
    double-submit value also set as a cookie (see ``set_login_cookie``)."""
    identify()
    if g.session is not None:
        return g.session.csrf
    if "login_csrf" not in g:
        given = request.cookies.get(login_cookie_name(), "")
        g.login_csrf = given if 20 <= len(given) <= 64 else secrets.token_urlsafe(24)
    return g.login_csrf


def set_login_cookie(resp: Response) -> Response:
    if "login_csrf" in g and request.cookies.get(login_cookie_name()) != g.login_csrf:
        resp.set_cookie(login_cookie_name(), g.login_csrf, httponly=True, samesite="Strict",
                        secure=g.cfg.web.secure_cookies, path="/")
    return resp


def csrf_ok() -> bool:
    given = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    if g.get("session") is not None:
        want = g.session.csrf
    else:
        want = request.cookies.get(login_cookie_name(), "")
    if not want or not hmac.compare_digest(given.encode(), want.encode()):
        return False
    return origin_ok()


def origin_ok() -> bool:
    """Defence in depth: a browser says where a post comes from. With
    ``[web] public_url`` the Origin must be exactly that site (a proxy may
    rewrite Host); without it, the request's host (scheme not compared,
    since a TLS-terminating proxy makes our own scheme look like http)."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return False
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return True
    public = g.cfg.web.public_url
    if public:
        want = urlsplit(public)
        got = urlsplit(origin)
        return (got.scheme, got.netloc.lower()) == (want.scheme, want.netloc.lower())
    return urlsplit(origin).netloc == request.host


# -- throttling -----------------------------------------------------------------------------

def throttled(addr: str, failed: bool = False, clear: bool = False) -> bool:
    """Too many failures from this client lately? (Records one more if ``failed``.)"""
    now = clock.now()
    failures = current_app.extensions.setdefault("chatbot_login_failures", {})
    with _failures_lock:
        recent = [t for t in failures.get(addr, ()) if now - t < FAILURES_WINDOW] if not clear else []
        if failed:
            recent.append(now)
        if recent:
            failures[addr] = recent
        else:
            failures.pop(addr, None)
        if len(failures) > _MAX_TRACKED_CLIENTS:     # many addresses: forget the quiet ones
            for key in [k for k, v in failures.items() if now - v[-1] >= FAILURES_WINDOW]:
                del failures[key]
        return len(recent) >= FAILURES_MAX


def _logins() -> throttle.LoginThrottle:
    return current_app.extensions.setdefault("chatbot_login_throttle", throttle.LoginThrottle())


def login_wait(name: str, addr: str, trusted: bool) -> Response | None:
    """None when this login may check its password now, else the page saying how long to wait."""
    wait, why = _logins().check(name, addr, trusted, clock.now())
    if wait <= 0:
        return None
    seconds = max(1, int(wait + 0.999))
    pause = f"{seconds} segundo{'s' if seconds != 1 else ''}" if seconds < 120 else f"{seconds // 60} minutos"
    if why == "pair":
        msg = f"Muitas senhas erradas para {name[:32]}. Tente de novo em {pause}."
    elif why == "account":
        msg = f"Esta conta recebeu muitas tentativas de outros lugares. Tente de novo em {pause}."
    else:
        msg = f"Muitas tentativas deste endereço. Tente de novo em {pause}."
    log.warning("login as %s from %s must wait %ds (%s)", name_for_log(get_db(), name), client_addr(), seconds, why)
    resp = login_page(safe_next(request.values.get("next")), msg, 429, name[:64])
    resp.headers["Retry-After"] = str(seconds)
    return resp


def login_busy(nxt: str, name: str) -> Response:
    resp = login_page(nxt, "Muitas pessoas entrando ao mesmo tempo. Tente de novo em alguns segundos.", 429,
                      name[:64])
    resp.headers["Retry-After"] = "2"
    return resp


def login_failed(name: str, addr: str) -> None:
    _logins().failed(name, addr, clock.now())


def login_succeeded(name: str, addr: str) -> None:
    _logins().succeeded(name, addr)


_LOG_KEY = secrets.token_bytes(16)     # per process: tags compare within one run, never reveal the text


def name_for_log(conn, name: str) -> str:
    """How a submitted login name goes into the log: an existing account by its name; anything
    else (a typo, a password typed into the name box, a megabyte) as a short keyed tag."""
    if not name:
        return "with a token"
    if accounts.NAME.match(name) and accounts.get(conn, name) is not None:
        return f"as user {name}"
    tag = hmac.new(_LOG_KEY, name.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:10]
    return f"as an unknown name (tag {tag})"


# -- answers --------------------------------------------------------------------------------

def too_many() -> Response:
    resp = error(429, "Muitas tentativas. Aguarde alguns minutos.", json_error="too many failed attempts")
    resp.headers["Retry-After"] = str(FAILURES_WINDOW)
    return resp


def safe_next(target: str | None) -> str:
    """Only a path on this site: never '//evil', 'https://evil' or '/\\evil'; "" for none."""
    target = (target or "").rstrip("?")
    if not target.startswith("/") or target.startswith(("//", "/\\")) or any(ord(c) < 32 for c in target):
        return ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith(("/login", "/logout")):
        return ""
    return target


def login_page(nxt: str, error: str | None, status: int = 200, name: str = "") -> Response:
    resp = Response(render_template("login.html", next=nxt, error=error, csrf=csrf_token(), name=name),
                    status=status, mimetype="text/html")
    return set_login_cookie(resp)


def unauthorized() -> Response:
    if request.method == "GET" and prefers_html():
        resp = login_page(safe_next(request.full_path), None, 401)
    else:
        resp = jsonify({"error": "unauthorized"})
        resp.status_code = 401
    resp.headers["WWW-Authenticate"] = 'Bearer realm="chatbot"'
    return resp


def home_for(user: accounts.User) -> str:
    """Where a user lands after login."""
    return "/dashboard" if user.can("admin") else "/inbox"
