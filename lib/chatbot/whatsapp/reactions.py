"""A customer's reactions to messages: the ``reactions`` table.

A reaction is never answered. It is kept against the message it reacts to
(``message_wamid``: one of ours, or one of the customer's), so the
conversation page shows it there and the checkout can read a 👍 on the
message that asked "confirma?" as a yes (``confirmed``). A reaction to a
message we never stored is kept all the same (``known`` says so).
"""
from __future__ import annotations

import sqlite3

from .. import clock, db
from . import message


def record(conn: sqlite3.Connection, msg) -> dict | None:
    """Keep the reaction of an inbound ``reaction`` message; what it said (None: unreadable)."""
    r = message.describe("reaction", msg["payload"]).get("reaction") or {}
    if not r.get("message_id"):
        return None
    with db.transaction(conn):
        conn.execute("INSERT OR IGNORE INTO reactions (inbox_id, phone_number_id, wa_id, message_wamid, emoji,"
                     " created_at) VALUES (?,?,?,?,?,?)",
                     (msg["id"], msg["phone_number_id"], msg["wa_id"], r["message_id"], r.get("emoji"), clock.now()))
    return {"message_wamid": r["message_id"], "emoji": r.get("emoji"), "known": known(conn, r["message_id"])}


def known(conn: sqlite3.Connection, wamid: str) -> bool:
    """Is ``wamid`` a message we stored (the customer's or one we sent)?"""
    return bool(conn.execute("SELECT 1 FROM inbox WHERE wamid=? UNION ALL SELECT 1 FROM outbox WHERE wamid=? LIMIT 1",
                             (wamid, wamid)).fetchone())


def latest(conn: sqlite3.Connection, wamid: str, wa_id: str | None = None) -> str | None:
    """The emoji the customer left on ``wamid`` now (None: none, or taken back)."""
    sql = "SELECT emoji FROM reactions WHERE message_wamid=?" + (" AND wa_id=?" if wa_id else "")
    row = conn.execute(sql + " ORDER BY id DESC LIMIT 1", (wamid, wa_id) if wa_id else (wamid,)).fetchone()
    return row[0] if row else None


def confirmed(conn: sqlite3.Connection, wamid: str, wa_id: str | None = None) -> bool:
    """A 👍 (any skin tone) on ``wamid``, still in place: the customer said yes."""
    return latest(conn, wamid, wa_id) in message.THUMBS_UP


def on_messages(conn: sqlite3.Connection, wamids: list[str]) -> dict[str, str]:
    """wamid -> the emoji in place now, for the conversation page."""
    wamids = [w for w in wamids if w]
    if not wamids:
        return {}
    marks = ",".join("?" * len(wamids))
    out: dict[str, str] = {}
    for w, emoji in conn.execute(f"SELECT message_wamid, emoji FROM reactions WHERE message_wamid IN ({marks})"
                                 " ORDER BY id", wamids):
        if emoji:
            out[w] = emoji
        else:
            out.pop(w, None)
    return out
