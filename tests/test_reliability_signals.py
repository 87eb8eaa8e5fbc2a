"""SIGTERM and SIGKILL to chatbot-web and chatbot-worker in the middle of a
load. The load generator behaves like Meta: anything but a 200 (a refused
connection included) is delivered again later. Afterwards every message is
answered exactly once."""
import collections
import signal
import threading
import time

import pytest
import requests

from chatbot import db
from chatbot.whatsapp import sendtest
from chatbot.whatsapp.webhook import sign
from support.configs import APP_SECRET, live_config
from support.servers import command, wait_http
from support.waiting import wait_drained, wait_until

N = 400


class MetaLike:
    """Deliver every body until it gets a 200, with a bounded number of rounds."""

    def __init__(self, url, bodies):
        self.url, self.pending = url, list(bodies)
        self.codes = collections.Counter()
        self.session = requests.Session()

    def round(self, pause=0.002):
        failed = []
        for body in self.pending:
            try:
                r = self.session.post(self.url, data=body, timeout=5,
                                      headers={"X-Hub-Signature-256": sign(body, APP_SECRET)})
                code = r.status_code
            except requests.RequestException:
                code = "conn"
            self.codes[code] += 1
            if code != 200:
                failed.append(body)
            time.sleep(pause)
        self.pending = failed


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_signals_mid_load_lose_nothing_and_double_nothing(tmp_path, graph, sig):
    graph.delay = 0.01
    cfg_path, port = live_config(tmp_path, graph.url)
    url = f"http://127.0.0.1:{port}/webhook"
    bodies = [sendtest.build_payload("aceita pix?", f"5585{i:09d}", "106540352242922")[0] for i in range(N)]
    procs = {"web": command("chatbot-web", cfg_path), "worker": command("chatbot-worker", cfg_path)}
    wait_http(url)
    meta = MetaLike(url, bodies)
    try:
        loader = threading.Thread(target=meta.round)
        loader.start()
        # Mid-load: a quarter of the deliveries made and the worker answering.
        conn = db.connect(tmp_path / "state" / "chatbot.db")
        wait_until(lambda: not loader.is_alive() or (sum(meta.codes.values()) >= N // 4 and conn.execute(
            "SELECT COUNT(*) FROM inbox WHERE status='answered'").fetchone()[0] > 0), 60, 0.01)
        assert loader.is_alive(), dict(meta.codes)
        # Mid-load: stop both, then bring them back.
        for name in ("web", "worker"):
            procs[name].send_signal(sig)
        for name in ("web", "worker"):
            rc = procs[name].wait(30)
            if sig == signal.SIGTERM:
                assert rc in (0, -signal.SIGTERM), (name, rc)
        loader.join(120)
        procs = {"web": command("chatbot-web", cfg_path), "worker": command("chatbot-worker", cfg_path)}
        wait_http(url)
        for _ in range(5):           # Meta's redeliveries
            if not meta.pending:
                break
            meta.round()
        assert meta.pending == []
        assert wait_drained(conn) == 0
    finally:
        for p in procs.values():
            p.terminate()
            p.wait(30)
    rows = dict(conn.execute("SELECT status, COUNT(*) FROM inbox GROUP BY status").fetchall())
    assert sum(rows.values()) == N
    per_customer = collections.Counter(s["to"] for s in graph.sends())
    assert max(per_customer.values()) == 1
    if sig == signal.SIGTERM:
        # A clean stop finishes the message in hand: nothing is left unknown.
        assert rows == {"answered": N}, rows
    else:
        assert set(rows) <= {"answered", "unknown"} and rows.get("unknown", 0) <= 1, rows
    print(f"\n{signal.Signals(sig).name}: deliveries {dict(meta.codes)}, final {rows}")
