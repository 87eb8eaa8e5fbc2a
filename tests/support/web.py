"""Logging in to the staff pages with Flask's test client, and what the web tests look for."""
from __future__ import annotations

import re

from support.configs import ADMIN_TOKEN

BEARER = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


OPERATOR = [("GET", "/dashboard"), ("GET", "/dashboard?hours=168"), ("GET", "/dashboard/fragment"),
            ("GET", "/stats"), ("GET", "/stats?hours=168"), ("GET", "/conversations"),
            ("GET", "/conversations/5585988880001"), ("POST", "/admin/backup"), ("POST", "/test-message"),
            ("GET", "/"), ("POST", "/logout")]


# What a leak would look like: customers' numbers and words, the bot's intents.
PRIVATE = ["5585988880001", "Maria", "store_hours", "arroz", "alert(", "job_failed"]


def login(client, token=ADMIN_TOKEN, next_path=None, name=None, **kw):
    """Log in with the token (the old form field), or with ``name`` and ``token`` as the password."""
    page = client.get("/login", **kw)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    form = {"password": token, "name": name} if name else {"token": token}
    form["csrf_token"] = csrf
    if next_path:
        form["next"] = next_path
    return client.post("/login", data=form, **kw)


def csrf_of(client) -> str:
    page = client.get("/dashboard", headers={"Accept": "text/html"}).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
