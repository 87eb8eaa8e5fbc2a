"""What the alert check looks at: each rule observed now, as ``checks.Check``.

Thresholds come from ``[alerts]``. Cheap sources only: the latest metrics
row for CPU (a short-lived process cannot sample CPU itself), live
readings for memory and disk, indexed look-ups for traffic, queue, tokens,
heartbeats and jobs.
"""
from __future__ import annotations

import shutil
import sqlite3

from .. import clock
from ..percentiles import percentile
from . import jobs
from .checks import Check, check_web, disk_path

HELP = {
    "cpu": ("The machine's CPU stayed busy above the threshold; replies from the local model slow down.",
            "Look at `top`: chatbot-worker running the model is expected under load. If it lasts, move the"
            " model to the OpenAI-compatible backend ([llm] backend) or to a bigger machine."),
    "memory": ("Memory use stayed above the threshold; the kernel may kill the worker (the model needs RAM).",
               "Look at `ps aux --sort=-rss | head`; restart a process that grew (`systemctl restart"
               " chatbot-worker`); lower [llm] n_ctx if the model is the cause."),
    "disk": ("The filesystem holding the database, customers' files (<state_dir>/media) and backups is filling"
             " up; at 100% messages cannot be stored and files not downloaded (they are retried).",
             "Run `chatbot-cleanup`, lower [backup] keep_count or [media] keep_days (`du -sh <state_dir>/media`),"
             " delete old files under the backup directory by hand if needed (keep the newest), or grow the disk."),
    "error_rate": ("Too many replies failed recently (Graph API errors, the bot failing).",
                   "Look at `journalctl -u chatbot-worker -p warning` and the dashboard's errors; check"
                   " Meta's status page; failed messages can be resent with `chatbot inbox requeue --status failed`."),
    "latency": ("Customers wait too long for replies (95th percentile above the threshold).",
                "Check the worker's load (CPU alert?) and the inbox depth on the dashboard; a slow model or a"
                " Graph API slowdown are the usual causes."),
    "queue_age": ("A customer message has waited unanswered longer than the threshold in one of the worker's"
                  " lanes (fast: templates; llm: replies the language model writes): the worker is stuck,"
                  " down, or cannot keep up.",
                  "`systemctl status chatbot-worker`; `journalctl -u chatbot-worker -n 50`; restart it if hung."
                  " Only the llm lane: the model is too slow for the traffic; see README, Scaling the model"
                  " ([llm] backend = \"openai\" and [llm] concurrency)."),
    "poison": ("A customer message crashed, hung or failed the worker [worker] max_attempts times and was"
               " given up on: it is parked as failed and the customer got an apology.",
               "`chatbot inbox list --status failed` shows it (error \"gave up after ...\");"
               " `journalctl -u chatbot-worker -p warning` shows the crashes or watchdog restarts. Do not"
               " requeue it before the cause is fixed: it would stop the worker again."),
    "graph_auth": ("The WhatsApp Graph API rejected our access token (code 190 or another auth error):"
                   " no reply reaches any customer until the token is replaced.",
                   "Create a new token in Meta Business Manager (system user), put it in the secrets file as"
                   " WHATSAPP_ACCESS_TOKEN, `systemctl restart chatbot-worker`, then `chatbot send-test oi`."
                   " See docs/OPERATIONS.md, Rotating the WhatsApp token."),
    "llm_context": ("Replies the language model should have written failed because the prompt did not fit its"
                    " context window ([llm] n_ctx): those customers got the fallback reply instead.",
                    "`journalctl -u chatbot-worker | grep -i 'context'` shows the failures. Raise [llm] n_ctx (the"
                    " engine's context per slot with [llm] backend = \"openai\"), or shorten the store's facts."
                    " FAQ entries that do not fit are already left out of the prompt (a warning at start)."),
    "reading_failed": ("Reading a customer's message into its parts raised an exception: the message was still"
                       " answered, by the whole-message classifier, but perhaps not as well.",
                       "`journalctl -u chatbot-worker | grep 'reading message'` shows the traceback with the inbox"
                       " id; `chatbot ask \"<the message>\" --json` reproduces it. File it with the message."),
    "worker_down": ("chatbot-worker has not written its heartbeat: messages are not being answered.",
                    "`systemctl status chatbot-worker`; `journalctl -u chatbot-worker -n 50`;"
                    " `systemctl restart chatbot-worker`."),
    "web_down": ("The web service does not answer /health: WhatsApp deliveries are being refused"
                 " (Meta retries for a while, then drops them).",
                 "`systemctl status chatbot-web`; `journalctl -u chatbot-web -n 50`; `systemctl restart chatbot-web`."),
    "job_overdue": ("A scheduled job has not succeeded within its period plus the grace time: its timer"
                    " stopped, or it hangs or keeps failing.",
                    "`systemctl list-timers 'chatbot-*'`; `journalctl -u chatbot-JOB -n 50`; run it by hand:"
                    " `sudo -u chatbot chatbot-JOB`."),
    "job_failed": ("The last run of a scheduled job failed.",
                   "`journalctl -u chatbot-JOB -n 50` shows why; fix it and run the job by hand"
                   " (`sudo -u chatbot chatbot-JOB`); the alert resolves on the next success."),
    "unit_failed": ("A chatbot service failed (systemd OnFailure=).",
                    "`systemctl status UNIT`; `journalctl -u UNIT -n 50`; the alert resolves when it runs again."),
}


def help_text(kind: str, job: str = "", unit: str = "") -> str:
    meaning, todo = HELP[kind]
    todo = todo.replace("chatbot-JOB", f"chatbot-{job}" if job else "chatbot-JOB").replace("UNIT", unit or "UNIT")
    return f"What it means: {meaning}\nWhat to do: {todo}"


def _check(*args, **kw):
    return Check(*args, **kw)


def threshold(name: str, title: str, value: float | None, trigger: float, clear: float, unit: str,
              severity: str, pending: float, *, none_is_ok: bool = False, scale: float = 1.0):
    """A "value above a line" rule with a lower clear line.

    ``value`` None is no data: it holds the state, unless ``none_is_ok``
    (no traffic means no failed replies and nobody waiting).
    """
    def fmt(v):
        return f"{v * scale:.0f}{unit}"
    if value is None:
        shown = "no data" if not none_is_ok else "no recent traffic"
        return _check(name, title, severity, None, False, none_is_ok, f"{title}: {shown}",
                      f"{title} ({shown})", pending, help_text(name))
    summary = f"{title} {fmt(value)} (fires at {fmt(trigger)}, clears below {fmt(clear)})"
    return _check(name, title, severity, float(value), value >= trigger, value < clear, summary,
                  f"{title} {fmt(value)}", pending, help_text(name))


def flag(name: str, title: str, severity: str, on: bool, value: float, summary: str, short: str,
         pending: float = 0.0, help: str = ""):
    return _check(name, title, severity, value, on, not on, summary, short, pending, help or help_text(name))


def latest_sample(conn: sqlite3.Connection, now: float, max_age: float) -> dict:
    """The newest metrics row if it is recent, else {} (no data)."""
    row = conn.execute("SELECT ts, cpu_percent, memory_percent FROM metrics ORDER BY ts DESC LIMIT 1").fetchone()
    if row is None or now - row["ts"] > max_age:
        return {}
    return dict(row)


def traffic(conn: sqlite3.Connection, since: float) -> tuple[int, int, list[float]]:
    rows = conn.execute("SELECT success, latency_ms FROM events WHERE ts >= ?", (since,)).fetchall()
    failed = sum(1 for r in rows if not r["success"])
    lat = sorted(r["latency_ms"] for r in rows if r["success"] and r["latency_ms"] is not None)
    return len(rows), failed, lat


def oldest_unanswered(conn: sqlite3.Connection) -> float | None:
    row = conn.execute("SELECT min(received_at) AS t FROM inbox WHERE status IN ('queued', 'processing')").fetchone()
    return row["t"]


def llm_latency(conn: sqlite3.Connection, since: float) -> tuple[float | None, float | None, int]:
    """Generation time (ms) of the language model's replies since ``since``: p50, p95, count."""
    ms = sorted(r[0] for r in conn.execute("SELECT llm_ms FROM events WHERE ts >= ? AND llm_ms IS NOT NULL",
                                           (since,)))
    return percentile(ms, 0.5), percentile(ms, 0.95), len(ms)


def gave_up(conn: sqlite3.Connection, since: float) -> tuple[int, int | None]:
    """Messages the worker parked after using up their attempts (its 'gave_up' events)."""
    row = conn.execute("SELECT COUNT(*) AS n, MAX(inbox_id) AS last FROM events WHERE ts >= ? AND intent='gave_up'",
                       (since,)).fetchone()
    return row["n"], row["last"]


def llm_context_failures(conn: sqlite3.Connection, since: float) -> int:
    """Generations that failed because the prompt did not fit the context window (events' llm_error)."""
    return conn.execute("SELECT COUNT(*) FROM events WHERE ts >= ? AND llm_error = 'context'", (since,)).fetchone()[0]


def reading_failures(conn: sqlite3.Connection, since: float) -> int:
    """Messages whose reading raised and that the classifier answered instead (bot/pipeline's
    READING_FAILED source)."""
    return conn.execute("SELECT COUNT(*) FROM events WHERE ts >= ? AND source = 'template_after_error'",
                        (since,)).fetchone()[0]


def auth_codes() -> set[int]:
    """The Graph API's auth error codes (190 = token expired), as graph_api classifies them."""
    from ..whatsapp.graph_api import AUTH
    return AUTH


def auth_errors(conn: sqlite3.Connection, now: float) -> tuple[int, str]:
    """Graph API auth errors since the last successful send (at most a day back)."""
    row = conn.execute("SELECT sent_at FROM outbox WHERE state='sent' ORDER BY created_at DESC LIMIT 1").fetchone()
    since = max(now - 86400, row["sent_at"] if row and row["sent_at"] else 0)
    codes = sorted(auth_codes())
    q = ",".join("?" * len(codes))
    rows = conn.execute(f"SELECT code, message FROM api_errors WHERE ts > ? AND code IN ({q}) ORDER BY ts DESC",
                        (since, *codes)).fetchall()
    return len(rows), (f"code {rows[0]['code']}: {rows[0]['message']}" if rows else "")


def observe(conn: sqlite3.Connection, cfg, current_run_id: int | None = None) -> list:
    import psutil
    now = clock.now()
    a = cfg.alerts
    pend = a.pending_minutes * 60
    checks = []

    # CPU and memory come from chatbot-collect-metrics' samples: CPU needs its
    # counter deltas, and this job's unit hides /proc/meminfo (ProcSubset=pid).
    sample = latest_sample(conn, now, 3 * jobs.JOBS["collect-metrics"])
    checks.append(threshold("cpu", "CPU usage", sample.get("cpu_percent"),
                            a.cpu_percent, a.cpu_clear_percent, "%", "warning", pend))
    memory = sample.get("memory_percent")
    if memory is None:
        try:
            memory = psutil.virtual_memory().percent
        except OSError:
            memory = None
    checks.append(threshold("memory", "memory usage", memory,
                            a.memory_percent, a.memory_clear_percent, "%", "warning", pend))
    usage = shutil.disk_usage(disk_path(cfg))
    checks.append(threshold("disk", "disk usage", 100.0 * usage.used / usage.total,
                            a.disk_percent, a.disk_clear_percent, "%", "critical", pend))

    n, failed, lat = traffic(conn, now - a.window_minutes * 60)
    enough = n >= a.error_rate_min_messages
    checks.append(threshold("error_rate", "reply error rate", failed / n if enough else None,
                            a.error_rate, a.error_rate_clear, "%", "warning", pend, none_is_ok=True, scale=100))
    p95 = percentile(lat, 0.95) if len(lat) >= a.error_rate_min_messages else None
    checks.append(threshold("latency", "reply latency p95", p95 / 1000 if p95 is not None else None,
                            a.reply_latency_p95_seconds, a.reply_latency_clear_seconds, "s", "warning", pend,
                            none_is_ok=True))
    from ..whatsapp.inbox import queue_by_lane
    for lane, q in queue_by_lane(conn).items():
        # Per worker lane: a stuck LLM lane must not hide behind a fast lane that keeps up.
        c = threshold("queue_age", f"oldest unanswered message ({lane} lane)", q["oldest_age_seconds"] or 0.0,
                      a.queue_age_seconds, a.queue_age_clear_seconds, "s", "critical", pend)
        c.name = f"queue_age:{lane}"
        checks.append(c)

    parked, last_parked = gave_up(conn, now - a.window_minutes * 60)
    checks.append(flag("poison", "message given up on", "warning", parked > 0, float(parked),
                       f"{parked} message(s) parked as failed after [worker] max_attempts tries in the last"
                       f" {a.window_minutes:g} min" + (f" (last: inbox id {last_parked})" if parked else ""),
                       f"{parked} message(s) given up on" if parked else "no message given up on"))

    full = llm_context_failures(conn, now - a.window_minutes * 60)
    checks.append(flag("llm_context", "LLM prompt does not fit", "warning", full > 0, float(full),
                       f"{full} generation(s) failed because the prompt did not fit [llm] n_ctx in the last"
                       f" {a.window_minutes:g} min",
                       f"{full} generation(s) over the context window" if full else "LLM prompts fit"))

    failed = reading_failures(conn, now - a.window_minutes * 60)
    checks.append(flag("reading_failed", "reading a message failed", "warning", failed > 0, float(failed),
                       f"{failed} message(s) in the last {a.window_minutes:g} min whose reading raised (answered by"
                       " the classifier instead)",
                       f"{failed} reading failure(s)" if failed else "messages read without errors"))

    count, last = auth_errors(conn, now)
    checks.append(flag("graph_auth", "WhatsApp token rejected", "critical", count > 0, float(count),
                       f"WhatsApp Graph API auth errors: {count} since the last successful send"
                       + (f" (last: {last[:200]})" if last else ""),
                       "WhatsApp token rejected" if count else "WhatsApp token accepted again"))

    hb = conn.execute("SELECT ts FROM heartbeats WHERE name='worker'").fetchone()
    age = now - (hb["ts"] if hb else jobs.installed_at(conn))
    down = age > a.worker_stale_seconds
    checks.append(flag("worker_down", "worker down", "critical", down, age,
                       f"chatbot-worker heartbeat {'missing' if not hb else 'last seen'} {age:.0f}s ago"
                       f" (fires after {a.worker_stale_seconds:.0f}s)",
                       "chatbot-worker down" if down else "chatbot-worker alive"))

    if a.check_web:
        web = check_web(cfg)
        ok = web["status"] == "ok"
        checks.append(flag("web_down", "web service down", "critical", not ok, 0.0 if ok else 1.0,
                           f"chatbot-web: {web['detail']}",
                           "chatbot-web " + ("answering" if ok else "not answering"), pending=pend))

    checks.extend(job_checks(conn, cfg, now, current_run_id))
    checks.extend(unit_checks(conn, now))
    return checks


def job_checks(conn: sqlite3.Connection, cfg, now: float, current_run_id: int | None) -> list:
    out = []
    late = jobs.overdue(conn, cfg.alerts.job_grace_minutes * 60, now)
    for job, period in jobs.JOBS.items():
        sev = "critical" if job == "backup" else "warning"
        age = late.get(job)
        out.append(flag(f"job_overdue:{job}", f"job {job} overdue", sev, age is not None, age or 0.0,
                        f"chatbot-{job} has not succeeded for {age / 3600:.1f} h (period {period / 3600:g} h"
                        f" + {cfg.alerts.job_grace_minutes:g} min grace)" if age else f"chatbot-{job} on time",
                        f"chatbot-{job} overdue" if age else f"chatbot-{job} on time",
                        help=help_text("job_overdue", job)))
        last = jobs.last_finished(conn, job, exclude_id=current_run_id)
        bad = last is not None and last["status"] == "failed"
        out.append(flag(f"job_failed:{job}", f"job {job} failed", sev, bad, 1.0 if bad else 0.0,
                        f"chatbot-{job} failed: {(last or {}).get('message') or 'no message'}" if bad
                        else f"chatbot-{job} succeeded", f"chatbot-{job} failed" if bad else f"chatbot-{job} ok",
                        help=help_text("job_failed", job)))
    return out


def unit_checks(conn: sqlite3.Connection, now: float) -> list:
    """Non-job units reported by chatbot-job-failed: firing until the unit's heartbeat
    is newer than the failure, the operator clears it, or it is a week old."""
    out = []
    rows = jobs.failed_units(conn, now - 7 * 86400)
    for r in rows:
        stem = r["unit"].removesuffix(".service").removeprefix("chatbot-")
        hb = conn.execute("SELECT ts FROM heartbeats WHERE name=?", (stem,)).fetchone()
        on = hb is None or hb["ts"] < r["ts"]
        out.append(flag(f"unit_failed:{r['unit']}", f"{r['unit']} failed", "critical", on, 1.0 if on else 0.0,
                        f"{r['unit']} failed: {r['message'] or 'see journalctl'}" if on
                        else f"{r['unit']} running again",
                        f"{r['unit']} failed" if on else f"{r['unit']} running again",
                        help=help_text("unit_failed", unit=r["unit"])))
    return out
