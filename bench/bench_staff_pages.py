"""How long the staff's busiest pages take to render (issue 22): one
conversation with 2,000 messages (customer and bot, plus staff replies and a
note) and /inbox with 500 conversations waiting or held, through Flask's
test client on a real SQLite file, logged in as an operator. The baseline in
the same run is /login (a page with no data): what any page costs.

    PYTHONPATH=lib:tests python bench/bench_staff_pages.py [--runs 20]
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from chatbot import accounts, clock, db, operators
from chatbot.bot import handoff
from chatbot.web.app import create_app
from conftest import make_cfg

PNID = "106540352242922"
PW = "senha comprida 2026"


def seed(conn, conversations: int, messages: int) -> str:
    now = clock.now()
    big = "5585900000000"
    with db.transaction(conn):
        for i in range(messages // 2):
            at = now - (messages - i) * 30
            cur = conn.execute("INSERT INTO inbox (wamid, phone_number_id, wa_id, contact_name, msg_type, body,"
                               " status, received_at, sent_at, payload, updated_at) VALUES (?,?,?,?,?,?,?,?,?,'{}',0)",
                               (f"wamid.big.{i}", PNID, big, "Joana Cliente", "text",
                                f"mensagem *{i}* do cliente sobre o arroz", "answered", at, at))
            conn.execute("INSERT INTO outbox (inbox_id, phone_number_id, wa_id, body, state, created_at, sent_at,"
                         " updated_at)"
                         " VALUES (?,?,?,?,?,?,?,0)", (cur.lastrowid, PNID, big,
                                                     '{"type":"text","text":{"body":"resposta do _robô_"}}',
                                                     "sent", at, at))
        for n in range(conversations):
            wa = f"55859{n:08d}"
            conn.execute("INSERT INTO inbox (wamid, phone_number_id, wa_id, contact_name, msg_type, body, status,"
                         " received_at, sent_at, payload, updated_at) VALUES (?,?,?,?,?,?,?,?,?,'{}',0)",
                         (f"wamid.c.{n}", PNID, wa, f"Cliente {n}", "text", "quero falar com atendente",
                          "handoff", now - n, now - n))
            handoff.start(conn, PNID, wa, "human_request", "quero falar com atendente", 0)
            if n % 2:
                conn.execute("UPDATE conversations SET held_by='ana' WHERE wa_id=?", (wa,))
    operators.add_note(conn, (PNID, big), "ana", "cliente *VIP*")
    return big


def timed(client, path: str, runs: int) -> dict:
    client.get(path, headers={"Accept": "text/html"})          # warm: templates compiled, pages cached
    laps = []
    for _ in range(runs):
        t = time.perf_counter()
        resp = client.get(path, headers={"Accept": "text/html"})
        laps.append((time.perf_counter() - t) * 1000)
        assert resp.status_code in (200, 401), (path, resp.status_code)
    laps.sort()
    return {"p50_ms": round(statistics.median(laps), 1), "p95_ms": round(laps[int(0.95 * (len(laps) - 1))], 1),
            "bytes": len(resp.data)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = make_cfg(Path(tmp))
        conn = db.connect(cfg.db_path)
        accounts.add(conn, "ana", "operator", PW)
        big = seed(conn, 500, 2000)
        app = create_app(cfg)
        c = app.test_client()
        page = c.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        c.post("/login", data={"name": "ana", "password": PW, "csrf_token": csrf})
        anon = app.test_client()
        rows = {"/login (baseline, no data)": timed(anon, "/login", args.runs),
                f"/conversations/{big} (2,000 messages)": timed(c, f"/conversations/{big}", args.runs),
                "/inbox (500 conversations)": timed(c, "/inbox", args.runs),
                "/notify.json (500 conversations)": timed(c, "/notify.json", args.runs)}
    for name, r in rows.items():
        print(f"{name:48s} p50 {r['p50_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms  {r['bytes']:>8,d} bytes")
    worst = max(r["p95_ms"] for name, r in rows.items() if "baseline" not in name and "notify" not in name)
    return 0 if worst < 200 else 1


if __name__ == "__main__":
    sys.exit(main())
