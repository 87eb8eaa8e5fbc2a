"""The database under pressure: a job holding the write lock for 10 s, and a
full disk. The webhook must not drop an acknowledged message."""
import subprocess
import sys
import time

import pytest
import requests

from chatbot import db
from chatbot.web.app import create_app
from chatbot.whatsapp import sendtest, spool
from support.configs import APP_SECRET, live_config, make_cfg, signed_headers
from support.disk import fill_disk
from support.servers import ThreadedWaitress, command, wait_http
from support.waiting import wait_drained, wait_until

HOLD = """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
c.execute("INSERT INTO job_runs (job, started_at, status) VALUES ('hold', 0, 'running')")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
c.execute("COMMIT")
"""


@pytest.mark.slow
def test_ten_second_write_lock_buffers_webhooks_then_all_are_answered(tmp_path, graph):
    """Proves the choice: the webhook answers 200 within its short busy
    timeout by spooling to disk; the worker stores and answers everything
    once the lock is gone. Nothing is dropped or doubled."""
    cfg_path, port = live_config(tmp_path, graph.url, worker={"poll_interval_seconds": 0.1})
    web = command("chatbot-web", cfg_path)
    worker = command("chatbot-worker", cfg_path)
    try:
        wait_http(f"http://127.0.0.1:{port}/webhook")
        dbfile = tmp_path / "state" / "chatbot.db"
        # the lock comes while the worker runs (its heartbeat row is written from its loop): a lock taken
        # during its start-up steps is another case (systemd's watchdog restarts a worker stuck there)
        ready = db.connect(dbfile)
        try:
            wait_until(lambda: ready.execute("SELECT COUNT(*) FROM heartbeats").fetchone()[0] > 0, 60, 0.1,
                       what="the worker's first heartbeat")
        finally:
            ready.close()
        holder = subprocess.Popen([sys.executable, "-c", HOLD, str(dbfile), "10"], stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "locked"
        t0 = time.monotonic()
        codes, slowest = [], 0.0
        for i in range(40):
            body, _ = sendtest.build_payload(f"pergunta {i}", f"55859{i:08d}", "106540352242922")
            s = time.monotonic()
            codes.append(sendtest.post(f"http://127.0.0.1:{port}/webhook", body, APP_SECRET))
            slowest = max(slowest, time.monotonic() - s)
        during_lock = time.monotonic() - t0
        assert holder.poll() is None, "the lock must still be held while we posted"
        assert codes == [200] * 40
        assert len(spool.pending(tmp_path / "state" / "spool")) > 0
        holder.wait(30)
        conn = db.connect(dbfile)
        # the spool is drained first, then answered
        wait_until(lambda: not spool.pending(tmp_path / "state" / "spool"), 60, 0.2, what="")
        assert wait_drained(conn) == 0
        statuses = dict(conn.execute("SELECT status, COUNT(*) FROM inbox GROUP BY status").fetchall())
        assert statuses.get("answered") == 40, statuses
        assert len({s["to"] for s in graph.sends()}) == len(graph.sends()) == 40
        print(f"\n40 webhooks during a 10 s lock: all 200 in {during_lock:.1f}s, slowest {slowest:.2f}s")
    finally:
        for p in (web, worker):
            p.terminate()
            p.wait(30)


def test_disk_full_webhook_answers_503_then_recovers(small_fs):
    cfg = make_cfg(small_fs, whatsapp={"app_secret": APP_SECRET})
    app = create_app(cfg)
    server = ThreadedWaitress(app).start()
    try:
        url = server.url + "/webhook"
        # A few messages fit; then the disk is full.
        body, _ = sendtest.build_payload("antes", "5585900000001", "pn")
        assert requests.post(url, data=body, headers=signed_headers(body), timeout=10).status_code == 200
        filler = fill_disk(small_fs)
        codes = []
        for i in range(30):   # big enough to need new pages
            body, _ = sendtest.build_payload("x" * 3000 + str(i), f"55859{i:08d}", "pn")
            codes.append(requests.post(url, data=body, headers=signed_headers(body), timeout=10).status_code)
        assert 503 in codes
        assert set(codes) <= {200, 503}
        stored_during = db.connect(cfg.db_path).execute("SELECT COUNT(*) FROM inbox").fetchone()[0]
        filler.unlink()
        body, _ = sendtest.build_payload("depois", "5585900000002", "pn")
        assert requests.post(url, data=body, headers=signed_headers(body), timeout=10).status_code == 200
        conn = db.connect(cfg.db_path)
        assert conn.execute("SELECT COUNT(*) FROM inbox").fetchone()[0] == stored_during + 1
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        server.stop()
