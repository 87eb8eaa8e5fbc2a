"""What the staff pages (catalog, FAQ, unanswered questions) share: who made a
change, for the audit records (``current_actor``)."""
from __future__ import annotations

from flask import g


def current_actor() -> str:
    """Who is making this change, as the audit records name them: the account's
    name, or "admin (token)" for the admin token."""
    return g.user.name
