"""Messages people write (and the system's notes while a person holds a
conversation): queued by the web service, sent by the worker, with the
bot's outbox rules.

Life of such an ``outbox`` row (``inbox_id`` is NULL, ``operator`` names the writer)::

    queued --claim (lease, committed fsync'd as 'sending')--> sending --> sent
       ^                                                         \\-> failed   (not retryable, or attempts used up)
       \\------------- retryable error (next_attempt_at) ---------/ \\-> unknown  (timeout after it may have left,
                                                                                or the worker died mid-send)

A row is committed as ``sending`` before the request leaves, so a worker
killed mid-send leaves ``sending`` behind, and whoever finds it after its
lease parks it as ``unknown``: never sent twice on a guess, and shown on the
conversation page for a person to check.

The rows are ``outbox``'s, so ``whatsapp/inbox.py`` (the table's owner) writes
them; this module decides when and what (order, retries, backoff, events).
"""
from __future__ import annotations

import json
import logging
import random
import sqlite3

from .. import clock, db, events
from ..bot import handoff
from ..log import mask_phone
from . import inbox, media
from .graph_api import GraphError

log = logging.getLogger("chatbot.worker")

SYSTEM = "sistema"       # the writer of the automatic notes (pickup, timeout)
RE_ENGAGEMENT = 131047   # Meta: more than 24 hours since the customer last wrote


def enqueue(conn: sqlite3.Connection, phone_number_id: str, wa_id: str, payload: dict, operator: str) -> int:
    """Queue a message for the worker (call inside a transaction); its outbox id."""
    return inbox.enqueue_staff(conn, phone_number_id, wa_id, payload, operator)


def lease_owners(conn: sqlite3.Connection) -> list[str]:
    """The workers holding staff messages now."""
    return inbox.staff_lease_owners(conn)


def recover_expired(conn: sqlite3.Connection, dead_owners: list[str] = ()) -> int:
    """Park as 'unknown' what a dead worker left mid-send (its lease ran out,
    or its owner is a process known to be gone); the number parked."""
    return inbox.recover_staff(conn, dead_owners)


def send_due(conn: sqlite3.Connection, client, owner: str, worker_cfg, media_dir=None) -> str | None:
    """Send one due message; its final state for this attempt, None when nothing was due."""
    # Claimed committed (and synced) as 'sending': the point of no return. One customer's
    # messages go out in order: one waits while an older one is queued for a retry or being sent.
    row = inbox.claim_staff(conn, owner, worker_cfg.lease_seconds)
    if row is None:
        return None
    payload = json.loads(row["body"])
    who = row["operator"] or SYSTEM
    event = {"phone_number_id": row["phone_number_id"], "wa_id": row["wa_id"], "intent": "operator_reply",
             "source": "operator", "confidence": 1.0, "operator": who, "handoff": True,
             "latency_ms": (clock.now() - row["created_at"]) * 1000}
    try:
        if "media_row" in payload:      # a file staff attached: uploaded first (once), then sent by its id
            payload = media.outbound(conn, client, media_dir, row["phone_number_id"], payload)
        wamid = client.send(row["phone_number_id"], payload)
    except GraphError as exc:
        return _failed(conn, row, exc, event, worker_cfg)
    with db.transaction(conn):
        events.record(conn, **event, success=True)
        inbox.staff_sent(conn, row["id"], wamid)
    log.info("sent %s's message %s to %s", who, row["id"], mask_phone(row["wa_id"]))
    return "sent"


def _failed(conn, row, exc: GraphError, event: dict, worker_cfg) -> str:
    now = clock.now()
    with db.transaction(conn):
        events.api_error(conn, exc.code, exc.http_status, str(exc), exc.retryable)
        if exc.ambiguous:
            state = "unknown"
        elif exc.retryable and row["attempts"] < worker_cfg.max_attempts:
            state = "queued"
        else:
            state = "failed"
        delay = _backoff(worker_cfg, row["attempts"]) if state == "queued" else 0
        inbox.staff_not_sent(conn, row["id"], state, exc.code, str(exc)[:300], now + delay)
        if state != "queued":
            events.record(conn, **event, success=False, error=str(exc)[:300])
        if exc.code == RE_ENGAGEMENT:
            handoff.needs_template(conn, (row["phone_number_id"], row["wa_id"]), True)
    level = logging.WARNING if state == "queued" else logging.ERROR
    log.log(level, "%s's message %s to %s: %s (%s)", row["operator"] or SYSTEM, row["id"],
            mask_phone(row["wa_id"]), state if state != "queued" else f"retry in {delay:.1f}s", exc)
    return state


def _backoff(w, attempt: int) -> float:
    base = min(w.retry_max_seconds, w.retry_base_seconds * 2 ** max(attempt - 1, 0))
    return base * random.uniform(0.5, 1.0)
