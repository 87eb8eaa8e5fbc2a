r"""The durable inbox: store each message once, claim with a lease, record outcomes.

Life of a message (``inbox.status``)::

    queued --claim--> processing --> answered        reply sent, its wamid recorded
                                 \-> ignored         nothing to say (reactions)
                                 \-> stale           older than max_message_age_minutes
                                 \-> handoff         a person is handling this customer
                                 \-> failed          non-retryable error or attempts used up
                                 \-> unknown         crashed while the reply was in flight
           <--retry (next_attempt_at)--/

The reply lives in ``outbox``. Its state moves ``prepared -> sending`` in a
committed transaction *before* the Graph API is called, so a worker that
dies (even SIGKILL) mid-send leaves ``sending`` behind. Whoever reclaims the
expired lease then parks the message as ``unknown`` instead of sending again:
a customer may miss one answer, but never gets the same one twice, and
operators see it (``chatbot inbox list --status unknown``) and can requeue it.
"""
from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass

from .. import clock, db, events
from ..db import transaction
from .webhook import Batch

OPEN = ("queued", "processing")
LANES = ("fast", "llm")         # the worker's lanes (inbox.lane), see worker.py
DONE = ("answered", "ignored", "stale", "handoff", "failed", "unknown")
# Meta's statuses can arrive out of order; keep the furthest along (the
# statuses_apply trigger, migration 0008, ranks them the same way).
_RANK = "(CASE {} WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 WHEN 'failed' THEN 4 ELSE 0 END)"
_MESSAGE_COLUMNS = ("wamid, phone_number_id, wa_id, contact_name, msg_type, body, payload, sent_at,"
                    " received_at, updated_at")
_STATUS_COLUMNS = "wamid, status, recipient, ts, error_code, error, received_at"
_ROWS_PER_STATEMENT = 500       # 5,000 parameters, well under SQLite's 32,766
# JSON may escape a lone UTF-16 surrogate ("\\ud800"): valid JSON, a valid
# Python str, but not encodable as UTF-8, so SQLite cannot take it. json.loads
# already joined every valid pair, so any surrogate left is a lone one.
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class Rows:
    """A parsed batch as rows for the inbox and statuses tables.

    Built by the request thread, so the webhook's single writer thread only
    concatenates and executes: its time is what the acknowledgements queue for.
    """
    messages: list[tuple]
    statuses: list[tuple]
    foreign: int            # messages for a phone_number_id not configured here, left out


def rows(batch: Batch, accept_ids: list[str] | None, now: float) -> Rows:
    messages, foreign = [], 0
    for m in batch.messages:
        if accept_ids and m.phone_number_id not in accept_ids:
            foreign += 1
            continue
        messages.append(_storable((m.wamid, m.phone_number_id, m.wa_id, m.contact_name, m.msg_type, m.body,
                                   json.dumps(m.raw, ensure_ascii=False), m.sent_at, now, now)))
    statuses = [_storable((s.wamid, s.status, s.recipient, s.ts, s.error_code, s.error, now))
                for s in batch.statuses]
    return Rows(messages, statuses, foreign)


def _storable(row: tuple) -> tuple:
    """The row with every unencodable code point replaced by U+FFFD: the
    customer's text is kept (and answered) with a visible mark where the bad
    character was, instead of the whole batch being refused."""
    for v in row:
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                return tuple(_SURROGATE.sub("\ufffd", v) if isinstance(v, str) else v for v in row)
    return row


def store_batch(conn: sqlite3.Connection, batch: Batch, accept_ids: list[str] | None = None) -> dict:
    """Store a parsed webhook batch in one transaction; idempotent per wamid."""
    return store_rows(conn, [rows(batch, accept_ids, clock.now())])


def store_rows(conn: sqlite3.Connection, parts: list[Rows]) -> dict:
    """Store several batches' rows in one durable transaction (one fsync for
    all of them; it backs a 200 to Meta, or a spool file deleted next) and
    return the totals. Messages already stored (same wamid) and statuses
    already seen are ignored; the statuses_apply trigger moves each reply's
    delivery state forward. Usually one SQL statement in all."""
    messages = [r for p in parts for r in p.messages]
    statuses = [r for p in parts for r in p.statuses]
    inserts = _inserts("INSERT OR IGNORE INTO inbox", _MESSAGE_COLUMNS, messages)
    counts = db.write(conn, inserts + _inserts("INSERT OR IGNORE INTO statuses", _STATUS_COLUMNS, statuses))
    stored = sum(counts[:len(inserts)])
    return {"stored": stored, "duplicates": len(messages) - stored,
            "foreign": sum(p.foreign for p in parts), "statuses": len(statuses)}


def _inserts(verb: str, columns: str, items: list[tuple]) -> list[tuple[str, list]]:
    """Multi-row INSERTs: one statement for up to _ROWS_PER_STATEMENT rows."""
    out = []
    for i in range(0, len(items), _ROWS_PER_STATEMENT):
        chunk = items[i:i + _ROWS_PER_STATEMENT]
        one = "(" + ",".join("?" * len(chunk[0])) + ")"
        out.append((f"{verb} ({columns}) VALUES {','.join([one] * len(chunk))}",
                    [v for row in chunk for v in row]))
    return out


def lease_owners(conn: sqlite3.Connection) -> list[str]:
    """Every worker that holds a lease now."""
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT lease_owner FROM inbox WHERE status='processing' AND lease_owner IS NOT NULL")]


def recover_expired(conn: sqlite3.Connection, dead_owners: list[str] | tuple = ()) -> dict:
    """Take back leases that ran out, and at once those of ``dead_owners``
    (workers known to be gone): a reply that was in flight ('sending') is
    parked as unknown, anything else goes back to the queue.

    A requeued message keeps its attempts: when they are used up, the worker
    whose ``claim`` gets it next parks it (``over_cap``) with the apology
    instead of trying again; only a worker can send that apology.
    """
    now = clock.now()
    requeued = unknown = 0
    owners = list(dead_owners)
    q = ",".join("?" * len(owners))
    dead = f" OR i.lease_owner IN ({q})" if owners else ""
    with transaction(conn):
        rows = conn.execute("SELECT i.id, o.id AS oid, o.state FROM inbox i"
                            " LEFT JOIN outbox o ON o.inbox_id=i.id"
                            f" WHERE i.status='processing' AND (i.lease_until < ?{dead})",
                            (now, *owners)).fetchall()
        for r in rows:
            if r["state"] == "sending":
                conn.execute("UPDATE outbox SET state='unknown', updated_at=? WHERE id=?", (now, r["oid"]))
                conn.execute("UPDATE inbox SET status='unknown', lease_owner=NULL, lease_until=NULL,"
                             " error='worker stopped while the reply was in flight; not resent',"
                             " finished_at=?, updated_at=? WHERE id=?", (now, now, r["id"]))
                unknown += 1
            else:
                conn.execute("UPDATE inbox SET status='queued', lease_owner=NULL, lease_until=NULL,"
                             " error='the worker stopped while handling it', updated_at=? WHERE id=?",
                             (now, r["id"]))
                requeued += 1
    return {"requeued": requeued, "unknown": unknown}


def claim(conn: sqlite3.Connection, owner: str, lease_seconds: float, lane: str | None = None) -> sqlite3.Row | None:
    """Lease the next message of ``lane`` (None: of any lane) that may be answered now.

    A message waits while an earlier message of the same customer (same
    business number) is still open in either lane, so one customer's replies
    go out in order.
    The lease counts an attempt; the caller parks a message whose attempts
    exceed ``[worker] max_attempts`` (``over_cap``) instead of trying again.
    """
    now = clock.now()
    with transaction(conn):
        row = conn.execute(
            # '+' keeps the planner on (status, id): walk in order, stop at the first due.
            "SELECT i.* FROM inbox i WHERE i.status='queued' AND +i.next_attempt_at <= ?"
            + (" AND +i.lane = ?" if lane else "") +
            " AND NOT EXISTS (SELECT 1 FROM inbox j WHERE j.phone_number_id=i.phone_number_id"
            "   AND j.wa_id=i.wa_id AND j.id < i.id AND j.status IN ('queued','processing'))"
            " ORDER BY i.id LIMIT 1", (now, lane) if lane else (now,)).fetchone()
        if row is None:
            return None
        conn.execute("UPDATE inbox SET status='processing', lease_owner=?, lease_until=?,"
                     " attempts=attempts+1, updated_at=? WHERE id=?",
                     (owner, now + lease_seconds, now, row["id"]))
    return conn.execute("SELECT * FROM inbox WHERE id=?", (row["id"],)).fetchone()


def to_lane(conn: sqlite3.Connection, msg_id: int, owner: str, lane: str) -> bool:
    """Hand a leased message to another lane: queued there at once, still
    ahead of the same customer's later messages. The look the first lane took
    does not count as an attempt. False when the lease was lost."""
    now = clock.now()
    with transaction(conn):
        cur = conn.execute("UPDATE inbox SET lane=?, status='queued', lease_owner=NULL, lease_until=NULL,"
                           " attempts=MAX(attempts-1, 0), next_attempt_at=0, updated_at=?"
                           " WHERE id=? AND lease_owner=? AND status='processing'", (lane, now, msg_id, owner))
    return cur.rowcount == 1


def over_cap(msg: sqlite3.Row, max_attempts: int) -> bool:
    """A claimed message that has been tried ``max_attempts`` times already
    (each try ended in a crash, a hang the watchdog killed, or an error)."""
    return msg["attempts"] > max_attempts


def outbox_for(conn: sqlite3.Connection, inbox_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM outbox WHERE inbox_id=?", (inbox_id,)).fetchone()


def prepare(conn: sqlite3.Connection, msg: sqlite3.Row, owner: str, payload: dict,
            meta: dict | None = None, *, sending: bool = False) -> int | None:
    """Persist the reply (and what the bot said about it) before sending;
    None when the lease was lost.

    With ``sending=True`` the reply is stored already past the point of no
    return (state 'sending', first attempt): the caller sends right after
    this commit, so one fsync'd transaction does the work of two.
    """
    now = clock.now()
    state, attempts = ("sending", 1) if sending else ("prepared", 0)
    with transaction(conn, durable=sending):
        if not _owned(conn, msg["id"], owner):
            return None
        cur = conn.execute(
            "INSERT INTO outbox (inbox_id, phone_number_id, wa_id, kind, body, meta, state, attempts,"
            " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (msg["id"], msg["phone_number_id"], msg["wa_id"], payload.get("type", "text"),
             json.dumps(payload, ensure_ascii=False), json.dumps(meta or {}), state, attempts, now, now))
        return cur.lastrowid


def mark_sending(conn: sqlite3.Connection, msg_id: int, outbox_id: int, owner: str) -> bool:
    """The point of no return: committed before the request leaves."""
    now = clock.now()
    with transaction(conn, durable=True):
        if not _owned(conn, msg_id, owner):
            return False
        conn.execute("UPDATE outbox SET state='sending', attempts=attempts+1, updated_at=? WHERE id=?"
                     " AND state='prepared'", (now, outbox_id))
        return conn.execute("SELECT state FROM outbox WHERE id=?", (outbox_id,)).fetchone()[0] == "sending"


def mark_sent(conn: sqlite3.Connection, msg_id: int, outbox_id: int, wamid: str,
              event: dict | None = None, status: str = "answered", error: str | None = None) -> None:
    """Record the reply's id and close the message, with its monitoring event
    in the same transaction (a reader never sees one without the other).
    ``status='failed'``: the reply was the apology for a message given up on."""
    now = clock.now()
    with transaction(conn):
        if event is not None:
            events.record(conn, **event)
        conn.execute("UPDATE outbox SET state='sent', wamid=?, sent_at=?, delivery=COALESCE(delivery, 'sent'),"
                     " error=NULL, error_code=NULL, updated_at=? WHERE id=?", (wamid, now, now, outbox_id))
        # A status Meta sent before we knew the wamid was stored and applied to
        # nothing (the trigger found no reply with that id): apply it now.
        conn.execute(f"UPDATE outbox SET delivery=s.status, error_code=s.error_code, error=s.error"
                     f" FROM (SELECT status, error_code, error FROM statuses WHERE wamid=?"
                     f"       ORDER BY {_RANK.format('status')} DESC LIMIT 1) AS s"
                     f" WHERE outbox.id=? AND {_RANK.format('s.status')} > {_RANK.format('outbox.delivery')}",
                     (wamid, outbox_id))
        # 'unknown' too: a slow send may finish after another worker gave up on it.
        conn.execute("UPDATE inbox SET status=?, lease_owner=NULL, lease_until=NULL, error=?,"
                     " finished_at=?, updated_at=? WHERE id=? AND status IN ('processing','unknown')",
                     (status, error, now, now, msg_id))


def mark_retry(conn: sqlite3.Connection, msg_id: int, outbox_id: int | None, delay: float,
               code: int | None, error: str) -> None:
    """A definite failure that may be retried: the reply was not delivered."""
    now = clock.now()
    with transaction(conn):
        if outbox_id is not None:
            conn.execute("UPDATE outbox SET state='prepared', error_code=?, error=?, updated_at=? WHERE id=?",
                         (code, error, now, outbox_id))
        conn.execute("UPDATE inbox SET status='queued', lease_owner=NULL, lease_until=NULL,"
                     " next_attempt_at=?, error=?, error_code=?, updated_at=? WHERE id=? AND status='processing'",
                     (now + delay, error, code, now, msg_id))


def finish(conn: sqlite3.Connection, msg_id: int, status: str, *, outbox_id: int | None = None,
           outbox_state: str | None = None, code: int | None = None, error: str | None = None,
           event: dict | None = None) -> None:
    """Close a message: ignored, stale, handoff, failed or unknown."""
    assert status in DONE
    now = clock.now()
    with transaction(conn):
        if event is not None:
            events.record(conn, **event)
        if outbox_id is not None and outbox_state:
            conn.execute("UPDATE outbox SET state=?, error_code=?, error=?, updated_at=? WHERE id=?",
                         (outbox_state, code, error, now, outbox_id))
        conn.execute("UPDATE inbox SET status=?, error=?, error_code=?, lease_owner=NULL, lease_until=NULL,"
                     " finished_at=?, updated_at=? WHERE id=?", (status, error, code, now, now, msg_id))


def release(conn: sqlite3.Connection, owner: str) -> int:
    """Give back this worker's leases on a clean stop (never one that is mid-send)."""
    now = clock.now()
    with transaction(conn):
        cur = conn.execute(
            "UPDATE inbox SET status='queued', lease_owner=NULL, lease_until=NULL, updated_at=?"
            " WHERE lease_owner=? AND status='processing' AND NOT EXISTS"
            " (SELECT 1 FROM outbox o WHERE o.inbox_id=inbox.id AND o.state='sending')", (now, owner))
    return cur.rowcount


def requeue(conn: sqlite3.Connection, ids: list[int] | None = None, status: str | None = None) -> int:
    """Operator action: send parked messages through the bot again."""
    now = clock.now()
    where, args = [], []
    if ids:
        where.append(f"id IN ({','.join('?' * len(ids))})")
        args.extend(ids)
    if status:
        where.append("status=?")
        args.append(status)
    if not where:
        raise ValueError("requeue needs ids or a status")
    with transaction(conn):
        targets = [r[0] for r in conn.execute(
            f"SELECT id FROM inbox WHERE status IN ('failed','unknown','stale') AND {' AND '.join(where)}", args)]
        for i in targets:
            conn.execute("DELETE FROM outbox WHERE inbox_id=? AND state != 'sent'", (i,))
            conn.execute("UPDATE inbox SET status='queued', lane='fast', next_attempt_at=0, attempts=0, error=NULL,"
                         " error_code=NULL, finished_at=NULL, updated_at=? WHERE id=?", (now, i))
    return len(targets)


def queue_depth_and_age(conn: sqlite3.Connection) -> tuple[int, float | None]:
    """Open messages and the age in seconds of the oldest one."""
    row = conn.execute("SELECT COUNT(*), MIN(received_at) FROM inbox WHERE status IN ('queued','processing')"
                       ).fetchone()
    age = clock.now() - row[1] if row[1] is not None else None
    return row[0], age


def count_by_status(conn: sqlite3.Connection, statuses: tuple[str, ...]) -> dict[str, int]:
    """Inbound messages in each of ``statuses`` now (0 for none)."""
    marks = ",".join("?" * len(statuses))
    counts = dict(conn.execute(f"SELECT status, COUNT(*) FROM inbox WHERE status IN ({marks}) GROUP BY status",
                               statuses).fetchall())
    return {s: counts.get(s, 0) for s in statuses}


def outbox_count_by_state(conn: sqlite3.Connection, states: tuple[str, ...]) -> dict[str, int]:
    """Replies in each of ``states`` now (0 for none)."""
    marks = ",".join("?" * len(states))
    counts = dict(conn.execute(f"SELECT state, COUNT(*) FROM outbox WHERE state IN ({marks}) GROUP BY state",
                               states).fetchall())
    return {s: counts.get(s, 0) for s in states}


def queue_by_lane(conn: sqlite3.Connection) -> dict[str, dict]:
    """Per worker lane: open messages and the age in seconds of the oldest one (None: empty)."""
    now = clock.now()
    out = {lane: {"depth": 0, "oldest_age_seconds": None} for lane in LANES}
    for lane, n, oldest in conn.execute("SELECT lane, COUNT(*), MIN(received_at) FROM inbox"
                                        " WHERE status IN ('queued','processing') GROUP BY lane"):
        out[lane] = {"depth": n, "oldest_age_seconds": now - oldest if oldest is not None else None}
    return out


def listing(conn: sqlite3.Connection, status: str | None = None, limit: int = 50) -> list[sqlite3.Row]:
    sql = ("SELECT i.id, i.wamid, i.phone_number_id, i.wa_id, i.msg_type, i.body, i.status, i.attempts,"
           " i.error, i.error_code, i.received_at, o.state AS reply_state, o.wamid AS reply_wamid"
           " FROM inbox i LEFT JOIN outbox o ON o.inbox_id=i.id")
    args: list = []
    if status:
        sql += " WHERE i.status=?"
        args.append(status)
    sql += " ORDER BY i.id DESC LIMIT ?"
    args.append(limit)
    return conn.execute(sql, args).fetchall()


def _owned(conn, msg_id: int, owner: str) -> bool:
    return conn.execute("SELECT 1 FROM inbox WHERE id=? AND lease_owner=? AND status='processing'",
                        (msg_id, owner)).fetchone() is not None


# -- staff messages' rows (inbox_id NULL): the rules are whatsapp/operator_outbox.py's --------

def enqueue_staff(conn: sqlite3.Connection, phone_number_id: str, wa_id: str, payload: dict, operator: str) -> int:
    """Queue a message a person (or the system's notes) wrote; its outbox id. Call inside a transaction."""
    now = clock.now()
    cur = conn.execute(
        "INSERT INTO outbox (inbox_id, phone_number_id, wa_id, kind, body, meta, state, attempts, operator,"
        " next_attempt_at, created_at, updated_at) VALUES (NULL,?,?,?,?,?,'queued',0,?,?,?,?)",
        (phone_number_id, wa_id, payload.get("type", "text"), json.dumps(payload, ensure_ascii=False),
         json.dumps({"operator": operator}), operator, now, now, now))
    return cur.lastrowid


def claim_staff(conn: sqlite3.Connection, owner: str, lease_seconds: float) -> sqlite3.Row | None:
    """The oldest due staff message, committed (and synced) as 'sending'; one customer's in order."""
    now = clock.now()
    with transaction(conn, durable=True):
        row = conn.execute(
            "SELECT o.* FROM outbox o WHERE o.inbox_id IS NULL AND o.state='queued' AND o.next_attempt_at <= ?"
            " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.inbox_id IS NULL AND p.wa_id=o.wa_id"
            "   AND p.phone_number_id=o.phone_number_id AND p.id < o.id AND p.state IN ('queued','sending'))"
            " ORDER BY o.id LIMIT 1", (now,)).fetchone()
        if row is None:
            return None
        conn.execute("UPDATE outbox SET state='sending', attempts=attempts+1, lease_owner=?, lease_until=?,"
                     " updated_at=? WHERE id=?", (owner, now + lease_seconds, now, row["id"]))
    return conn.execute("SELECT * FROM outbox WHERE id=?", (row["id"],)).fetchone()


def staff_lease_owners(conn: sqlite3.Connection) -> list[str]:
    """The workers holding staff messages now."""
    return [r[0] for r in conn.execute("SELECT DISTINCT lease_owner FROM outbox"
                                       " WHERE inbox_id IS NULL AND lease_owner IS NOT NULL")]


def recover_staff(conn: sqlite3.Connection, dead_owners: list[str] | tuple = ()) -> int:
    """Park as 'unknown' the staff messages a dead worker left mid-send; the number parked."""
    now = clock.now()
    dead = list(dead_owners)
    owned_by_dead = f" OR lease_owner IN ({','.join('?' * len(dead))})" if dead else ""
    with transaction(conn):
        return conn.execute(
            "UPDATE outbox SET state='unknown', lease_owner=NULL, lease_until=NULL, updated_at=?,"
            " error='worker stopped while the message was in flight; not resent'"
            f" WHERE inbox_id IS NULL AND state='sending' AND (lease_until < ?{owned_by_dead})",
            (now, now, *dead)).rowcount


def staff_sent(conn: sqlite3.Connection, outbox_id: int, wamid: str) -> None:
    """Graph API took the staff message. Call inside a transaction."""
    now = clock.now()
    conn.execute("UPDATE outbox SET state='sent', wamid=?, sent_at=?, delivery=COALESCE(delivery, 'sent'),"
                 " error=NULL, error_code=NULL, lease_owner=NULL, lease_until=NULL, updated_at=? WHERE id=?",
                 (wamid, now, now, outbox_id))


def staff_not_sent(conn: sqlite3.Connection, outbox_id: int, state: str, code: int | None, error: str,
                   next_attempt_at: float) -> None:
    """An attempt failed: ``state`` 'queued' (retried at ``next_attempt_at``), 'failed' or
    'unknown'. Call inside a transaction."""
    conn.execute("UPDATE outbox SET state=?, error_code=?, error=?, next_attempt_at=?, lease_owner=NULL,"
                 " lease_until=NULL, updated_at=? WHERE id=?",
                 (state, code, error, next_attempt_at, clock.now(), outbox_id))
