"""What the staff pages (catalog, FAQ, unanswered questions) share: who made a
change, for the audit records (``current_actor``)."""
from __future__ import annotations


from flask import g

from . import auth


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
