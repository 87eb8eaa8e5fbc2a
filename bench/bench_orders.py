#!/usr/bin/env python3
"""Benchmark: what the checkout adds to a reply, and /pedidos with 1,000 open orders.

1. The bot's reply (``Bot.answer``, in process, the store of tests/data/orderstore) to each step of a
   checkout (a quote, "pedido", the address, the payment, the summary, "confirmar"), over many fresh
   customers, against the same bot's reply to a question no order touches ("que horas vocês
   fecham?") measured in the same run, interleaved: the baseline. Target: the checkout's steps add
   under 20 ms at the p95. The step function alone (``checkout.step``, no database) is timed too.
2. /pedidos (the whole page, and the fragment the page polls) with 1,000 open orders, through the
   real waitress, against a hello-world Flask app on its own waitress in the same run. Target: under
   200 ms.

Writes its section of docs/BENCHMARKS.md (``--no-write``: print only).
"""
from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(Path(__file__).resolve().parent), str(ROOT / "lib"), str(ROOT / "tests")]

import requests  # noqa: E402

from chatbot import clock, config, db, percentiles  # noqa: E402
from chatbot.bot.store import knowledge  # noqa: E402
from chatbot.bot.answering import quote  # noqa: E402
from chatbot.bot.pipeline import build_bot  # noqa: E402
from chatbot.bot.types import Question  # noqa: E402
from chatbot.orders import checkout, store  # noqa: E402
from chatbot.web.app import create_app  # noqa: E402
from docsection import write_doc  # noqa: E402
from support.servers import ThreadedWaitress  # noqa: E402

STORE = ROOT / "tests" / "data" / "orderstore"
TOKEN = "bench-admin-token-0123456789-abcdef"
STEP_TARGET_MS, PAGE_TARGET_MS = 20, 200
BEGIN, END = "<!-- orders-bench:begin -->", "<!-- orders-bench:end -->"
STEPS = ["quero 2 arroz, 3 leite, 1 óleo, 2 café e 1 sabão em pó", "Fazer pedido", "entrega",
         "rua do sol 100, jaraguá", "vou pagar no pix", "Confirmar pedido"]
BASELINE = "que horas vocês fecham?"


def p95(xs):
    return percentiles.percentile(xs, 0.95)


def setup(tmp: Path):
    cfg = config.from_dict({"paths": {"state_dir": str(tmp / "state")}, "llm": {"enabled": False},
                            "admin": {"token": TOKEN}, "web": {"secure_cookies": False}})
    conn = db.connect(cfg.db_path)
    knowledge.import_kb(conn, STORE / "catalog.csv", STORE / "store.toml")
    return cfg, conn


def replies(cfg, conn, customers: int) -> dict:
    bot = build_bot(cfg, conn, preload=False)
    steps, base = [], []
    for c in range(customers):
        wa_id = f"55829{c:08d}"
        for text in STEPS:
            t0 = time.perf_counter()
            bot.answer(Question(text=BASELINE, wa_id="55820" + wa_id[5:]))
            base.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            r = bot.answer(Question(text=text, wa_id=wa_id))
            steps.append((time.perf_counter() - t0) * 1000)
        assert "Pedido" in r.text, r.text
    return {"steps": steps, "base": base}


def pure_step(cfg, conn, rounds: int) -> list[float]:
    from chatbot.orders.hook import Shop
    bot = build_bot(cfg, conn, preload=False)
    shop = Shop(bot, bot.kb())
    lines = [("2001", Decimal(2)), ("2007", Decimal(3)), ("2004", Decimal(1)), ("2005", Decimal(2))]
    out = []
    for _ in range(rounds):
        state, _ = checkout.step(None, checkout.Message(quote=lines), clock.now(), shop)
        for text in STEPS[1:-1] + ["tira o óleo e aumenta o arroz pra 6"]:
            t0 = time.perf_counter()
            state, _ = checkout.step(state, checkout.Message(text=text), clock.now(), shop)
            out.append((time.perf_counter() - t0) * 1000)
    return out


def seed_orders(conn, n: int) -> None:
    products = knowledge.products(conn)
    now = clock.now()
    with db.transaction(conn):
        for i in range(n):
            picked = [products[(i + k) % len(products)] for k in range(5)]
            lines = [quote.price_line(p, Decimal(1 + k % 3)) for k, p in enumerate(picked)]
            sub = sum((ln.total for ln in lines), Decimal(0))
            state = {"cart_id": f"bench-{i}", "fulfilment": "delivery" if i % 3 else "pickup",
                     "address": f"Rua do Sol, {i}, Jaraguá", "area": "Jaraguá", "payment": "Pix",
                     "change_for": None, "started_at": now - 7200}
            store.place(conn, "sandbox", f"55829{i:08d}", f"Cliente {i}", state, lines, sub, Decimal(6),
                        sub + 6, now - 3600 + i)
        statuses = ["new", "confirmed", "picking", "out_for_delivery", "ready_for_pickup"]
        for i in range(1, n + 1):
            conn.execute("UPDATE orders SET status=? WHERE id=?", (statuses[i % 5], i))


def pages(cfg, conn, rounds: int) -> dict:
    from flask import Flask
    hello_app = Flask("hello")
    hello_app.add_url_rule("/hello", "h", lambda: "hello")
    hello = ThreadedWaitress(hello_app).start()
    srv = ThreadedWaitress(create_app(cfg)).start()
    targets = {"hello world (other app)": hello.url + "/hello", "/pedidos": srv.url + "/pedidos",
               "/pedidos/fragment (what the page polls)": srv.url + "/pedidos/fragment",
               "GET /orders (JSON: the 500 oldest, with items; no target)": srv.url + "/orders"}
    s = requests.Session()
    s.trust_env = False
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "text/html"}
    times = {k: [] for k in targets}
    try:
        for url in targets.values():
            s.get(url, headers=headers, timeout=60)
        for _ in range(rounds):
            for name, url in targets.items():
                h = dict(headers, Accept="application/json") if "/orders" in url else headers
                t0 = time.perf_counter()
                r = s.get(url, headers=h, timeout=60)
                times[name].append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
        size = len(s.get(srv.url + "/pedidos", headers=headers, timeout=60).content)
    finally:
        srv.stop()
        hello.stop()
    return {"times": times, "size": size}


def report(rep: dict, pure: list[float], pg: dict, customers: int, rounds: int, orders: int) -> str:
    steps, base = rep["steps"], rep["base"]
    added = p95(steps) - p95(base)
    lines = [BEGIN, "## Orders", "",
             f"`bench/bench_orders.py`, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
             f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} cores; "
             "load average "
             f"{os.getloadavg()[0]:.1f} when it ended (the machine is shared and noisy: compare each figure with the "
             "baseline measured in the same run).", "",
             f"### Checkout steps ({customers} customers × {len(STEPS)} steps, `Bot.answer` in process, interleaved "
             "with the baseline)", "",
             "| reply to | median ms | p95 ms |", "|---|---:|---:|",
             "| a checkout step (quote, pedido, entrega, endereço, pix, confirmar) | "
             f"{statistics.median(steps):.2f} | "
             f"{p95(steps):.2f} |",
             f"| baseline: \"{BASELINE}\" (no order involved) | {statistics.median(base):.2f} | {p95(base):.2f} |",
             f"| `checkout.step` alone (no database), {len(pure)} steps | {statistics.median(pure):.3f} | "
             f"{p95(pure):.3f} |", "",
             f"The checkout adds {added:.2f} ms at the p95 over the baseline reply "
             f"(target: under {STEP_TARGET_MS} ms: "
             f"{'met' if added < STEP_TARGET_MS else 'NOT met'}).", "",
             f"### /pedidos with {orders:,} open orders ({rounds} requests each through the real waitress, rounds "
             f"interleaved; page {pg['size'] / 1024:.0f} KB)", "",
             "| request | median ms | p95 ms | × hello-world median | p95 under target |", "|---|---:|---:|---:|---|"]
    hello = statistics.median(pg["times"]["hello world (other app)"])
    for name, xs in pg["times"].items():
        under = "" if name.startswith(("hello", "GET")) else ("yes" if p95(xs) < PAGE_TARGET_MS else "no")
        lines.append(f"| {name} | {statistics.median(xs):.1f} | {p95(xs):.1f} | "
                     f"{statistics.median(xs) / hello:.1f} | {under} |")
    lines += ["", f"Target: {PAGE_TARGET_MS} ms for the page with 1,000 orders.", END]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--orders", type=int, default=1000)
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/BENCHMARKS.md alone")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cfg, conn = setup(Path(tmp))
        rep = replies(cfg, conn, args.customers)
        pure = pure_step(cfg, conn, args.customers)
        cfg2, conn2 = setup(Path(tmp) / "pages")
        seed_orders(conn2, args.orders)
        pg = pages(cfg2, conn2, args.rounds)
    text = report(rep, pure, pg, args.customers, args.rounds, args.orders)
    print(text)
    if not args.no_write:
        print(f"wrote {write_doc(ROOT / 'docs' / 'BENCHMARKS.md', text)}")


if __name__ == "__main__":
    main()
