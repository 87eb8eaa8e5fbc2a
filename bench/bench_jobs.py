"""Benchmark: what the timer jobs cost, each beside a baseline from the same run.

On a temporary state dir with a month of realistic data (events, metrics
samples, inbox), everything real:

* a job process (``bin/chatbot-collect-metrics``, ``bin/chatbot-check-alerts``)
  from start to exit, against a bare ``python -c pass`` (the interpreter's own
  start-up: the floor any job pays);
* ``ops.health.evaluate`` (what every ``GET /health`` runs) against
  ``SELECT 1`` on the same connection;
* ``ops.backup.run_backup`` against ``VACUUM INTO`` of the same database (the
  other consistent online copy SQLite offers, without the archive).

Targets: a metrics run well under a second; /health's evaluation a few
milliseconds. Repetitions are interleaved (the machine is shared and noisy);
medians and ratios go into the "Jobs" section of docs/BENCHMARKS.md.

    .venv/bin/python bench/bench_jobs.py
    .venv/bin/python bench/bench_jobs.py --reps 5 --no-doc
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(Path(__file__).resolve().parent), str(ROOT / "tests"), str(ROOT / "lib")]

from chatbot import clock, config, db  # noqa: E402
from chatbot.ops import backup, health, jobs  # noqa: E402
from docsection import timed, write_doc  # noqa: E402

MARK_START, MARK_END = "<!-- jobs:start -->", "<!-- jobs:end -->"
DOC = ROOT / "docs" / "BENCHMARKS.md"


def populate(cfg, days: int, per_day: int) -> dict:
    """A month of traffic: events, inbox/outbox rows, metrics every 5 minutes, job runs."""
    conn = db.connect(cfg.db_path)
    now = clock.now()
    rng = random.Random(7)
    with db.transaction(conn):
        ev, ib, ob = [], [], []
        for i in range(days * per_day):
            ts = now - rng.uniform(0, days * 86400)
            ev.append((ts, i + 1, "p", f"55859{i % 100000:08d}", "horario", 0.9, "template", 12.0,
                       rng.uniform(800, 6000), int(rng.random() > 0.02)))
            ib.append((f"wamid.{i}", "p", f"55859{i % 100000:08d}", "text", "qual o horário?", "{}", ts, ts,
                       "answered", ts))
            ob.append((i + 1, "p", f"55859{i % 100000:08d}", "{}", "sent", f"out.{i}", ts, ts, ts))
        conn.executemany("INSERT INTO events (ts, inbox_id, phone_number_id, wa_id, intent, confidence, source,"
                         " processing_ms, latency_ms, success) VALUES (?,?,?,?,?,?,?,?,?,?)", ev)
        conn.executemany("INSERT INTO inbox (wamid, phone_number_id, wa_id, msg_type, body, payload, sent_at,"
                         " received_at, status, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)", ib)
        conn.executemany("INSERT INTO outbox (inbox_id, phone_number_id, wa_id, body, state, wamid, created_at,"
                         " sent_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)", ob)
        conn.executemany("INSERT INTO metrics (ts, cpu_percent, memory_percent, disk_percent) VALUES (?,?,?,?)",
                         [(now - k * 300, 20.0, 40.0, 30.0) for k in range(days * 288)])
        conn.execute("INSERT INTO heartbeats (name, pid, ts) VALUES ('worker', 1, ?)", (now,))
    for job in jobs.JOBS:
        jobs.finish(conn, jobs.start(conn, job), "ok")
    rows = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("events", "inbox", "metrics")}
    conn.close()
    return rows


def proc(args: list[str], env: dict) -> None:
    r = subprocess.run(args, env=env, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        raise SystemExit(f"{args} exited {r.returncode}: {r.stderr}")


def measure(cfg, cfg_path: Path, reps: int) -> dict:
    env = dict(os.environ, CHATBOT_CONFIG=str(cfg_path))
    env.pop("JOURNAL_STREAM", None)
    py = sys.executable
    samples: dict[str, list[float]] = {k: [] for k in ("python", "collect-metrics", "check-alerts",
                                                          "select1", "evaluate", "vacuum_into", "run_backup")}
    conn = db.connect(cfg.db_path)
    for rep in range(reps):
        order = ["python", "collect-metrics", "check-alerts"]
        order = order[rep % 3:] + order[:rep % 3]           # rotate who goes first
        for name in order:
            args = [py, "-c", "pass"] if name == "python" else [py, str(ROOT / "bin" / f"chatbot-{name}")]
            samples[name].append(timed(lambda args=args: proc(args, env)))
        for _ in range(20):
            samples["select1"].append(timed(lambda: conn.execute("SELECT 1").fetchone()))
            samples["evaluate"].append(timed(lambda: health.evaluate(conn, cfg)))
        if rep < max(3, reps // 3):
            dest = cfg.state_dir / "vacuum-into.db"
            samples["vacuum_into"].append(timed(lambda dest=dest: conn.execute("VACUUM INTO ?", (str(dest),))))
            dest.unlink()
            samples["run_backup"].append(timed(lambda: backup.run_backup(cfg, prune=False)))
    conn.close()
    return {k: statistics.median(v) for k, v in samples.items()}


def section(m: dict, rows: dict, db_mb: float, reps: int) -> str:
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    ms = lambda s: f"{s * 1000:.1f} ms"           # noqa: E731
    us = lambda s: f"{s * 1e6:.0f} µs"            # noqa: E731
    lines = [
        MARK_START,
        "## Jobs",
        "",
        f"Measured {when} on {platform.machine()} ({os.cpu_count()} cores, shared and noisy), "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; `bench/bench_jobs.py`, "
        f"medians of {reps} interleaved repetitions. Database: {rows['events']} events, {rows['inbox']} inbox "
        f"messages, {rows['metrics']} metrics samples ({db_mb:.0f} MB).",
        "",
        "| what | median | baseline (same run) | baseline median | ratio |",
        "|---|---|---|---|---|",
        f"| `chatbot-collect-metrics` process, start to exit | {ms(m['collect-metrics'])} | `python -c pass` "
        f"| {ms(m['python'])} | {m['collect-metrics'] / m['python']:.1f}x |",
        f"| `chatbot-check-alerts` process (no channel, no web probe) | {ms(m['check-alerts'])} | "
        f"`python -c pass` | {ms(m['python'])} | {m['check-alerts'] / m['python']:.1f}x |",
        f"| `ops.health.evaluate` (each `GET /health`) | {us(m['evaluate'])} | `SELECT 1` | {us(m['select1'])} "
        f"| {m['evaluate'] / m['select1']:.0f}x |",
        f"| `ops.backup.run_backup` (copy, integrity_check, counts, tar.gz, SHA-256) | {ms(m['run_backup'])} | "
        f"`VACUUM INTO` | {ms(m['vacuum_into'])} | {m['run_backup'] / m['vacuum_into']:.1f}x |",
        "",
        "Targets: a metrics run well under a second (met when the first row is far below 1000 ms); "
        "the health evaluation a few milliseconds, since load balancers call `/health` often.",
        MARK_END,
    ]
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description="Measure the timer jobs against baselines; write the Jobs section "
                                            "of docs/BENCHMARKS.md.")
    p.add_argument("--reps", type=int, default=15, help="repetitions (default 15)")
    p.add_argument("--days", type=int, default=30, help="days of traffic in the database (default 30)")
    p.add_argument("--per-day", type=int, default=2000, help="messages per day (default 2000)")
    p.add_argument("--no-doc", action="store_true", help="print the section, do not write the doc")
    p.add_argument("--doc", type=Path, default=DOC)
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as tmp:
        cfg_path = Path(tmp) / "chatbot.toml"
        cfg_path.write_text(f'[paths]\nstate_dir = "{tmp}/state"\n[llm]\nenabled = false\n'
                            '[alerts]\ncheck_web = false\n')
        cfg = config.load(str(cfg_path))
        rows = populate(cfg, a.days, a.per_day)
        db_mb = cfg.db_path.stat().st_size / 1e6
        m = measure(cfg, cfg_path, a.reps)
    sec = section(m, rows, db_mb, a.reps)
    print(sec)
    if not a.no_doc:
        write_doc(a.doc, sec)


if __name__ == "__main__":
    main()
