"""What the staff pages (catalog, FAQ, unanswered questions) share: today's
admin authentication, the place each route's role check goes, and who did it.

Until accounts and roles exist, the staff pages are behind the admin token
exactly like the dashboard (Bearer, or the login form's session cookie; CSRF
on every form post). Each route calls ``require_role(ROLE)`` on one marked
line; today it lets every authenticated caller through, and the accounts
work replaces it with the real check. ``current_actor()`` is the one place
that says who made a change, for the audit records.
"""
from __future__ import annotations

import logging

from flask import g, request

from . import admin

log = logging.getLogger("chatbot.web")


def guard():
    """before_request for the staff blueprints: the admin pages' own rules."""
    g.auth = admin.authenticated()
    if g.auth is None:
        return admin.unauthorized()
    if g.auth == "session" and request.method not in ("GET", "HEAD", "OPTIONS") and not admin._csrf_ok():
        log.warning("refused a form post to %s without a valid CSRF token", request.path)
        return admin._error(403, "Requisição recusada (token CSRF inválido). Recarregue a página e tente de novo.")
    return None


def require_role(role: str):
    """None when the caller may go on, else the refusal to return.

    Today the admin token may do everything. The accounts branch provides
    ``require_role("manager")``: operators may not change the catalog.
    """
    return None


def current_actor() -> str:
    """Who is making this change, as the audit records name them."""
    return "admin-token"


def wants_json() -> bool:
    """JSON for scripts: a Bearer token, or an Accept that ranks JSON above HTML."""
    return g.get("auth") == "bearer" or admin._wants_json()


def secure_headers(resp):
    resp.headers["Cache-Control"] = "no-store"
    return resp
