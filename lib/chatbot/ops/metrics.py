"""One metrics sample per chatbot-collect-metrics run (every 5 minutes).

CPU usage comes from counter deltas between runs: ``psutil.cpu_percent()``
in a fresh process always says 0.0, and sampling one second of a
five-minute window says little. Each row keeps the raw ``cpu_times()``
counters and the boot time; the next run takes the difference. The first
run, and the first after a reboot (counters restart), record the counters
with ``cpu_percent`` NULL.

Traffic figures (replies, errors, latency) cover the time since the
previous row, at most an hour back.
"""
from __future__ import annotations

import os
import shutil
import sqlite3

from .. import clock, db
from ..percentiles import percentile
from .checks import disk_path

MAX_WINDOW = 3600.0
DEFAULT_WINDOW = 300.0

COLUMNS = ("ts", "boot_time", "cpu_total", "cpu_idle", "cpu_percent", "memory_percent", "disk_percent",
           "disk_free_bytes", "load1", "load5", "load15", "inbox_depth", "oldest_age_seconds", "window_seconds",
           "replies", "errors", "api_errors", "auth_errors", "latency_p50_ms", "latency_p95_ms")


def system_readings(path: str) -> tuple[dict, list[str]]:
    """What the machine says now; readings it cannot take are None (and named)."""
    import psutil
    out, missing = {}, []
    try:
        t = psutil.cpu_times()
        idle = t.idle + getattr(t, "iowait", 0.0)
        out.update(boot_time=psutil.boot_time(), cpu_total=sum(t), cpu_idle=idle)
    except OSError:
        missing.append("cpu")
    try:
        out["memory_percent"] = psutil.virtual_memory().percent
    except OSError:
        missing.append("memory")
    try:
        out["load1"], out["load5"], out["load15"] = os.getloadavg()
    except OSError:
        missing.append("load")
    usage = shutil.disk_usage(path)
    out["disk_percent"] = round(100.0 * usage.used / usage.total, 2) if usage.total else None
    out["disk_free_bytes"] = usage.free
    return out, missing


def cpu_percent(prev: dict | None, cur: dict) -> float | None:
    """Busy share of CPU time between two samples; None when not comparable.

    Not comparable: no previous sample, a reboot in between (different boot
    time, or counters that went backwards), or no time elapsed.
    """
    if not prev or prev.get("cpu_total") is None or cur.get("cpu_total") is None:
        return None
    if prev.get("boot_time") is None or abs(prev["boot_time"] - cur["boot_time"]) > 2.0:
        return None
    d_total = cur["cpu_total"] - prev["cpu_total"]
    d_idle = cur["cpu_idle"] - prev["cpu_idle"]
    if d_total <= 0 or d_idle < 0:
        return None
    return round(max(0.0, min(100.0, 100.0 * (1.0 - d_idle / d_total))), 2)


def traffic_since(conn: sqlite3.Connection, since: float) -> dict:
    from .rules import auth_codes
    rows = conn.execute("SELECT success, latency_ms FROM events WHERE ts > ?", (since,)).fetchall()
    lat = sorted(r["latency_ms"] for r in rows if r["success"] and r["latency_ms"] is not None)
    codes = sorted(auth_codes())
    api = conn.execute(f"SELECT count(*) AS n, sum(code IN ({','.join('?' * len(codes))})) AS auth"
                       " FROM api_errors WHERE ts > ?", (*codes, since)).fetchone()
    return {"replies": sum(1 for r in rows if r["success"]), "errors": sum(1 for r in rows if not r["success"]),
            "api_errors": api["n"], "auth_errors": api["auth"] or 0,
            "latency_p50_ms": percentile(lat, 0.5), "latency_p95_ms": percentile(lat, 0.95)}


def queue(conn: sqlite3.Connection, now: float) -> dict:
    row = conn.execute("SELECT count(*) AS n, min(received_at) AS oldest FROM inbox"
                       " WHERE status IN ('queued', 'processing')").fetchone()
    return {"inbox_depth": row["n"], "oldest_age_seconds": round(now - row["oldest"], 1) if row["oldest"] else 0.0}


def collect(conn: sqlite3.Connection, cfg, readings: dict | None = None) -> dict:
    """Take one sample and store it; return the row (plus 'missing' readings).

    ``readings`` replaces the live system readings (tests of the delta logic
    across reboots); traffic and queue figures always come from the database.
    """
    now = clock.now()
    missing: list[str] = []
    if readings is None:
        readings, missing = system_readings(disk_path(cfg))
    prev = conn.execute("SELECT * FROM metrics ORDER BY ts DESC, id DESC LIMIT 1").fetchone()
    prev = dict(prev) if prev else None
    since = prev["ts"] if prev and 0 < now - prev["ts"] <= MAX_WINDOW else now - DEFAULT_WINDOW
    row = {c: None for c in COLUMNS}
    row.update(readings)
    row.update(ts=now, window_seconds=round(now - since, 1), cpu_percent=cpu_percent(prev, readings))
    row.update(queue(conn, now))
    row.update(traffic_since(conn, since))
    with db.transaction(conn):
        cur = conn.execute(f"INSERT INTO metrics ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                           [row[c] for c in COLUMNS])
    row["id"] = cur.lastrowid
    row["missing"] = missing
    return row


def latest(conn: sqlite3.Connection) -> sqlite3.Row | None:
    """The newest host sample: ts, cpu_percent, memory_percent, disk_percent, load1."""
    return conn.execute("SELECT ts, cpu_percent, memory_percent, disk_percent, load1 FROM metrics"
                        " ORDER BY ts DESC LIMIT 1").fetchone()


def series(conn: sqlite3.Connection, since_ts: float, limit: int = 5000) -> list[dict]:
    """Rows for charts, oldest first."""
    rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM metrics WHERE ts >= ? ORDER BY ts LIMIT ?",
                        (since_ts, limit)).fetchall()
    return [dict(r) for r in rows]
