"""What was said lately in a conversation: the last turns per (business
number, customer), forgotten after [bot] context_idle_minutes of silence.

The classifier reads the last turn's topic (which products, which day) so
"e a calabresa?" continues a price question; the LLM reads the last turns.
Owns the ``conversation_turns`` table.
"""
from __future__ import annotations

import json

from .. import clock


def recent(conn, phone_number_id: str, wa_id: str, turns: int, idle_minutes: float) -> list[dict]:
    """The last ``turns`` turns, oldest first; none if the customer was idle too long."""
    since = clock.now() - idle_minutes * 60
    rows = conn.execute("SELECT ts, question, reply, intent, topic FROM conversation_turns"
                        " WHERE phone_number_id=? AND wa_id=? AND ts >= ? ORDER BY id DESC LIMIT ?",
                        (phone_number_id, wa_id, since, max(turns, 0))).fetchall()
    out = []
    for r in reversed(rows):
        d = dict(r)
        d["topic"] = json.loads(d["topic"]) if d["topic"] else {}
        out.append(d)
    return out


def last_topic(turns: list[dict]) -> dict | None:
    """What the classifier needs from the latest turn: its intent and topic."""
    if not turns:
        return None
    t = turns[-1]
    return {"intent": t["intent"], **t["topic"]}


def record(conn, phone_number_id: str, wa_id: str, question: str, reply: str | None, intent: str,
           topic: dict, keep: int) -> None:
    """Add a turn and drop the ones beyond ``keep``. Call inside a transaction."""
    conn.execute("INSERT INTO conversation_turns (phone_number_id, wa_id, ts, question, reply, intent, topic)"
                 " VALUES (?,?,?,?,?,?,?)",
                 (phone_number_id, wa_id, clock.now(), question[:1000], (reply or "")[:2000], intent,
                  json.dumps(topic, ensure_ascii=False) if topic else None))
    conn.execute("DELETE FROM conversation_turns WHERE phone_number_id=? AND wa_id=? AND id NOT IN"
                 " (SELECT id FROM conversation_turns WHERE phone_number_id=? AND wa_id=? ORDER BY id DESC LIMIT ?)",
                 (phone_number_id, wa_id, phone_number_id, wa_id, max(keep, 1)))


def forget(conn, phone_number_id: str, wa_id: str) -> None:
    """Drop one conversation's turns (a person took over: what came before is stale)."""
    conn.execute("DELETE FROM conversation_turns WHERE phone_number_id=? AND wa_id=?", (phone_number_id, wa_id))


def purge(conn, idle_minutes: float) -> int:
    """Forget every conversation idle for longer than the window (customers' words are not kept)."""
    cur = conn.execute("DELETE FROM conversation_turns WHERE ts < ?", (clock.now() - idle_minutes * 60,))
    return cur.rowcount
