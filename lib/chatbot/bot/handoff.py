"""Passing a conversation to a person, and giving it back.

On a request for a human or a complaint the conversation's mode becomes
'human' and a ``handoffs`` row records it for the operators; the bot then
stays silent for that customer until ``release`` (``chatbot handoff release
NUMBER``) or until ``human_until`` ([handoff] timeout_minutes; 0 means
no timeout) passes.

Owns the ``conversations`` and ``handoffs`` tables: every write to them is
here, the human side's too (``operators.py`` when a person takes over or
answers, ``ops/handoff_followup.py`` when staff were told or the customer got
the pickup note, ``whatsapp/operator_outbox.py`` when WhatsApp wants a
template). Keys are ``(phone_number_id, wa_id)``.
"""
from __future__ import annotations

from .. import clock, db
from . import context


def mode(conn, phone_number_id: str, wa_id: str) -> str:
    """'human' while a person has the conversation, else 'bot'; a handoff
    whose time is up is ended here (recorded as ended by timeout)."""
    row = conn.execute("SELECT mode, human_until FROM conversations WHERE phone_number_id=? AND wa_id=?",
                       (phone_number_id, wa_id)).fetchone()
    if row is None or row["mode"] != "human":
        return "bot"
    if row["human_until"] is not None and row["human_until"] <= clock.now():
        with db.transaction(conn):
            _end(conn, "phone_number_id=? AND wa_id=?", (phone_number_id, wa_id), "timeout", at=row["human_until"])
        return "bot"
    return "human"


def touch(conn, phone_number_id: str, wa_id: str) -> None:
    """Note that the customer wrote (call inside a transaction)."""
    now = clock.now()
    conn.execute("INSERT INTO conversations (phone_number_id, wa_id, mode, mode_since, last_seen)"
                 " VALUES (?,?,'bot',?,?) ON CONFLICT(phone_number_id, wa_id)"
                 " DO UPDATE SET last_seen=excluded.last_seen",
                 (phone_number_id, wa_id, now, now))


def start(conn, phone_number_id: str, wa_id: str, reason: str, message: str, timeout_minutes: float) -> None:
    """Hand the conversation to a person. Call inside a transaction."""
    now = clock.now()
    until = expiry(timeout_minutes)
    conn.execute("INSERT INTO conversations (phone_number_id, wa_id, mode, mode_since, handoff_reason, human_until,"
                 " last_seen) VALUES (?,?,'human',?,?,?,?) ON CONFLICT(phone_number_id, wa_id) DO UPDATE SET"
                 " mode='human', mode_since=excluded.mode_since, handoff_reason=excluded.handoff_reason,"
                 " human_until=excluded.human_until, last_seen=excluded.last_seen",
                 (phone_number_id, wa_id, now, reason, until, now))
    conn.execute("INSERT INTO handoffs (phone_number_id, wa_id, reason, message, created_at) VALUES (?,?,?,?,?)",
                 (phone_number_id, wa_id, reason, (message or "")[:1000], now))


def expiry(timeout_minutes: float) -> float | None:
    """When a conversation with a person goes back to the bot if nothing happens (None: never)."""
    return clock.now() + timeout_minutes * 60 if timeout_minutes > 0 else None


def take(conn, key: tuple[str, str], who: str, until: float | None, taken_from: str | None = None) -> None:
    """``who`` holds the conversation (taken from a colleague too: shifts change, ``taken_from``
    names them for their page) until ``until`` (None: no timeout). Call inside a transaction,
    after ``start``."""
    conn.execute("UPDATE conversations SET held_by=?, held_since=?, human_until=?, taken_from=?,"
                 " transferred_by=NULL, transferred_at=NULL, resolved_at=NULL, resolved_by=NULL"
                 " WHERE phone_number_id=? AND wa_id=?", (who, clock.now(), until, taken_from, *key))
    conn.execute("UPDATE handoffs SET taken_by=COALESCE(taken_by, ?) WHERE phone_number_id=? AND wa_id=?"
                 " AND ended_at IS NULL", (who, *key))


def transfer(conn, key: tuple[str, str], to: str, by: str, until: float | None) -> None:
    """``by`` passes the conversation to the colleague ``to``, who holds it from now until
    ``until``. Call inside a transaction, after ``start``."""
    now = clock.now()
    conn.execute("UPDATE conversations SET held_by=?, held_since=?, human_until=?, transferred_by=?,"
                 " transferred_at=?, taken_from=NULL, resolved_at=NULL, resolved_by=NULL"
                 " WHERE phone_number_id=? AND wa_id=?", (to, now, until, by, now, *key))


def resolved(conn, key: tuple[str, str], who: str) -> None:
    """``who`` marked the conversation resolved (after ``end``): it leaves the staff's lists."""
    conn.execute("UPDATE conversations SET resolved_at=?, resolved_by=? WHERE phone_number_id=? AND wa_id=?",
                 (clock.now(), who, *key))


def answered(conn, key: tuple[str, str], who: str, until: float | None) -> None:
    """A person wrote to the customer: the conversation is theirs (if nobody held it) until
    ``until``, and the handoff's first reply is noted. Call inside a transaction, after ``start``."""
    now = clock.now()
    conn.execute("UPDATE conversations SET held_by=COALESCE(held_by, ?), held_since=COALESCE(held_since, ?),"
                 " human_until=?, resolved_at=NULL, resolved_by=NULL WHERE phone_number_id=? AND wa_id=?",
                 (who, now, until, *key))
    conn.execute("UPDATE handoffs SET taken_by=COALESCE(taken_by, ?), first_reply_at=COALESCE(first_reply_at, ?)"
                 " WHERE phone_number_id=? AND wa_id=? AND ended_at IS NULL", (who, now, *key))


def needs_template(conn, key: tuple[str, str], needed: bool) -> None:
    """WhatsApp refused a free-form message (the 24-hour window closed): the page offers
    templates until one is sent."""
    conn.execute("UPDATE conversations SET needs_template=? WHERE phone_number_id=? AND wa_id=?",
                 (int(needed), *key))


def staff_told(conn, handoff_id: int) -> None:
    """Staff were told about this handoff (e-mail, webhook)."""
    with db.transaction(conn):
        conn.execute("UPDATE handoffs SET notified_at=? WHERE id=?", (clock.now(), handoff_id))


def pickup_noted(conn, handoff_id: int, at: float) -> None:
    """The customer got (or, outside the window, would have got) the "nobody answered yet"
    note. Call inside a transaction."""
    conn.execute("UPDATE handoffs SET pickup_sent_at=? WHERE id=?", (at, handoff_id))


def waiting(conn) -> list[dict]:
    """Conversations waiting for a person (mode 'human', not timed out), oldest first."""
    rows = conn.execute("SELECT phone_number_id, wa_id, mode_since AS since, handoff_reason AS reason"
                        " FROM conversations WHERE mode='human' AND (human_until IS NULL OR human_until > ?)"
                        " ORDER BY mode_since", (clock.now(),))
    return [dict(r) for r in rows]


def release(conn, wa_id: str, phone_number_id: str | None = None) -> int:
    """Give the conversation(s) with this customer back to the bot; the number released."""
    where, params = "wa_id=?", (wa_id,)
    if phone_number_id:
        where, params = where + " AND phone_number_id=?", params + (phone_number_id,)
    with db.transaction(conn):
        return _end(conn, where, params, "operator")


def end(conn, where: str, params: tuple, by: str, at: float | None = None) -> int:
    """End the human mode of the conversations matching ``where`` (call inside a
    transaction): ``by`` is "operator[:NAME]" or "timeout". The number ended."""
    return _end(conn, where, params, by, at)


def _end(conn, where: str, params: tuple, by: str, at: float | None = None) -> int:
    at = clock.now() if at is None else at
    convs = conn.execute(f"SELECT phone_number_id, wa_id FROM conversations WHERE mode='human' AND {where}",
                         params).fetchall()
    for c in convs:
        conn.execute("UPDATE handoffs SET ended_at=?, ended_by=? WHERE phone_number_id=? AND wa_id=?"
                     " AND ended_at IS NULL", (at, by, c["phone_number_id"], c["wa_id"]))
        conn.execute("UPDATE conversations SET mode='bot', mode_since=?, human_until=NULL, held_by=NULL,"
                     " held_since=NULL WHERE phone_number_id=? AND wa_id=?", (at, c["phone_number_id"], c["wa_id"]))
        # The customer starts afresh: what was asked before the person took over is stale.
        context.forget(conn, c["phone_number_id"], c["wa_id"])
    return len(convs)


def history(conn, limit: int = 50) -> list[dict]:
    """Recent handoffs, newest first (for `chatbot handoff list --all`)."""
    rows = conn.execute("SELECT phone_number_id, wa_id, reason, message, created_at, ended_at, ended_by"
                        " FROM handoffs ORDER BY created_at DESC, id DESC LIMIT ?", (limit,))
    return [dict(r) for r in rows]
