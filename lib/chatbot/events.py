"""What happened, for monitoring: one row per message the bot handled."""
from __future__ import annotations

import sqlite3

from . import clock

FIELDS = ("inbox_id", "phone_number_id", "wa_id", "intent", "confidence", "source", "processing_ms",
          "latency_ms", "success", "handoff", "tokens_in", "tokens_out", "llm_ms", "error", "operator",
          "question_key", "llm_error")


def record(conn: sqlite3.Connection, **values) -> None:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown event fields: {sorted(unknown)}")
    values.setdefault("success", 1)
    values["success"] = int(bool(values["success"]))
    values["handoff"] = int(bool(values.get("handoff", 0)))
    cols = ["ts", *values]
    conn.execute(f"INSERT INTO events ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                 [clock.now(), *values.values()])


def set_question_keys(conn: sqlite3.Connection, keys: list[tuple[str, int]]) -> None:
    """Fill in ``question_key`` of events stored before it existed: (key, event id) pairs.
    Call inside a transaction."""
    conn.executemany("UPDATE events SET question_key=? WHERE id=? AND question_key IS NULL", keys)


def heartbeat(conn: sqlite3.Connection, name: str, pid: int, info: str = "") -> None:
    conn.execute("INSERT INTO heartbeats (name, pid, ts, info) VALUES (?,?,?,?)"
                 " ON CONFLICT(name) DO UPDATE SET pid=excluded.pid, ts=excluded.ts, info=excluded.info",
                 (name, pid, clock.now(), info))


def heartbeat_age(conn: sqlite3.Connection, name: str) -> float | None:
    """Seconds since ``name`` last beat; None if it never has."""
    row = conn.execute("SELECT ts FROM heartbeats WHERE name=?", (name,)).fetchone()
    return None if row is None else clock.now() - row[0]


def heartbeat_late_after(cfg) -> float:
    """Seconds after which a heartbeat is late. The worker beats every
    ``[worker] heartbeat_seconds`` even when idle: a few missed beats are a
    busy database, more are a worker that is gone or hung (the health check
    says warning, the dashboard shows it, a restore refuses to go on)."""
    return max(6 * cfg.worker.heartbeat_seconds, 60)


def api_error(conn: sqlite3.Connection, code: int | None, http_status: int | None, message: str,
              retryable: bool, inbox_id: int | None = None) -> None:
    conn.execute("INSERT INTO api_errors (ts, code, http_status, message, retryable, inbox_id)"
                 " VALUES (?,?,?,?,?,?)", (clock.now(), code, http_status, message[:500], int(retryable), inbox_id))
