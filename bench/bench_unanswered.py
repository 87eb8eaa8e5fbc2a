#!/usr/bin/env python3
"""Benchmark: /admin/unanswered's grouping over the scan limit of stored questions.

Seeds a temporary database with N (default 20,000, ``unanswered.MAX_SCAN``) text
messages of about 4 KB each, every one answered with the fallback (the worst
case: any stranger can send them), then times ``unanswered.groups`` (what the
page computes) over a few rounds: wall clock and CPU time of this process.

    .venv/bin/python bench/bench_unanswered.py [--rows 20000] [--rounds 3]
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT / "lib"))      # after PYTHONPATH: another checkout's lib/ can be measured

from chatbot import clock, db, events  # noqa: E402
from chatbot.bot import unanswered  # noqa: E402

WORDS = ("voces vendem gas de cozinha entregam aqui perto tem estacionamento abre feriado quanto custa o botijao"
         " aceita vale alimentacao pode reservar produto carvao lenha gelo picole sorvete racao areia gato").split()


def question(rng: random.Random, size: int) -> str:
    out, n = [], 0
    while n < size:
        w = rng.choice(WORDS)
        out.append(w)
        n += len(w) + 1
    return " ".join(out)[:size] + "?"


def seed(path: Path, rows: int, size: int) -> None:
    conn = db.connect(path)
    rng = random.Random(7)
    now = clock.now()
    fallback = json.dumps({"type": "text", "text": {"body": "Desculpe, não entendi."}})
    with db.transaction(conn):
        for i in range(rows):
            body = question(rng, size)
            cur = conn.execute("INSERT INTO inbox (wamid, phone_number_id, wa_id, msg_type, body, payload,"
                               " received_at, status, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                               (f"wamid.{i}", "pn", f"55719{i:08d}", "text", body, "{}", now - i, "answered", now))
            conn.execute("INSERT INTO outbox (inbox_id, phone_number_id, wa_id, body, state, created_at, updated_at)"
                         " VALUES (?,?,?,?,?,?,?)", (cur.lastrowid, "pn", f"55719{i:08d}", fallback, "sent", now, now))
            events.record(conn, inbox_id=cur.lastrowid, phone_number_id="pn", wa_id=f"55719{i:08d}",
                          intent="out_of_scope", source="fallback")
    conn.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=unanswered.MAX_SCAN)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seeded", type=Path, help="a database seeded by an earlier run (copied, not changed);"
                                                " seeded here first when it does not exist")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chatbot.db"
        t0 = time.monotonic()
        if args.seeded and not args.seeded.exists():
            seed(args.seeded, args.rows, args.size)
        if args.seeded:
            shutil.copyfile(args.seeded, path)
        else:
            seed(path, args.rows, args.size)
        seeded = time.monotonic() - t0
        conn = db.connect(path)
        backfill = getattr(unanswered, "backfill", None)
        filled = None
        if backfill is not None:            # existing rows get their key once (the worker does it at start)
            t0 = time.monotonic()
            backfill(conn)
            filled = time.monotonic() - t0
        walls, cpus, n = [], [], 0
        for _ in range(args.rounds):
            w0, c0 = time.monotonic(), time.process_time()
            n = len(unanswered.groups(conn, 30))
            walls.append(time.monotonic() - w0)
            cpus.append(time.process_time() - c0)
        print(f"{args.rows} questions of {args.size} characters (seeded in {seeded:.1f} s)"
              + (f", backfilled in {filled:.2f} s" if filled is not None else ""))
        print(f"groups(): {n} groups; wall median {statistics.median(walls) * 1000:.0f} ms"
              f" (min {min(walls) * 1000:.0f}), CPU median {statistics.median(cpus) * 1000:.0f} ms;"
              f" {statistics.median(cpus) / args.rows * 1e6:.1f} µs of CPU per stored question")


if __name__ == "__main__":
    main()
