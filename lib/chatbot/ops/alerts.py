"""Alert rules and their state machine, Alertmanager style.

Each run of ``chatbot-check-alerts`` observes every rule (``observe``) and
moves its state, kept in ``alert_state`` because each run is a new process::

    inactive --trigger--> pending --held >= pending time--> firing --clear--> (resolved)
                 |           \\--clear--> inactive (cancelled)     \\--repeat interval--> notify again
                 \\--(rules with no pending time fire at once)

*Trigger* and *clear* are separate thresholds (disk: fires at 90%, clears
below 85%), so a value wobbling around one line neither fires nor
resolves over and over. A pending alert keeps counting while the value
sits between the two. A firing alert notifies once, again every
``repeat_hours`` while it holds, and exactly once when it resolves.

Rules with no pending time: Graph API auth errors (an expired token will
not heal itself), failed jobs and units, overdue jobs (their grace time is
the wait) and a stale worker heartbeat (its staleness is the wait).
"""
from __future__ import annotations

import sqlite3

from .. import clock, db, formats
from . import notify, rules
from .checks import Check

__all__ = ["Check", "firing", "pending", "history", "step", "apply", "run_check"]


# -- reading, for the health check and the dashboard ------------------------
def firing(conn: sqlite3.Connection) -> list[dict]:
    rows = conn.execute("SELECT name, severity, firing_since AS since, summary, value FROM alert_state"
                        " WHERE state='firing' ORDER BY firing_since").fetchall()
    return [dict(r) for r in rows]


def pending(conn: sqlite3.Connection) -> list[dict]:
    rows = conn.execute("SELECT name, severity, pending_since AS since, summary, value FROM alert_state"
                        " WHERE state='pending' ORDER BY pending_since").fetchall()
    return [dict(r) for r in rows]


def history(conn: sqlite3.Connection, since_ts: float, limit: int = 200) -> list[dict]:
    rows = conn.execute("SELECT ts, name, event, severity, value, summary FROM alert_history WHERE ts >= ?"
                        " ORDER BY ts DESC, id DESC LIMIT ?", (since_ts, limit)).fetchall()
    return [dict(r) for r in rows]


# -- the state machine --------------------------------------------------------
def step(state: dict | None, check: Check, now: float, repeat_seconds: float) -> tuple[dict | None, str | None]:
    """Next state of one alert and the event of this step (None: nothing happened).

    ``state`` is the ``alert_state`` row as a dict, None when inactive. Events:
    pending, cancelled, firing, repeat, resolved, and None for no change.
    """
    if state is None:
        if not check.active:
            return None, None
        new = {"state": "pending", "pending_since": now, "firing_since": None, "last_notified_at": None}
        if check.pending_seconds <= 0:
            new.update(state="firing", firing_since=now, last_notified_at=now)
            return new, "firing"
        return new, "pending"
    new = dict(state)
    if state["state"] == "pending":
        if check.cleared:
            return None, "cancelled"
        # No data (value None) holds the alert where it is: never fire on a guess.
        if check.value is not None and now - state["pending_since"] >= check.pending_seconds:
            new.update(state="firing", firing_since=now, last_notified_at=now)
            return new, "firing"
        return new, None
    # firing
    if check.cleared:
        return None, "resolved"
    if now - (state["last_notified_at"] or state["firing_since"]) >= repeat_seconds:
        new["last_notified_at"] = now
        return new, "repeat"
    return new, None


def apply(conn: sqlite3.Connection, cfg, checks: list[Check]) -> list[dict]:
    """Move every alert one step in one transaction and queue its notices.

    Alerts in the table that no rule produced this run (a unit failure that
    aged out, a job no longer known) count as cleared.
    """
    now = clock.now()
    repeat = cfg.alerts.repeat_hours * 3600
    host = notify.hostname(cfg)
    transitions = []
    with db.transaction(conn):
        states = {r["name"]: dict(r) for r in conn.execute("SELECT * FROM alert_state")}
        by_name = {c.name: c for c in checks}
        for name, st in states.items():
            if name not in by_name:
                by_name[name] = Check(name, st["title"], st["severity"], st["value"], False, True,
                                      st["summary"] or st["title"], st["title"], 0.0)
        for name, check in by_name.items():
            old = states.get(name)
            new, event = step(old, check, now, repeat)
            if new is None:
                if old is not None:
                    conn.execute("DELETE FROM alert_state WHERE name=?", (name,))
            else:
                conn.execute(
                    "INSERT INTO alert_state (name, state, severity, title, summary, value, pending_since,"
                    " firing_since, last_notified_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)"
                    " ON CONFLICT(name) DO UPDATE SET state=excluded.state, severity=excluded.severity,"
                    " title=excluded.title, summary=excluded.summary, value=excluded.value,"
                    " pending_since=excluded.pending_since, firing_since=excluded.firing_since,"
                    " last_notified_at=excluded.last_notified_at, updated_at=excluded.updated_at",
                    (name, new["state"], check.severity, check.title, check.summary, check.value,
                     new["pending_since"], new["firing_since"], new["last_notified_at"], now))
            if event is None:
                continue
            conn.execute("INSERT INTO alert_history (ts, name, event, severity, value, summary) VALUES (?,?,?,?,?,?)",
                         (now, name, event, check.severity, check.value, check.summary))
            transitions.append({"name": name, "event": event, "severity": check.severity,
                                "summary": check.summary})
            if event in ("firing", "repeat", "resolved"):
                since = (new or old or {}).get("firing_since") or now
                subject, body, payload = compose(check, event, since, now, host)
                notify.enqueue(conn, cfg, name, event, subject, body, payload)
    return transitions


def compose(check: Check, event: str, since: float, now: float, host: str) -> tuple[str, str, dict]:
    label = "RESOLVED" if event == "resolved" else "FIRING"
    subject = f"[chatbot {label}] {check.short} on {host}"
    lines = [f"{label}: {check.summary}",
             f"Host: {host}",
             f"Alert: {check.name} (severity {check.severity})",
             f"Firing since: {formats.utc(since)}"]
    if event == "resolved":
        lines.append(f"Resolved at: {formats.utc(now)} (after {formats.span(now - since)})")
        lines += ["", "The condition has cleared. Nothing more needs to be done for this alert."]
    else:
        if event == "repeat":
            lines.append(f"Still firing after {formats.span(now - since)}; this notice repeats while it holds.")
        if check.help:
            lines += ["", check.help]
    lines += ["", "-- chatbot-check-alerts (see the dashboard and docs/OPERATIONS.md, section Alerts)"]
    payload = {"status": "resolved" if event == "resolved" else "firing", "event": event, "alert": check.name,
               "severity": check.severity, "summary": check.summary, "value": check.value, "host": host,
               "since": since, "text": subject}
    return subject, "\n".join(lines) + "\n", payload


def run_check(conn: sqlite3.Connection, cfg, current_run_id: int | None = None) -> dict:
    """One alert check: observe, step, notify. Returns what happened."""
    checks = rules.observe(conn, cfg, current_run_id=current_run_id)
    transitions = apply(conn, cfg, checks)
    delivery = notify.deliver(conn, cfg)
    return {"checked": len(checks), "transitions": transitions,
            "firing": firing(conn), "pending": pending(conn),
            "channels": notify.channels(cfg), "notifications": delivery}
