"""GET /health and GET /metrics: for load balancers, the health-check job and Prometheus.

Neither needs the admin token. /health tells everyone the overall status
and each component's status; the details (``ops.health``'s text: worker PID,
backup path, free disk, job errors; secrets scrubbed) only to an operator
(the admin token as Bearer, or the login session). /metrics can be limited to
an allow-list of addresses (``[web] metrics_allow``) and to a bearer token
(``[web] metrics_token``): behind a local proxy every client is 127.0.0.1.

Counters in /metrics are real Prometheus counters: the tables they come
from (events, inbox, statuses, api_errors) are append-only by rowid, so each
scrape adds only the rows past the last id it saw. They start from the rows
stored when the service first reads them and reset when it restarts
(Prometheus' ``rate()`` handles that), and never go down when the retention
job deletes old rows. Refused webhooks are counted in this process's memory
(``whatsapp.rejects``: the table holds only samples of them).
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
import sqlite3
import threading

from flask import Blueprint, Response, abort, current_app, g, jsonify, request
from prometheus_client.core import Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.utils import floatToGoString

from .. import __version__, clock, events
from ..log import scrub_tree
from ..db import describe_error
from ..ops import alerts, backup, health as health_mod, jobs, metrics as metrics_mod, rules
from ..whatsapp import inbox as inbox_mod
from . import auth
from .db import get_db

bp = Blueprint("observe", __name__)
log = logging.getLogger("chatbot.web")

# Reply latency histogram bounds, in seconds (le).
LATENCY_BOUNDS = (0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300)


# -- /health ---------------------------------------------------------------------

@bp.get("/health")
def health():
    try:
        result = health_mod.evaluate(get_db(), g.cfg)
    except (sqlite3.Error, OSError) as exc:
        result = {"status": "unhealthy", "checked_at": clock.now(),
                  "components": {"database": {"status": "critical", "detail": describe_error(exc)}}}
    result = scrub_tree(result, g.cfg.secrets())
    code = 200 if result["status"] in ("healthy", "warning") else 503
    if not _is_admin():
        # Load balancers and the health-check job need only the verdicts; the
        # details (worker PID, backup path, free disk, job errors) are for operators.
        result = {"status": result["status"], "checked_at": result["checked_at"],
                  "components": {k: {"status": c["status"]} for k, c in result["components"].items()}}
    resp = jsonify(result)
    resp.status_code = code
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Vary"] = "Authorization, Cookie"
    return resp


def _is_admin() -> bool:
    """The admin token as Bearer, or an admin's login session."""
    return auth.identify() in ("bearer", "session") and g.user.can("admin")


def _metrics_token_ok(token: str) -> bool:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() != "bearer ":
        return False
    return hmac.compare_digest(header[7:].strip().encode(), token.encode())


# -- /metrics --------------------------------------------------------------------

def allowed(remote: str | None, allow: list[str]) -> bool:
    """Empty allow-list: everyone. An unparsable entry allows nobody extra."""
    if not allow:
        return True
    try:
        ip = ipaddress.ip_address((remote or "").split("%")[0])
    except ValueError:
        return False
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    for entry in allow:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            log.error("[web] metrics_allow: %r is not an address or network; ignored", entry)
    return False


@bp.get("/metrics")
def metrics():
    cfg = g.cfg
    if not allowed(request.remote_addr, cfg.web.metrics_allow):
        abort(403)
    if cfg.web.metrics_token and not _metrics_token_ok(cfg.web.metrics_token):
        return Response("unauthorized\n", status=401, mimetype="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    conn = get_db()
    counters = current_app.extensions.setdefault("chatbot_counters", Counters())
    out = Exposition()
    try:
        counters.update(conn)
        counters.write(out)
        refused = current_app.extensions["chatbot.rejects"].snapshot()
        out.family("chatbot_webhook_rejects_total", "counter",
                   "Webhook deliveries refused (bad signature, bad payload, too large), by reason.",
                   [({"reason": k}, v) for k, v in sorted(refused.items())])
        _gauges(conn, cfg, out)
    except sqlite3.Error as exc:
        log.error("/metrics: %s", describe_error(exc))
        return Response(f"database unavailable: {describe_error(exc)}\n", status=503, mimetype="text/plain")
    return Response(out.text(), content_type="text/plain; version=0.0.4; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


class Exposition:
    """The families of one /metrics answer, written out by prometheus_client's
    text exposition (its escaping and number formats, not ours)."""

    def __init__(self):
        self.families: list[Metric] = []

    def family(self, name: str, kind: str, help_text: str, samples) -> None:
        """samples: iterable of (labels dict, value) or (suffix, labels, value).
        A counter's name ends in ``_total``, as its samples are written."""
        family = Metric(name.removesuffix("_total") if kind == "counter" else name, help_text, kind)
        for s in samples:
            suffix, labels, value = s if len(s) == 3 else ("", *s)
            family.add_sample(name + suffix, {k: str(v) for k, v in labels.items()},
                              float("nan") if value is None else float(value))
        self.families.append(family)

    def collect(self):
        return self.families

    def text(self) -> str:
        return generate_latest(self).decode("utf-8")


def _value(v) -> str:
    """A bucket bound as Prometheus writes it (1.0, +Inf)."""
    return floatToGoString(v)


_EVENTS_SINCE = f"""
SELECT COALESCE(intent, 'none'), COALESCE(source, 'none'), success, handoff, COUNT(*),
       COUNT(latency_ms), COALESCE(SUM(latency_ms), 0),
       {", ".join(f"SUM(latency_ms <= {b * 1000})" for b in LATENCY_BOUNDS)},
       COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0), COUNT(llm_ms), COALESCE(SUM(llm_ms), 0)
FROM events WHERE id > ? AND id <= ? GROUP BY 1, 2, 3, 4
"""
# table -> (query of new rows grouped by one label, counter name)
_SIMPLE = {
    "inbox": "SELECT msg_type, COUNT(*) FROM inbox WHERE id > ? AND id <= ? GROUP BY 1",
    "statuses": "SELECT status, COUNT(*) FROM statuses WHERE id > ? AND id <= ? GROUP BY 1",
    "api_errors": "SELECT COALESCE(CAST(code AS TEXT), 'none'), COUNT(*) FROM api_errors"
                  " WHERE id > ? AND id <= ? GROUP BY 1",
}


class Counters:
    """Cumulative counts of append-only tables, advanced by rowid."""

    def __init__(self):
        self.lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.last: dict[str, int] = {}
        self.by: dict[str, dict] = {t: {} for t in _SIMPLE}
        self.outcome: dict[tuple, int] = {}     # (outcome, source) -> n
        self.intents: dict[str, int] = {}
        self.lat_buckets = [0] * len(LATENCY_BOUNDS)
        self.lat_count = 0
        self.lat_sum_ms = 0.0
        self.tokens_in = self.tokens_out = self.llm_calls = 0
        self.llm_ms = 0.0

    def update(self, conn: sqlite3.Connection) -> None:
        with self.lock:
            highs = {t: conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {t}").fetchone()[0]
                     for t in ("events", *_SIMPLE)}
            if any(hi < self.last.get(t, 0) for t, hi in highs.items()):
                self._reset()    # restored from an older backup: start over, Prometheus sees a reset
            for table, hi in highs.items():
                lo = self.last.get(table, 0)
                if hi == lo:
                    continue
                if table == "events":
                    self._add_events(conn.execute(_EVENTS_SINCE, (lo, hi)))
                else:
                    counts = self.by[table]
                    for key, n in conn.execute(_SIMPLE[table], (lo, hi)):
                        counts[key] = counts.get(key, 0) + n
                self.last[table] = hi

    def _add_events(self, rows) -> None:
        nb = len(LATENCY_BOUNDS)
        for intent, source, success, handoff, n, lat_n, lat_sum, *rest in rows:
            buckets, (t_in, t_out, llm_n, llm_ms) = rest[:nb], rest[nb:]
            outcome = "failed" if not success else "handoff" if handoff else "answered"
            self.outcome[(outcome, source)] = self.outcome.get((outcome, source), 0) + n
            self.intents[intent] = self.intents.get(intent, 0) + n
            self.lat_count += lat_n
            self.lat_sum_ms += lat_sum
            for i, b in enumerate(buckets):
                self.lat_buckets[i] += b or 0
            self.tokens_in += t_in
            self.tokens_out += t_out
            self.llm_calls += llm_n
            self.llm_ms += llm_ms

    def write(self, out: Exposition) -> None:
        with self.lock:
            out.family("chatbot_messages_received_total", "counter",
                       "Inbound WhatsApp messages stored, by message type.",
                       [({"type": k}, v) for k, v in sorted(self.by["inbox"].items())])
            out.family("chatbot_messages_handled_total", "counter",
                       "Messages the worker finished, by outcome (answered, handoff, failed) and reply source.",
                       [({"outcome": o, "source": s}, v) for (o, s), v in sorted(self.outcome.items())])
            out.family("chatbot_delivery_statuses_total", "counter",
                       "Delivery statuses Meta reported for our replies (sent, delivered, read, failed).",
                       [({"status": k}, v) for k, v in sorted(self.by["statuses"].items())])
            samples = [("_bucket", {"le": _value(b)}, c) for b, c in zip(LATENCY_BOUNDS, self.lat_buckets)]
            samples += [("_bucket", {"le": "+Inf"}, self.lat_count), ("_sum", {}, self.lat_sum_ms / 1000),
                        ("_count", {}, self.lat_count)]
            out.family("chatbot_reply_latency_seconds", "histogram",
                       "Time from receiving a message to handing its reply to the Graph API.", samples)
            out.family("chatbot_intents_total", "counter", "Handled messages by detected intent.",
                       [({"intent": k}, v) for k, v in sorted(self.intents.items())])
            out.family("chatbot_llm_requests_total", "counter", "Replies generated by the language model.",
                       [({}, self.llm_calls)])
            out.family("chatbot_llm_tokens_total", "counter", "Language model tokens, by direction.",
                       [({"direction": "prompt"}, self.tokens_in), ({"direction": "completion"}, self.tokens_out)])
            out.family("chatbot_llm_seconds_total", "counter", "Time spent generating with the language model.",
                       [({}, self.llm_ms / 1000)])
            out.family("chatbot_graph_api_errors_total", "counter", "Graph API errors, by Meta error code.",
                       [({"code": k}, v) for k, v in sorted(self.by["api_errors"].items())])


# Statuses worth a gauge; 'answered' and 'ignored' only grow (see the counters).
_OPEN_OR_PARKED = ("queued", "processing", "handoff", "failed", "unknown", "stale")
_OUTBOX_STATES = ("queued", "prepared", "sending", "failed", "unknown")   # queued: staff messages


def _gauges(conn: sqlite3.Connection, cfg, out: Exposition) -> None:
    out.family("chatbot_inbox_messages", "gauge", "Inbound messages now in the inbox, by status.",
               [({"status": s}, n) for s, n in inbox_mod.count_by_status(conn, _OPEN_OR_PARKED).items()])
    out.family("chatbot_outbox_replies", "gauge", "Replies not (yet) sent, by state.",
               [({"state": s}, n) for s, n in inbox_mod.outbox_count_by_state(conn, _OUTBOX_STATES).items()])
    lanes = inbox_mod.queue_by_lane(conn)
    out.family("chatbot_lane_queue_depth", "gauge",
               "Messages queued or in hand per worker lane (fast: templates, cache, handoff; llm: the model).",
               [({"lane": k}, v["depth"]) for k, v in lanes.items()])
    out.family("chatbot_lane_oldest_age_seconds", "gauge",
               "Age of the oldest open message per worker lane (0 when empty).",
               [({"lane": k}, v["oldest_age_seconds"] or 0) for k, v in lanes.items()])
    p50, p95, _n = rules.llm_latency(conn, clock.now() - cfg.alerts.window_minutes * 60)
    out.family("chatbot_llm_latency_seconds", "gauge",
               "Language model generation time over the last [alerts] window_minutes, by quantile (NaN: none).",
               [({"quantile": "0.5"}, p50 / 1000 if p50 is not None else None),
                ({"quantile": "0.95"}, p95 / 1000 if p95 is not None else None)])
    depth, age = inbox_mod.queue_depth_and_age(conn)
    out.family("chatbot_queue_depth", "gauge", "Messages queued or being processed.", [({}, depth)])
    out.family("chatbot_queue_oldest_age_seconds", "gauge", "Age of the oldest open message (0 when empty).",
               [({}, round(age, 3) if age is not None else 0)])
    age = events.heartbeat_age(conn, "worker")
    if age is not None:
        out.family("chatbot_worker_heartbeat_age_seconds", "gauge", "Seconds since the worker's last heartbeat.",
                   [({}, round(age, 3))])
    _people_gauges(conn, out)
    _order_gauges(conn, cfg, out)
    _ops_gauges(conn, cfg, out)
    out.family("chatbot_build_info", "gauge", "The running version.", [({"version": __version__}, 1)])


def _people_gauges(conn, out: Exposition) -> None:
    from .. import operators
    f = operators.figures(conn, clock.now() - 86400, days=1)
    out.family("chatbot_handoffs_waiting", "gauge", "Conversations waiting for a person now (nobody holds them).",
               [({}, f["waiting"])])
    out.family("chatbot_handoffs_held", "gauge", "Conversations a person holds now.", [({}, f["held"])])
    if f["first_reply_count"]:
        out.family("chatbot_first_human_reply_seconds", "gauge",
                   "Time from handoff to the first human reply over the last 24 h, by quantile.",
                   [({"quantile": "0.5"}, f["first_reply_p50_seconds"]),
                    ({"quantile": "0.95"}, f["first_reply_p95_seconds"])])
    out.family("chatbot_handoffs_resolved_by_people_today", "gauge",
               "Handoffs given back to the bot by a person today (UTC day).",
               [({}, list(f["resolved_by_people_per_day"].values())[-1])])


def _order_gauges(conn, cfg, out: Exposition) -> None:
    from ..orders import store
    f = store.figures(conn, clock.now() - 86400, days=1, tz=clock.store_zone(cfg.bot.store_timezone))
    out.family("chatbot_orders_open", "gauge", "Orders not yet delivered or cancelled, by status.",
               [({"status": s}, n) for s, n in f["open"].items()])
    out.family("chatbot_orders_last_24h", "gauge", "Orders placed in the last 24 h (cancelled ones left out).",
               [({}, f["orders"])])
    out.family("chatbot_orders_revenue_last_24h_reais", "gauge", "Their total in reais.",
               [({}, float(f["revenue"]))])
    if f["average_ticket"] is not None:
        out.family("chatbot_orders_average_ticket_reais", "gauge", "Average order total over the last 24 h.",
                   [({}, float(f["average_ticket"]))])
    if f["quotes_to_orders"] is not None:
        out.family("chatbot_quotes_to_orders_ratio", "gauge", "Share of the last 24 h's quotes that became orders.",
                   [({}, f["quotes_to_orders"])])
    if f["confirm_count"]:
        out.family("chatbot_order_confirm_seconds", "gauge",
                   "Time from an order to the store's confirmation over the last 24 h, by quantile.",
                   [({"quantile": "0.5"}, f["confirm_p50_seconds"]), ({"quantile": "0.95"}, f["confirm_p95_seconds"])])


def _ops_gauges(conn, cfg, out: Exposition) -> None:
    runs = jobs.last_runs(conn)
    out.family("chatbot_job_last_success_timestamp_seconds", "gauge",
               "When each timer job last succeeded (Unix time; absent if never).",
               [({"job": j}, r["last_success"]) for j, r in runs.items() if r and r.get("last_success")])
    out.family("chatbot_job_last_run_timestamp_seconds", "gauge", "When each timer job last started (Unix time).",
               [({"job": j}, r["started_at"]) for j, r in runs.items() if r])
    out.family("chatbot_job_last_run_ok", "gauge", "1 if the job's last finished run succeeded, 0 if it failed.",
               [({"job": j}, int(r["status"] == "ok")) for j, r in runs.items()
                if r and r.get("status") in ("ok", "failed")])
    out.family("chatbot_job_period_seconds", "gauge", "The expected period of each timer job.",
               [({"job": j}, p) for j, p in jobs.JOBS.items()])
    firing = alerts.firing(conn)
    out.family("chatbot_alerts_firing", "gauge", "Alerts now firing.", [({}, len(firing))])
    out.family("chatbot_alert_firing", "gauge", "1 for each alert now firing.",
               [({"alert": a["name"], "severity": a.get("severity", "")}, 1) for a in firing])
    last = backup.last_backup(conn)
    if last:
        out.family("chatbot_last_backup_timestamp_seconds", "gauge", "When the last backup was taken.",
                   [({}, last["created_at"])])
        out.family("chatbot_last_backup_size_bytes", "gauge", "Size of the last backup.", [({}, last["size"])])
    row = metrics_mod.latest(conn)
    if row:
        out.family("chatbot_system_sample_timestamp_seconds", "gauge", "When the metrics job last sampled the host.",
                   [({}, row["ts"])])
        for col, what in (("cpu_percent", "CPU"), ("memory_percent", "memory"), ("disk_percent", "disk")):
            if row[col] is not None:
                out.family(f"chatbot_system_{col}", "gauge", f"Host {what} use in percent (last sample).",
                           [({}, row[col])])
        if row["load1"] is not None:
            out.family("chatbot_system_load1", "gauge", "Host 1-minute load average (last sample).",
                       [({}, row["load1"])])
