"""Is the service healthy? One cheap evaluation for /health and chatbot-healthcheck.

``evaluate`` runs on every probe of the web service's ``/health``, so it
only does indexed look-ups: no table scans, no integrity check.

Overall status, from the worst component:

* ``healthy``   every component ok
* ``warning``   something needs a look (a job late, a warning-level alert): still serving
* ``critical``  a component is failing (worker down, disk nearly full, a job far overdue)
* ``unhealthy`` the database itself cannot be read: nothing works

``/health`` answers 200 for healthy/warning and 503 otherwise;
``chatbot-healthcheck`` exits 0 / 1 / 2 for healthy / warning / critical-or-unhealthy.
"""
from __future__ import annotations

import os
import shutil
import sqlite3

from .. import clock, events, formats
from . import jobs
from .checks import RANK, component as _component, disk_path

def check_database(conn: sqlite3.Connection, cfg) -> dict:
    row = conn.execute("SELECT count(*) AS n FROM schema_migrations").fetchone()
    try:
        size = os.path.getsize(cfg.db_path)
    except OSError:
        size = None
    detail = f"{row['n']} migrations applied"
    if size is not None:
        detail += f", {size / 1e6:.1f} MB"
    return _component("ok", detail, size_bytes=size)


def check_disk(cfg) -> dict:
    path = disk_path(cfg)
    usage = shutil.disk_usage(path)
    percent = 100.0 * usage.used / usage.total if usage.total else 0.0
    a = cfg.alerts
    status = "critical" if percent >= a.disk_percent else "warning" if percent >= a.disk_clear_percent else "ok"
    return _component(status, f"{percent:.0f}% used, {usage.free / 1e9:.1f} GB free on {path}",
                      percent=round(percent, 1), free_bytes=usage.free)


def check_worker(conn: sqlite3.Connection, cfg, now: float) -> dict:
    row = conn.execute("SELECT ts, pid FROM heartbeats WHERE name='worker'").fetchone()
    if row is None:
        return _component("warning", "no heartbeat from chatbot-worker yet")
    age = now - row["ts"]
    if age > cfg.alerts.worker_stale_seconds:
        status = "critical"
    elif age > events.heartbeat_late_after(cfg):
        status = "warning"
    else:
        status = "ok"
    return _component(status, f"last heartbeat {formats.ago(age)} (pid {row['pid']})", age_seconds=round(age, 1))


def check_job(conn: sqlite3.Connection, job: str, period: float, grace: float, now: float) -> dict:
    last_ok = jobs.last_success(conn, job)
    latest = conn.execute("SELECT status, message FROM job_runs WHERE job=? AND status != 'running'"
                          " ORDER BY started_at DESC LIMIT 1", (job,)).fetchone()
    if last_ok is None:
        since = jobs.installed_at(conn)
        status = "warning" if now - since > period + grace else "ok"
        detail = "never succeeded" + (f" (last run failed: {latest['message']})" if latest else "")
        return _component(status, detail, last_success=None)
    age = now - last_ok
    if age > 3 * period + grace:
        status = "critical"
    elif age > period + grace:
        status = "warning"
    else:
        status = "ok"
    detail = f"last success {formats.ago(age)}"
    if latest is not None and latest["status"] == "failed":
        status = max(status, "warning", key=RANK.get)
        detail += f"; last run failed: {latest['message']}"
    return _component(status, detail, last_success=last_ok, age_seconds=round(age, 1))


def check_alerts(conn: sqlite3.Connection) -> dict:
    from . import alerts
    firing = alerts.firing(conn)
    if not firing:
        return _component("ok", "no alert firing", firing=[])
    worst = "critical" if any(a["severity"] == "critical" for a in firing) else "warning"
    names = ", ".join(a["name"] for a in firing[:5])
    return _component(worst, f"{len(firing)} firing: {names}", firing=[a["name"] for a in firing])


def check_backup(conn: sqlite3.Connection, cfg, now: float) -> dict:
    from . import backup
    last = backup.last_backup(conn)
    period = jobs.JOBS["backup"] + cfg.alerts.job_grace_minutes * 60
    if last is None:
        return _component("warning", "no backup yet")
    age = now - last["created_at"]
    if not os.path.exists(last["path"]):
        return _component("warning", f"last backup file is missing: {last['path']}")
    status = "ok" if age <= period else "warning"
    return _component(status, f"last backup {formats.ago(age)}, {last['size'] / 1e6:.1f} MB",
                      path=last["path"], age_seconds=round(age, 1))


def evaluate(conn: sqlite3.Connection, cfg) -> dict:
    now = clock.now()
    comps: dict[str, dict] = {}
    try:
        comps["database"] = check_database(conn, cfg)
    except sqlite3.Error as exc:
        from .. import db
        comps["database"] = _component("critical", db.describe_error(exc))
    try:
        comps["disk"] = check_disk(cfg)
    except OSError as exc:
        comps["disk"] = _component("critical", f"cannot measure disk: {exc.strerror or exc}")
    if comps["database"]["status"] == "ok":
        try:
            comps["worker"] = check_worker(conn, cfg, now)
            grace = cfg.alerts.job_grace_minutes * 60
            for job, period in jobs.JOBS.items():
                comps[f"job:{job}"] = check_job(conn, job, period, grace, now)
            comps["alerts"] = check_alerts(conn)
            comps["backup"] = check_backup(conn, cfg, now)
        except sqlite3.Error as exc:
            from .. import db
            comps["database"] = _component("critical", db.describe_error(exc))
    return {"status": overall(comps), "checked_at": now, "components": comps}


def overall(components: dict[str, dict]) -> str:
    if components.get("database", {}).get("status") == "critical":
        return "unhealthy"
    worst = max((RANK[c["status"]] for c in components.values()), default=0)
    return {0: "healthy", 1: "warning", 2: "critical"}[worst]


def exit_code(status: str) -> int:
    return {"healthy": 0, "warning": 1}.get(status, 2)
