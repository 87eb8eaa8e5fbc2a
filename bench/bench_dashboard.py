#!/usr/bin/env python3
"""Benchmark: /dashboard and /stats with one million events, through the real waitress.

Seeds a temporary database (executemany in one transaction): 1,000,000
events with their 1,000,000 inbox rows, plus the metrics job's samples,
job runs and a few errors. Two layouts:

* ``spread``: the million spread over 90 days (the default events retention),
  about 11,000 messages a day;
* ``dense``:  the million in the last 7 days, about 143,000 a day, far past
  what one store sends: the worst case for the 7-day view.

Then times, over N rounds interleaved so the noise of a shared machine hits
all of them alike: GET /dashboard and /stats (24 h and 7 days), and two
baselines measured in the same run: /health of the same app and a
hello-world Flask app on its own waitress. Reports medians, p95 and the
ratio to the hello-world median; also what a restart costs (the first page
with an empty bucket cache, and a whole window computed with no cache), and
writes the "Dashboard" section of docs/BENCHMARKS.md.

    .venv/bin/python bench/bench_dashboard.py            # both layouts, 30 rounds
    .venv/bin/python bench/bench_dashboard.py --rounds 10 --layout spread --no-write
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(Path(__file__).resolve().parent), str(ROOT / "lib"), str(ROOT / "tests")]

import requests  # noqa: E402

from chatbot import config, db, percentiles  # noqa: E402
from chatbot.web.app import create_app  # noqa: E402
from support.servers import ThreadedWaitress  # noqa: E402
from docsection import write_doc  # noqa: E402

TOKEN = "bench-admin-token-0123456789"
EVENTS = 1_000_000
TARGET_MS = 200
INTENTS = ["price", "store_hours", "promotions", "delivery", "payment", "wholesale", "out_of_scope", "handoff"]
BEGIN, END = "<!-- dashboard-bench:begin -->", "<!-- dashboard-bench:end -->"


def seed(conn, now: float, days: float, n: int = EVENTS) -> float:
    """n messages uniformly over ``days`` before now; returns seconds taken."""
    t0 = time.perf_counter()
    rng = random.Random(1)
    span = days * 86400
    times = sorted(now - rng.random() * span for _ in range(n))

    def inbox_rows():
        for i, t in enumerate(times, 1):
            yield (i, f"wamid.b.{i}", "123", f"55859{i % 5000:08d}", "text", "quanto custa o arroz?", "{}",
                   t, t, "answered" if i % 25 else "failed", t + 2, t + 2)

    def event_rows():
        for i, t in enumerate(times, 1):
            lat = rng.lognormvariate(7.5, 0.6)
            yield (t + lat / 1000, i, "123", f"55859{i % 5000:08d}", rng.choice(INTENTS), "template", lat * 0.3,
                   lat, int(bool(i % 25)), int(i % 97 == 0), "graph api error" if i % 25 == 0 else None)

    with db.transaction(conn):
        conn.executemany("INSERT INTO inbox (id, wamid, phone_number_id, wa_id, msg_type, body, payload, sent_at,"
                         " received_at, status, finished_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                         inbox_rows())
        conn.executemany("INSERT INTO events (ts, inbox_id, phone_number_id, wa_id, intent, source, processing_ms,"
                         " latency_ms, success, handoff, error) VALUES (?,?,?,?,?,?,?,?,?,?,?)", event_rows())
        samples = int(min(days, 30) * 86400 / 300)          # metrics retention: 30 days
        conn.executemany("INSERT INTO metrics (ts, cpu_percent, memory_percent, disk_percent, load1)"
                         " VALUES (?,?,?,?,?)", ((now - k * 300, rng.random() * 60, 55.0, 61.0, 0.5)
                                                 for k in range(samples)))
        for job in ("collect-metrics", "check-alerts", "backup", "cleanup", "healthcheck"):
            conn.execute("INSERT INTO job_runs (job, started_at, finished_at, status, message)"
                         " VALUES (?,?,?, 'ok', 'ok')", (job, now - 600, now - 590))
        conn.execute("INSERT INTO heartbeats (name, pid, ts) VALUES ('worker', 1, ?)", (now,))
    conn.execute("ANALYZE")
    return time.perf_counter() - t0


def hello_server() -> ThreadedWaitress:
    from flask import Flask
    app = Flask("hello")
    app.add_url_rule("/webhook", "w", lambda: "ok")
    app.add_url_rule("/hello", "h", lambda: "hello")
    return ThreadedWaitress(app).start()


def measure(targets: dict[str, str], rounds: int) -> dict[str, list[float]]:
    """ms per request, rounds interleaved across targets, one warm-up each."""
    s = requests.Session()
    s.trust_env = False
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "text/html"}
    times: dict[str, list[float]] = {k: [] for k in targets}
    for url in targets.values():
        s.get(url, headers=headers, timeout=120)
    for _ in range(rounds):
        for name, url in targets.items():
            t0 = time.perf_counter()
            r = s.get(url, headers=headers, timeout=60)
            times[name].append((time.perf_counter() - t0) * 1000)
            if r.status_code not in (200, 503):
                raise SystemExit(f"{name}: HTTP {r.status_code}")
    return times


def timed_get(url: str) -> float:
    s = requests.Session()
    s.trust_env = False
    t0 = time.perf_counter()
    r = s.get(url, headers={"Authorization": f"Bearer {TOKEN}", "Accept": "text/html"}, timeout=120)
    r.raise_for_status()
    return (time.perf_counter() - t0) * 1000


def uncached_ms(conn, cfg, hours: int, runs: int = 3) -> float:
    """What computing a whole window costs with nothing cached (in process, no HTTP)."""
    from chatbot.web import stats
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        stats.dashboard(conn, cfg, hours)
        out.append((time.perf_counter() - t0) * 1000)
    return statistics.median(out)


def p95(xs: list[float]) -> float:
    return percentiles.percentile(xs, 0.95)


def run_layout(layout: str, rounds: int, hello: ThreadedWaitress) -> dict:
    days = 90 if layout == "spread" else 7
    with tempfile.TemporaryDirectory(prefix="bench-dash-") as tmp:
        cfg = config.from_dict({"paths": {"state_dir": tmp}, "admin": {"token": TOKEN}, "llm": {"enabled": False},
                                "web": {"secure_cookies": False}}, env={})
        now = time.time()
        conn = db.connect(cfg.db_path)
        seed_s = seed(conn, now, days)
        size_mb = os.path.getsize(cfg.db_path) / 1e6
        server = ThreadedWaitress(create_app(cfg)).start()
        try:
            metrics_cold = timed_get(server.url + "/metrics")         # counts every stored row once
            # An operator opens the page after a restart, looks for a while, switches to 7 days.
            first_24h = timed_get(server.url + "/dashboard?hours=24")
            time.sleep(10)
            first_7d = timed_get(server.url + "/dashboard?hours=168")
            day = conn.execute("SELECT COUNT(*) FROM events WHERE ts >= ?", (now - 86400,)).fetchone()[0]
            week = conn.execute("SELECT COUNT(*) FROM events WHERE ts >= ?", (now - 7 * 86400,)).fetchone()[0]
            targets = {"hello world (other app)": hello.url + "/hello", "/health": server.url + "/health",
                       "/metrics": server.url + "/metrics",
                       "/stats?hours=24": server.url + "/stats?hours=24",
                       "/stats?hours=168": server.url + "/stats?hours=168",
                       "/dashboard (24 h)": server.url + "/dashboard?hours=24",
                       "/dashboard?hours=168": server.url + "/dashboard?hours=168"}
            times = measure(targets, rounds)
            uncached = {h: uncached_ms(conn, cfg, h) for h in (24, 168)}
        finally:
            server.stop()
            conn.close()
    return {"layout": layout, "days": days, "seed_s": seed_s, "db_mb": size_mb, "events_24h": day,
            "events_7d": week, "metrics_cold_ms": metrics_cold, "times": times, "first_24h": first_24h,
            "first_7d": first_7d, "uncached": uncached}


def report(results: list[dict], rounds: int) -> str:
    lines = [BEGIN, "## Dashboard", "",
             f"`bench/bench_dashboard.py`, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
             f"{os.cpu_count()} cores, Python {platform.python_version()}, SQLite {db.sqlite3.sqlite_version}. "
             f"{EVENTS:,} events (and as many inbox rows) in the database; each endpoint requested "
             f"{rounds} times through the real waitress, rounds interleaved; times are the client's "
             f"(request to last byte). Target: /dashboard and /stats under {TARGET_MS} ms. "
             "The machine is shared and noisy: compare the ratio to the hello-world baseline measured in the same run.",
             ""]
    for r in results:
        base = statistics.median(r["times"]["hello world (other app)"])
        lines += [f"### {r['layout']}: 1M events over {r['days']} days "
                  f"({r['events_24h']:,} in the last 24 h, {r['events_7d']:,} in the last 7 days; "
                  f"database {r['db_mb']:.0f} MB, seeded in {r['seed_s']:.0f} s)", "",
                  "| request | median ms | p95 ms | × hello-world median | p95 under target |",
                  "|---|---:|---:|---:|---|"]
        for name, xs in r["times"].items():
            med = statistics.median(xs)
            target = "yes" if name.startswith(("/stats", "/dashboard")) and p95(xs) < TARGET_MS else (
                "**no**" if name.startswith(("/stats", "/dashboard")) else "")
            lines.append(f"| {name} | {med:.1f} | {p95(xs):.1f} | {med / base:.1f} | {target} |")
        lines += ["",
                  "After a restart (cache of finished buckets empty):"
                  f" first /dashboard (24 h) {r['first_24h']:.0f} ms; "
                  f"the 7-day page opened 10 s later {r['first_7d']:.0f} ms (the 24 h page starts filling it in "
                  f"the background). Computing a whole window with nothing cached (in process, no HTTP): "
                  f"24 h {r['uncached'][24]:.0f} ms, 7 days {r['uncached'][168]:.0f} ms. "
                  f"First /metrics scrape after a start (it counts every stored row once): "
                  f"{r['metrics_cold_ms']:.0f} ms.", ""]
    lines += ["The page measured (`tests/test_dashboard_browser.py` takes this screenshot on seeded data):", "",
              "![the dashboard](dashboard.png)", ""]
    lines.append(END)
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--layout", choices=["spread", "dense", "both"], default="both")
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/BENCHMARKS.md alone")
    ap.add_argument("--json", metavar="FILE", help="also write the raw timings here")
    args = ap.parse_args()
    hello = hello_server()
    layouts = ["spread", "dense"] if args.layout == "both" else [args.layout]
    try:
        results = [run_layout(layout, args.rounds, hello) for layout in layouts]
    finally:
        hello.stop()
    text = report(results, args.rounds)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    if not args.no_write:
        print(f"wrote {write_doc(ROOT / 'docs' / 'BENCHMARKS.md', text)}")


if __name__ == "__main__":
    main()
