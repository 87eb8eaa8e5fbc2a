"""Bookkeeping of the timer jobs: each run's start, end and outcome in
``job_runs``, and the units systemd reported failed in ``unit_failures``.

The job names and their expected periods live here, in one place: the
health check, the "job overdue" alert and the dashboard all read them.
A job whose last success is older than its period plus the grace time
(``[alerts] job_grace_minutes``) is overdue: the dead man's switch that
catches a timer that silently stopped firing or a run that hangs.
"""
from __future__ import annotations

import json
import sqlite3

from .. import clock, db

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0

# job name -> expected period in seconds (the systemd timer's interval).
JOBS: dict[str, float] = {
    "collect-metrics": 5 * MINUTE,
    "check-alerts": 15 * MINUTE,
    "backup": DAY,
    "cleanup": 7 * DAY,
    "healthcheck": HOUR,
    "sync-catalog": 15 * MINUTE,
}


def unit_to_job(unit: str) -> str | None:
    """'chatbot-backup.service' -> 'backup'; None for a unit that is not a job."""
    name = unit.rsplit("/", 1)[-1]
    for suffix in (".service", ".timer"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    if name.startswith("chatbot-"):
        name = name[len("chatbot-"):]
    return name if name in JOBS else None


def start(conn: sqlite3.Connection, job: str) -> int:
    with db.transaction(conn):
        cur = conn.execute("INSERT INTO job_runs (job, started_at, status) VALUES (?, ?, 'running')",
                           (job, clock.now()))
    return cur.lastrowid


def finish(conn: sqlite3.Connection, run_id: int, status: str, message: str = "",
           details: dict | None = None) -> None:
    if status not in ("ok", "failed"):
        raise ValueError(f"bad job status {status!r}")
    with db.transaction(conn):
        conn.execute("UPDATE job_runs SET finished_at=?, status=?, message=?, details=? WHERE id=?",
                     (clock.now(), status, message[:1000],
                      json.dumps(details, default=str) if details is not None else None, run_id))


def mark_failed(conn: sqlite3.Connection, job: str, message: str) -> int:
    """Record a failure reported from outside the run (systemd's OnFailure=).

    A run killed by a timeout or a signal left its row 'running': close it
    as failed. If the run already recorded its own failure, keep that; if
    there is no row at all (it died before reaching the database), add one.
    Returns the id of the failed run.
    """
    now = clock.now()
    with db.transaction(conn):
        row = conn.execute("SELECT id, status FROM job_runs WHERE job=? ORDER BY started_at DESC, id DESC"
                           " LIMIT 1", (job,)).fetchone()
        if row is not None and row["status"] == "running":
            conn.execute("UPDATE job_runs SET finished_at=?, status='failed', message=? WHERE id=?",
                         (now, message[:1000], row["id"]))
            return row["id"]
        if row is not None and row["status"] == "failed":
            return row["id"]
        cur = conn.execute("INSERT INTO job_runs (job, started_at, finished_at, status, message)"
                           " VALUES (?, ?, ?, 'failed', ?)", (job, now, now, message[:1000]))
        return cur.lastrowid


def record_unit_failure(conn: sqlite3.Connection, unit: str, message: str) -> str | None:
    """A unit systemd reported failed (OnFailure=); a job's open run is closed
    as failed too. Returns the job's name, None for a unit that is not a job."""
    job = unit_to_job(unit)
    with db.transaction(conn):
        conn.execute("INSERT INTO unit_failures (ts, unit, job, message) VALUES (?,?,?,?)",
                     (clock.now(), unit, job, message))
    if job:
        mark_failed(conn, job, message)
    return job


def clear_unit_failures(conn: sqlite3.Connection, unit: str) -> int:
    """The operator says a unit's failures are dealt with; returns how many."""
    with db.transaction(conn):
        return conn.execute("UPDATE unit_failures SET cleared_at=? WHERE unit=? AND cleared_at IS NULL",
                            (clock.now(), unit)).rowcount


def failed_units(conn: sqlite3.Connection, since: float) -> list[sqlite3.Row]:
    """Non-job units with an uncleared failure since ``since``: unit, last ts, message."""
    return conn.execute("SELECT unit, max(ts) AS ts, message FROM unit_failures WHERE job IS NULL AND ts > ?"
                        " AND cleared_at IS NULL GROUP BY unit", (since,)).fetchall()


def last_runs(conn: sqlite3.Connection) -> dict[str, dict]:
    """The latest run of each known job (None when it never ran), plus its last success."""
    out: dict[str, dict | None] = {}
    for job in JOBS:
        row = conn.execute("SELECT started_at, finished_at, status, message FROM job_runs WHERE job=?"
                           " ORDER BY started_at DESC, id DESC LIMIT 1", (job,)).fetchone()
        if row is None:
            out[job] = None
            continue
        out[job] = dict(row)
        out[job]["last_success"] = last_success(conn, job)
        out[job]["period"] = JOBS[job]
    return out


def last_success(conn: sqlite3.Connection, job: str) -> float | None:
    row = conn.execute("SELECT finished_at FROM job_runs WHERE job=? AND status='ok'"
                       " ORDER BY started_at DESC LIMIT 1", (job,)).fetchone()
    return row["finished_at"] if row else None


def last_finished(conn: sqlite3.Connection, job: str, exclude_id: int | None = None) -> dict | None:
    row = conn.execute("SELECT id, started_at, finished_at, status, message FROM job_runs"
                       " WHERE job=? AND status IN ('ok', 'failed') AND id IS NOT ?"
                       " ORDER BY started_at DESC, id DESC LIMIT 1", (job, exclude_id)).fetchone()
    return dict(row) if row else None


def installed_at(conn: sqlite3.Connection) -> float:
    """When the schema was first created: the reference for jobs that never ran."""
    row = conn.execute("SELECT min(applied_at) AS t FROM schema_migrations").fetchone()
    return row["t"] if row and row["t"] is not None else clock.now()


def overdue(conn: sqlite3.Connection, grace_seconds: float, now: float | None = None) -> dict[str, float]:
    """job -> seconds since its last success (or since installation), for overdue jobs only."""
    now = clock.now() if now is None else now
    since_install = installed_at(conn)
    late = {}
    for job, period in JOBS.items():
        ref = last_success(conn, job) or since_install
        if now - ref > period + grace_seconds:
            late[job] = now - ref
    return late
