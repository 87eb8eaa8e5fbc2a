"""The dashboard's numbers (``/stats``, ``/dashboard``) and the conversation views.

Every time series is a bucketed aggregate over an indexed ``ts`` range, so the
cost follows the size of the window, not of the table: with a million events
a 24 h window reads only that day's entries of ``events_ts_web_idx``, a
covering index (migration 0004_web), and never touches the table rows.

Each section (messages, handoffs, alerts, jobs, backups, system samples...)
is computed on its own: one that fails (a locked database, a damaged table)
is reported in ``unavailable`` and the rest of the page still renders.
"""
from __future__ import annotations

import logging
import math
import sqlite3
import threading

from .. import clock, events, log as logmod
from ..bot import handoff
from ..db import describe_error
from ..ops import alerts, backup, jobs, notify, schedule
from ..whatsapp import inbox as inbox_mod, rejects

log = logging.getLogger("chatbot.web")

MAX_HOURS = 24 * 30
# Bucket widths to pick from: the smallest that keeps a chart under MAX_POINTS.
_STEPS = (300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
MAX_POINTS = 168
TOP_INTENTS = 8


def bucket_seconds(hours: int) -> int:
    span = hours * 3600
    return next((s for s in _STEPS if span / s <= MAX_POINTS), _STEPS[-1])


def window(hours: int, now: float) -> tuple[float, float, int, int]:
    """(since, until, step, n): n buckets of ``step`` seconds aligned to the
    epoch, the last one holding ``now``."""
    step = bucket_seconds(hours)
    n = math.ceil(hours * 3600 / step)
    last = math.floor(now / step) * step
    return last - (n - 1) * step, last + step, step, n


# -- message series -------------------------------------------------------------

# One pass over the covering index: every column comes from events_ts_web_idx.
_EVENT_ROWS = "SELECT ts, success, handoff, latency_ms, intent FROM events WHERE ts >= ? AND ts < ?"
_RECEIVED_BUCKETS = """
SELECT CAST((received_at - :since) / :step AS INTEGER) AS b, COUNT(*)
FROM inbox WHERE received_at >= :since AND received_at < :until GROUP BY b
"""
_RECENT_FAILURES = """
SELECT ts, inbox_id, wa_id, intent, error FROM events
WHERE ts >= :since AND ts < :until AND success = 0 ORDER BY ts DESC LIMIT :limit
"""
# Latencies go into geometric bins 5% wide: percentiles of any set of
# buckets come from adding their bins, within 2.5% of the exact value.
_RATIO = 1.05
_LOG_RATIO = math.log(_RATIO)
SETTLE_SECONDS = 60      # events.ts is the commit time: a bucket this far past is final


def _lat_bin(ms: float) -> int:
    return 0 if ms < 1 else int(math.log(ms) / _LOG_RATIO) + 1


def _bin_ms(k: int) -> float:
    return 0.5 if k == 0 else _RATIO ** (k - 0.5)


class Bucket:
    __slots__ = ("n", "ok", "handoff", "received", "intents", "lat")

    def __init__(self):
        self.n = self.ok = self.handoff = self.received = 0
        self.intents: dict[str, int] = {}
        self.lat: dict[int, int] = {}


def hist_percentile(hist: dict[int, int], q: float) -> float | None:
    total = sum(hist.values())
    if not total:
        return None
    rank, seen = q * total, 0
    for k in sorted(hist):
        seen += hist[k]
        if seen >= rank:
            return _bin_ms(k)
    return _bin_ms(max(hist))


def compute_buckets(conn: sqlite3.Connection, since: float, step: int, n: int) -> list[Bucket]:
    until = since + n * step
    out = [Bucket() for _ in range(n)]
    for ts, ok, ho, ms, intent in conn.execute(_EVENT_ROWS, (since, until)):
        b = out[min(int((ts - since) // step), n - 1)]
        b.n += 1
        b.ok += ok
        b.handoff += ho
        intent = intent or "?"
        b.intents[intent] = b.intents.get(intent, 0) + 1
        if ms is not None:
            k = _lat_bin(ms)
            b.lat[k] = b.lat.get(k, 0) + 1
    for i, count in conn.execute(_RECEIVED_BUCKETS, {"since": since, "until": until, "step": step}):
        if 0 <= i < n:
            out[i].received = count
    return out


class BucketCache:
    """Buckets that can no longer change, kept between requests.

    Events and inbox rows are written at the time they happen and never
    edited, so once a bucket is SETTLE_SECONDS in the past its numbers are
    final: each refresh of the dashboard then reads only the newest bucket
    from the database. A restore swaps the database while the service is
    stopped (see ops/restore.py); should the highest event id ever go down
    anyway, everything is forgotten.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.data: dict[tuple, Bucket] = {}
        self.high_id = 0
        self.warming: set[int] = set()

    def warm_later(self, db_path, hours: int) -> None:
        """Fill the buckets of another window in a background thread, once:
        an operator on the 24 h view is likely to click the 7-day one next."""
        with self.lock:
            if hours in self.warming:
                return
            self.warming.add(hours)

        def run():
            from .. import db
            try:
                conn = db.connect(db_path, migrate_schema=False)
                try:
                    now = clock.now()
                    since, _until, step, n = window(hours, now)
                    self.get(conn, since, step, n, now)
                finally:
                    conn.close()
            except Exception as exc:     # only a head start: the page computes what is missing itself
                log.warning("warming the %d h dashboard in the background failed: %s", hours,
                            describe_error(exc) if isinstance(exc, sqlite3.Error) else type(exc).__name__)
        threading.Thread(target=run, name=f"warm-{hours}h", daemon=True).start()

    def get(self, conn, since: float, step: int, n: int, now: float) -> list[Bucket]:
        high = conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
        with self.lock:
            if high < self.high_id:
                self.data.clear()
            self.high_id = high
            have = [self.data.get((step, since + i * step)) for i in range(n)]
        first = next((i for i, b in enumerate(have) if b is None), n)
        if first == n:
            return have
        fresh = compute_buckets(conn, since + first * step, step, n - first)
        with self.lock:
            for i, b in enumerate(fresh, first):
                start = since + i * step
                if start + step <= now - SETTLE_SECONDS:
                    self.data[(step, start)] = b
                have[i] = b
            horizon = now - MAX_HOURS * 3600 - 2 * step
            for key in [k for k in self.data if k[1] < horizon]:
                del self.data[key]
        return have


def message_series(conn: sqlite3.Connection, since: float, until: float, step: int, n: int,
                   now: float | None = None, cache: BucketCache | None = None) -> dict:
    buckets = cache.get(conn, since, step, n, clock.now() if now is None else now) if cache \
        else compute_buckets(conn, since, step, n)
    all_lat: dict[int, int] = {}
    intents: dict[str, int] = {}
    for b in buckets:
        for k, c in b.lat.items():
            all_lat[k] = all_lat.get(k, 0) + c
        for k, c in b.intents.items():
            intents[k] = intents.get(k, 0) + c
    handled = sum(b.n for b in buckets)
    answered = sum(b.ok for b in buckets)
    return {
        "series": {"received": [b.received for b in buckets], "answered": [b.ok for b in buckets],
                   "failed": [b.n - b.ok for b in buckets], "handoff": [b.handoff for b in buckets],
                   "latency_p50_ms": [_round(hist_percentile(b.lat, 0.5)) for b in buckets],
                   "latency_p95_ms": [_round(hist_percentile(b.lat, 0.95)) for b in buckets]},
        "totals": {"received": sum(b.received for b in buckets), "handled": handled, "answered": answered,
                   "failed": handled - answered, "handoffs": sum(b.handoff for b in buckets),
                   "failure_rate": round((handled - answered) / handled, 4) if handled else None,
                   "latency_p50_ms": _round(hist_percentile(all_lat, 0.5)),
                   "latency_p95_ms": _round(hist_percentile(all_lat, 0.95))},
        "intents": [{"intent": k, "count": c}
                    for k, c in sorted(intents.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_INTENTS]],
    }


def recent_failures(conn, since: float, until: float, secrets: list[str], limit: int = 10) -> list[dict]:
    rows = conn.execute(_RECENT_FAILURES, {"since": since, "until": until, "limit": limit})
    return [{"ts": r["ts"], "inbox_id": r["inbox_id"], "wa_id": r["wa_id"], "intent": r["intent"],
             "error": _clean(r["error"], secrets)} for r in rows]


def api_errors(conn, since: float, secrets: list[str], limit: int = 10) -> dict:
    rows = conn.execute("SELECT ts, code, http_status, message FROM api_errors WHERE ts >= ?"
                        " ORDER BY ts DESC LIMIT ?", (since, limit)).fetchall()
    by_code = conn.execute("SELECT code, COUNT(*) FROM api_errors WHERE ts >= ? GROUP BY code"
                           " ORDER BY 2 DESC", (since,)).fetchall()
    return {"recent": [{"ts": r[0], "code": r[1], "http_status": r[2], "message": _clean(r[3], secrets)}
                       for r in rows],
            "by_code": [{"code": c, "count": k} for c, k in by_code]}


def webhook_rejects(conn, since: float, pending: dict | None = None) -> list[dict]:
    return rejects.counts_since(conn, since, pending)


# -- system series (the metrics job's samples) ---------------------------------

def system_series(conn, since: float, until: float, step: int, n: int) -> dict:
    """Per bucket, the highest CPU/memory/disk sample: a short spike must show."""
    cols = ("cpu_percent", "memory_percent", "disk_percent")
    out = {c: [None] * n for c in cols}
    rows = conn.execute("SELECT ts, cpu_percent, memory_percent, disk_percent FROM metrics"
                        " WHERE ts >= ? AND ts < ?", (since, until))
    for ts, *values in rows:
        b = int((ts - since) // step)
        if 0 <= b < n:
            for c, v in zip(cols, values):
                if v is not None and (out[c][b] is None or v > out[c][b]):
                    out[c][b] = round(v, 1)
    latest = conn.execute("SELECT ts, cpu_percent, memory_percent, disk_percent, load1 FROM metrics"
                          " ORDER BY ts DESC LIMIT 1").fetchone()
    return {"series": out, "latest": dict(latest) if latest else None}


# -- the whole page ------------------------------------------------------------

def dashboard(conn: sqlite3.Connection, cfg, hours: int = 24, now: float | None = None,
              cache: BucketCache | None = None, pending_rejects: dict | None = None) -> dict:
    """Everything /stats returns and /dashboard draws. ``pending_rejects``: the
    web process's refused webhooks not yet in a stored sample."""
    now = clock.now() if now is None else now
    since, until, step, n = window(hours, now)
    secrets = cfg.secrets()
    out: dict = {"generated_at": now, "timezone": cfg.bot.store_timezone, "hours": hours,
                 "bucket_seconds": step, "since": since, "until": until,
                 "t": [since + i * step for i in range(n)], "unavailable": {}}
    bad = out["unavailable"]

    msgs = _section(bad, "messages", lambda: message_series(conn, since, until, step, n, now, cache))
    out["series"] = msgs["series"] if msgs else {}
    out["totals"] = msgs["totals"] if msgs else {}
    out["intents"] = msgs["intents"] if msgs else []
    system = _section(bad, "system", lambda: system_series(conn, since, until, step, n))
    if system:
        out["series"].update(system["series"])
    out["system_latest"] = system["latest"] if system else None
    out["queue"] = _section(bad, "queue", lambda: _queue(conn))
    out["lanes"] = _section(bad, "lanes", lambda: _lanes(conn, now, cfg.alerts.window_minutes * 60))
    # A few missed beats is a busy database; more than that, a stopped worker.
    stale_after = events.heartbeat_late_after(cfg)
    out["worker"] = _section(bad, "worker", lambda: _heartbeat(conn, "worker", now, stale_after))
    out["handoffs_waiting"] = _section(bad, "handoffs", lambda: _handoffs(conn, now)) or []
    out["people"] = _section(bad, "people", lambda: _people(conn, since, cfg))
    out["orders"] = _section(bad, "orders", lambda: _orders(conn, since, cfg))
    out["errors"] = {
        "failed_messages": _section(bad, "failed_messages",
                                    lambda: recent_failures(conn, since, until, secrets)) or [],
        "api_errors": _section(bad, "api_errors", lambda: api_errors(conn, since, secrets))
        or {"recent": [], "by_code": []},
        "webhook_rejects": _section(bad, "webhook_rejects",
                                    lambda: webhook_rejects(conn, since, pending_rejects)) or [],
        "failed_notifications": _section(bad, "notifications",
                                         lambda: _failed_notifications(conn, since, secrets)) or [],
    }
    out["alerts_firing"] = _section(bad, "alerts", lambda: _alerts(conn, secrets)) or []
    out["last_backup"] = _section(bad, "backup", lambda: _last_backup(conn, secrets))
    # The last five archives, as the tutorial's /stats had them (chatbot-backup --list has all).
    out["backups"] = _section(bad, "backups", lambda: backup.list_backups(cfg, conn, now=now, limit=5))
    out["jobs"] = _section(bad, "jobs", lambda: _jobs(conn, secrets, now)) or []
    return out


def _people(conn, since: float, cfg) -> dict:
    from .. import operators
    return operators.figures(conn, since, tz=clock.store_zone(cfg.bot.store_timezone))


def _orders(conn, since: float, cfg) -> dict:
    from ..orders import store
    return store.figures(conn, since, tz=clock.store_zone(cfg.bot.store_timezone))


def _section(unavailable: dict, name: str, fn):
    try:
        return fn()
    except (sqlite3.Error, OSError) as exc:     # OSError: the backup dir or a unit file unreadable
        unavailable[name] = describe_error(exc)
        log.warning("dashboard section %s unavailable: %s", name, unavailable[name])
    return None


def _queue(conn) -> dict:
    depth, age = inbox_mod.queue_depth_and_age(conn)
    return {"depth": depth, "oldest_age_seconds": _round(age)}


def _lanes(conn, now: float, window: float) -> dict:
    """The worker's lanes: depth and oldest age of each, the model's recent p50/p95."""
    from ..ops.rules import llm_latency
    lanes = {k: {"depth": v["depth"], "oldest_age_seconds": _round(v["oldest_age_seconds"])}
             for k, v in inbox_mod.queue_by_lane(conn).items()}
    p50, p95, n = llm_latency(conn, now - window)
    return dict(lanes, llm_p50_ms=_round(p50), llm_p95_ms=_round(p95), llm_replies=n)


def _heartbeat(conn, name: str, now: float, stale_after: float) -> dict | None:
    row = conn.execute("SELECT ts, pid FROM heartbeats WHERE name=?", (name,)).fetchone()
    if row is None:
        return None
    age = now - row["ts"]
    return {"ts": row["ts"], "age_seconds": round(age, 1), "pid": row["pid"], "stale": age > stale_after}


def _handoffs(conn, now: float) -> list[dict]:
    items = []
    for h in handoff.waiting(conn):
        h = dict(h)
        since = h.get("since")
        h["waiting_seconds"] = round(now - since, 1) if since else None
        items.append(h)
    return items


def _failed_notifications(conn, since: float, secrets) -> list[dict]:
    return [logmod.scrub_tree(dict(r), secrets) for r in notify.failed_notifications(conn, since)][:10]


def _alerts(conn, secrets) -> list[dict]:
    return [logmod.scrub_tree(dict(a), secrets) for a in alerts.firing(conn)]


def _last_backup(conn, secrets) -> dict | None:
    b = backup.last_backup(conn)
    return logmod.scrub_tree(dict(b), secrets) if b else None


def _jobs(conn, secrets, now: float) -> list[dict]:
    """Each known job with its period, last run (``status`` None: never ran)
    and next run (from systemd, or its timer unit's OnCalendar=: ops/schedule.py)."""
    runs = jobs.last_runs(conn)
    plan = schedule.job_schedules(jobs.JOBS, now)
    out = []
    for name, period in jobs.JOBS.items():
        run = logmod.scrub_tree(dict(runs.get(name) or {}), secrets)
        run.setdefault("status", None)
        out.append(dict(run, **plan[name], job=name, period=period))
    return out


# -- conversations ---------------------------------------------------------------

def _waiting_by_key(conn) -> dict:
    """(phone_number_id, wa_id) -> the handoff waiting for a person."""
    return {(h["phone_number_id"], h["wa_id"]): h for h in handoff.waiting(conn)}


def _last_message(conn, key) -> dict:
    row = conn.execute("SELECT contact_name, msg_type, body, status, received_at FROM inbox"
                       " WHERE wa_id=? AND phone_number_id=? ORDER BY id DESC LIMIT 1", (key[1], key[0])).fetchone()
    return dict(row) if row else {}


def conversations(conn, limit: int = 50, scan: int = 5000) -> list[dict]:
    """Customers waiting for a person first (however old their last
    message), then the most recent conversations, each with its last message.
    Reads only the newest ``scan`` inbox rows: cheap with any table size."""
    waiting = _waiting_by_key(conn)
    convs: dict = {}
    for key in waiting:
        last = _last_message(conn, key)
        convs[key] = {"phone_number_id": key[0], "wa_id": key[1], "contact_name": last.get("contact_name"),
                      "last_at": last.get("received_at"), "last_body": last.get("body"),
                      "last_type": last.get("msg_type"), "last_status": last.get("status")}
    rows = conn.execute("SELECT phone_number_id, wa_id, contact_name, msg_type, body, status, received_at"
                        " FROM inbox ORDER BY id DESC LIMIT ?", (scan,))
    for r in rows:
        key = (r["phone_number_id"], r["wa_id"])
        if key not in convs and len(convs) < limit + len(waiting):
            convs[key] = {"phone_number_id": key[0], "wa_id": key[1], "contact_name": r["contact_name"],
                          "last_at": r["received_at"], "last_body": r["body"], "last_type": r["msg_type"],
                          "last_status": r["status"]}
        elif key in convs and not convs[key]["contact_name"]:
            convs[key]["contact_name"] = r["contact_name"]
    for key, c in convs.items():
        h = waiting.get(key)
        c.update(mode="human" if h else "bot", handoff_since=h and h["since"], handoff_reason=h and h["reason"])
    return sorted(convs.values(), key=lambda c: (c["mode"] != "human", -(c["last_at"] or 0)))


# -- helpers -----------------------------------------------------------------------

def _round(v, nd: int = 1):
    return None if v is None else round(v, nd)


def _clean(text, secrets) -> str | None:
    return None if text is None else logmod.scrub(str(text), secrets)[:300]


