"""What the staff pages (catalog, FAQ, unanswered questions) share: who may
use them (managers and admins, web/auth.py), and who made a change, for the
audit records (``current_actor``)."""
from __future__ import annotations


from flask import g

from . import auth



def guard():
    """before_request for the staff blueprints: a manager's (or an admin's) login
    session with its CSRF token on every form post, or the admin token as Bearer."""
    return auth.check("manager")


def require_role(role: str):
    """None when the caller may go on with ``role``'s rights, else the refusal to return."""
    return auth.check(role)


def current_actor() -> str:
    """Who is making this change, as the audit records name them: the account's
    name, or "admin (token)" for the admin token."""
    return g.user.name


def wants_json() -> bool:
    """JSON for scripts: a Bearer token, or an Accept that ranks JSON above HTML."""
    return g.get("auth") == "bearer" or not auth.prefers_html()


def secure_headers(resp):
    resp.headers["Cache-Control"] = "no-store"
    return resp
