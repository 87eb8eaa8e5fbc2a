"""Soak: 20,000 inbound messages over at least 10 minutes, with faults.

Everything real and on loopback: ``bin/chatbot-web`` and ``bin/chatbot-worker``
(LLM off: this soaks the message path, not the model) on a fresh state dir;
the load generator (``bench/loadgen.py``, open loop at a fixed rate; the demo store loaded) sending
signed webhooks with 5% of them redelivered byte for byte; the Graph API
stand-in answering 30% of sends with 500, 429, 130429 or 131056 (all
retryable), and a small share with 131026 (undeliverable: must never be
retried); and the timer jobs run meanwhile on a compressed schedule
(metrics every 30 s, alerts every 60 s, backup every 3 min, cleanup every
5 min).

Verdict, printed as JSON and written to docs/RELIABILITY.md (``--doc``):
- every distinct message ends answered exactly once: one successful send
  per answered message (the stand-in's issued ids are exactly the outbox's
  recorded ids), or failed after a single attempt at a non-retryable error;
- no retry of a non-retryable error (outbox attempts = 1 for each of them);
- webhook p99 under 250 ms for the whole run;
- RSS of the web service and the worker at the start and the end.

    .venv/bin/python bench/soak.py                       # the full soak, ~11-15 min
    .venv/bin/python bench/soak.py --messages 600 --seconds 30 --no-doc   # a quick look
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "tests"), str(ROOT / "lib")]

import loadgen  # noqa: E402
from docsection import write_doc  # noqa: E402
from support.graph_stub import GraphStub  # noqa: E402
from support.servers import command, free_port, run, wait_http  # noqa: E402

APP_SECRET = "soak-app-secret-77d0"
DOC = ROOT / "docs" / "RELIABILITY.md"
MARK_START, MARK_END = "<!-- soak:start -->", "<!-- soak:end -->"
RETRYABLE_KINDS = [500, 429, 130429, 131056]
JOBS = {"chatbot-collect-metrics": 30, "chatbot-check-alerts": 60, "chatbot-backup": 180,
        "chatbot-cleanup": 300}


def write_config(folder: Path, port: int, graph_url: str) -> Path:
    cfg = {
        "paths": {"state_dir": str(folder / "state")},
        "web": {"host": "127.0.0.1", "port": port},
        "whatsapp": {"app_secret": APP_SECRET, "access_token": "soak-access-token", "verify_token": "soak",
                     "api_base_url": graph_url, "request_timeout_seconds": 5.0},
        # 30% of sends fail: with 12 attempts the chance that one message
        # exhausts them is 0.3^12, about 5e-7, so "answered" is the expectation.
        "worker": {"max_attempts": 12, "retry_base_seconds": 0.5, "retry_max_seconds": 15.0},
        "llm": {"enabled": False},
        "alerts": {"check_web": True},
    }
    path = folder / "chatbot.toml"
    path.write_text("".join(f"[{s}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in t.items())
                            for s, t in cfg.items()), encoding="utf-8")
    return path


class Sampler(threading.Thread):
    """RSS of the long-running processes every few seconds."""

    def __init__(self, procs: dict[str, subprocess.Popen], every: float = 5.0):
        super().__init__(daemon=True)
        self.procs, self.every = procs, every
        self.samples: dict[str, list[tuple[float, int]]] = {n: [] for n in procs}
        self.stop = threading.Event()

    def run(self):
        t0 = time.monotonic()
        while not self.stop.is_set():
            for name, p in self.procs.items():
                try:
                    self.samples[name].append((time.monotonic() - t0, psutil.Process(p.pid).memory_info().rss))
                except psutil.Error:
                    pass
            self.stop.wait(self.every)

    def report(self, warmup: float) -> dict:
        out = {}
        for name, s in self.samples.items():
            settled = [r for t, r in s if t >= warmup] or [r for _, r in s]
            if not settled:
                continue
            out[name] = {"start_mib": round(settled[0] / 2**20, 1), "end_mib": round(settled[-1] / 2**20, 1),
                         "max_mib": round(max(settled) / 2**20, 1),
                         "growth_percent": round(100 * (settled[-1] - settled[0]) / settled[0], 1)}
        return out


class JobRunner(threading.Thread):
    """The timers' jobs on a compressed schedule, as real processes."""

    def __init__(self, cfg_path: Path, seconds: float):
        super().__init__(daemon=True)
        self.cfg_path, self.seconds = cfg_path, seconds
        self.runs: dict[str, list[int]] = {j: [] for j in JOBS}
        self.stop = threading.Event()

    def run(self):
        t0 = time.monotonic()
        due = {j: t0 + period / 2 for j, period in JOBS.items()}
        while not self.stop.is_set() and time.monotonic() - t0 < self.seconds:
            for job, period in JOBS.items():
                if time.monotonic() >= due[job]:
                    res = run(job, self.cfg_path, timeout=600)
                    self.runs[job].append(res.returncode)
                    due[job] += period
            self.stop.wait(1.0)


def verdict(db_path: Path, stub: GraphStub, sent_wamids: list[str]) -> dict:
    conn = sqlite3.connect(db_path, timeout=30)
    conn.row_factory = sqlite3.Row
    wamids = set(sent_wamids)
    rows = conn.execute("SELECT i.id, i.wamid, i.status, i.error_code, o.wamid AS reply, o.attempts"
                        " FROM inbox i LEFT JOIN outbox o ON o.inbox_id=i.id").fetchall()
    by_status: dict[str, int] = {}
    for r in rows:
        by_status[r["status"]] = by_status.get(r["status"], 0) + 1
    stored = {r["wamid"] for r in rows}
    issued = {s["wamid"] for s in stub.sends()}
    recorded = {r["reply"] for r in rows if r["status"] == "answered"}
    non_retryable = [r for r in rows if r["status"] == "failed"]
    # A message may fail retryably first and then meet 131026; what must never
    # happen is an attempt after the 131026: every attempt failed, the last one
    # with 131026, and only one did.
    errors: dict[int, list[int]] = {}
    for inbox_id, code in conn.execute("SELECT inbox_id, code FROM api_errors ORDER BY id"):
        errors.setdefault(inbox_id, []).append(code)
    retried_non_retryable = [r["id"] for r in non_retryable
                             if errors.get(r["id"], [None])[-1] != 131026 or errors[r["id"]].count(131026) != 1
                             or len(errors[r["id"]]) != r["attempts"]]
    api_codes = dict(conn.execute("SELECT code, COUNT(*) FROM api_errors GROUP BY code").fetchall())
    return {
        "distinct_sent": len(wamids),
        "stored": len(stored & wamids),
        "missing": len(wamids - stored),
        "inbox_by_status": by_status,
        "successful_sends": len(issued),
        "answered_with_recorded_id": len(recorded),
        "sends_not_recorded": len(issued - recorded),       # a reply sent but not tied to its message
        "recorded_not_sent": len(recorded - issued),
        "failed_non_retryable": len(non_retryable),
        "non_retryable_retried": len(retried_non_retryable),
        "api_errors_by_code": {str(k): v for k, v in sorted(api_codes.items(), key=lambda kv: str(kv[0]))},
    }


def soak(a) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="chatbot-soak-"))
    mix = {k: a.fail_rate / len(RETRYABLE_KINDS) for k in RETRYABLE_KINDS}
    mix[131026] = a.non_retryable
    stub = GraphStub(mix=mix, seed=a.seed).start()
    port = free_port()
    cfg_path = write_config(tmp, port, stub.url)
    # The demo store, so the worker runs the real templates (the LLM stays off).
    res = run("chatbot", cfg_path, "kb", "import", "--demo", timeout=120)
    if res.returncode != 0:
        raise RuntimeError(f"kb import --demo failed: {res.stderr}")
    logs = {n: open(tmp / f"{n}.log", "w") for n in ("web", "worker")}
    procs = {"web": command("chatbot-web", cfg_path, stdout=logs["web"], stderr=subprocess.STDOUT)}
    url = f"http://127.0.0.1:{port}/webhook"
    wait_http(url)
    procs["worker"] = command("chatbot-worker", cfg_path, stdout=logs["worker"], stderr=subprocess.STDOUT)
    sampler = Sampler(procs)
    sampler.start()
    jobs = JobRunner(cfg_path, a.seconds + 60)
    jobs.start()
    requests = round(a.messages / (1 - a.redeliver))
    opts = loadgen.Options(url=url, app_secret=APP_SECRET, rate=requests / a.seconds, connections=8,
                           count=requests, redeliver=a.redeliver, customers=a.customers, seed=a.seed)
    started = time.monotonic()
    result = loadgen.run(opts)
    load_seconds = time.monotonic() - started
    summary = result.summary()
    # Drain: every message answered or parked, bounded.
    db_path = tmp / "state" / "chatbot.db"
    deadline = time.monotonic() + a.drain_seconds
    while time.monotonic() < deadline:
        with sqlite3.connect(db_path, timeout=30) as c:
            open_ = c.execute("SELECT COUNT(*) FROM inbox WHERE status IN ('queued','processing')").fetchone()[0]
        spooled = len(list((tmp / "state" / "spool").glob("*.json")))
        if open_ == 0 and spooled == 0:
            break
        time.sleep(2)
    drain_seconds = time.monotonic() - started - load_seconds
    jobs.stop.set()
    jobs.join(700)
    sampler.stop.set()
    sampler.join(10)
    for p in procs.values():
        p.terminate()
        p.wait(60)
    out = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, {platform_cpu()}",
        "settings": {"messages": a.messages, "requests": requests, "seconds": a.seconds,
                     "redeliver": a.redeliver, "fail_rate": a.fail_rate, "fail_kinds": RETRYABLE_KINDS,
                     "non_retryable_rate": a.non_retryable, "customers": a.customers},
        "load_seconds": round(load_seconds, 1),
        "drain_seconds_after_load": round(drain_seconds, 1),
        "webhook": {"statuses": summary["statuses"], "errors": summary["errors"],
                    "latency_ms": summary["latency_ms"], "redeliveries": summary["messages"]["redeliveries"]},
        "graph_requests": len(stub.requests),
        "jobs": {j: {"runs": len(c), "failed": sum(1 for x in c if x != 0)} for j, c in jobs.runs.items()},
        "rss": sampler.report(warmup=30),
        "result": verdict(db_path, stub, result.wamids),
        "state_dir": str(tmp),
    }
    stub.stop()
    out["passed"] = judge(out)
    return out


def judge(out: dict) -> dict:
    """The verdict. 'handoff' is a designed outcome: once a customer has asked
    for a person (one of the generator's texts), the bot stays silent for them."""
    r = out["result"]
    return {
        "every_message_stored": r["missing"] == 0,
        "answered_exactly_once": r["sends_not_recorded"] == 0 and r["recorded_not_sent"] == 0
        and set(r["inbox_by_status"]) <= {"answered", "handoff", "failed"},
        "no_retry_of_non_retryable": r["non_retryable_retried"] == 0,
        "webhook_p99_under_250ms": (out["webhook"]["latency_ms"]["p99"] or 1e9) < 250,
        "all_jobs_succeeded": all(v["failed"] == 0 and v["runs"] > 0 for v in out["jobs"].values()),
    }


def platform_cpu() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def render(res: dict, cmd: str) -> str:
    r, w, s = res["result"], res["webhook"], res["settings"]
    lines = [MARK_START, "## Soak", "",
             f"Measured {res['date']} on {res['machine']} (shared with other work), by `{cmd}`.", "",
             f"- Load: {r['distinct_sent']:,} distinct messages in {s['requests']:,} signed webhooks over "
             f"{res['load_seconds']:.0f} s (open loop), {w['redeliveries']:,} of them redeliveries of an earlier "
             f"body, from {s['customers']} customers.",
             f"- Faults: the Graph API stand-in failed {s['fail_rate']:.0%} of sends with "
             f"{', '.join(map(str, s['fail_kinds']))} (retryable) and {s['non_retryable_rate']:.1%} with 131026 "
             "(undeliverable, never retried); the timers' jobs ran meanwhile: " +
             ", ".join(f"{j.removeprefix('chatbot-')} x{v['runs']} ({v['failed']} failed)"
                       for j, v in res["jobs"].items()) + ".",
             f"- Webhook: statuses {w['statuses']}, transport errors {w['errors'] or 'none'}; latency p50 "
             f"{w['latency_ms']['p50']} ms, p99 {w['latency_ms']['p99']} ms, max {w['latency_ms']['max']} ms "
             "(target p99 < 250 ms).",
             f"- Outcome: {r['stored']:,}/{r['distinct_sent']:,} messages stored; inbox {r['inbox_by_status']} "
             "('handoff': silent by design, the customer had asked for a person earlier); "
             f"{r['successful_sends']:,} successful sends, each recorded against exactly one message "
             f"(sent but unrecorded: {r['sends_not_recorded']}, recorded but never sent: {r['recorded_not_sent']}); "
             f"non-retryable failures retried: {r['non_retryable_retried']}. All open work drained "
             f"{res['drain_seconds_after_load']:.0f} s after the load ended.",
             f"- Graph API errors recorded, by code: {r['api_errors_by_code']}.",
             "", "| process | RSS after warm-up | RSS at the end | max | growth |", "|---|---|---|---|---|"]
    for name, v in res["rss"].items():
        lines.append(f"| chatbot-{name} | {v['start_mib']} MiB | {v['end_mib']} MiB | {v['max_mib']} MiB | "
                     f"{v['growth_percent']:+.1f}% |")
    lines += ["", "Checks: " + ", ".join(f"{k.replace('_', ' ')}: {'yes' if v else 'NO'}"
                                         for k, v in res["passed"].items()) + ".", MARK_END]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--messages", type=int, default=20_000)
    p.add_argument("--seconds", type=float, default=600.0, help="how long the load lasts")
    p.add_argument("--redeliver", type=float, default=0.05)
    p.add_argument("--fail-rate", type=float, default=0.30, help="share of sends failing retryably")
    p.add_argument("--non-retryable", type=float, default=0.002, help="share of sends failing with 131026")
    p.add_argument("--customers", type=int, default=2000)
    p.add_argument("--drain-seconds", type=float, default=600.0)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--no-doc", action="store_true")
    a = p.parse_args(argv)
    res = soak(a)
    print(json.dumps(res, indent=2))
    if not a.no_doc:
        write_doc(DOC, render(res, "python bench/soak.py " + " ".join(argv if argv is not None else sys.argv[1:])),
                  heading="# Reliability")
    return 0 if all(res["passed"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
