"""Fault test for people's messages: the real chatbot-worker is killed with
SIGKILL while an operator's reply is in flight (the Graph API stand-in holds
the request). After a restart the reply is parked as "unknown" and shown on
the conversation page; it is never sent a second time."""
import signal
import time

import pytest
import requests

from chatbot import db
from chatbot.whatsapp import sendtest
from support.configs import ADMIN_TOKEN, APP_SECRET, live_config
from support.servers import command, wait_http
from support.waiting import wait_until

CUSTOMER = "5585999990202"


@pytest.mark.slow
def test_sigkill_mid_send_parks_the_operator_reply(tmp_path, graph):
    cfg_path, port = live_config(tmp_path, graph.url, handoff={"pickup_minutes": 0})
    base = f"http://127.0.0.1:{port}"
    env = {"CHATBOT_ADMIN_TOKEN": ADMIN_TOKEN}
    web = command("chatbot-web", cfg_path, env=env)
    wait_http(base + "/health")
    worker = command("chatbot-worker", cfg_path, env=env)
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Accept": "application/json"}
    try:
        body, _ = sendtest.build_payload("oi", CUSTOMER, "106540352242922")
        assert sendtest.post(base + "/webhook", body, APP_SECRET) == 200
        wait_until(lambda: graph.sends())                          # the bot answered "oi"
        graph.delay = 4.0                                           # the next send hangs at Meta's end
        resp = requests.post(f"{base}/conversations/{CUSTOMER}/reply", json={"text": "Oi, é a Ana!"},
                             headers=auth, timeout=10)
        assert resp.status_code == 202
        oid = resp.json()["outbox_id"]
        conn = db.connect(tmp_path / "state" / "chatbot.db")
        wait_until(lambda: conn.execute("SELECT state FROM outbox WHERE id=?", (oid,)).fetchone()[0] == "sending")
        time.sleep(0.5)                                             # the request is on its way
        worker.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        worker.wait(10)
        graph.delay = 0.0
        worker = command("chatbot-worker", cfg_path, env=env)       # leases here are 3 s
        wait_until(lambda: conn.execute("SELECT state FROM outbox WHERE id=?", (oid,)).fetchone()[0] == "unknown")
        time.sleep(2.0)                                             # and it stays so: nothing resends it
        assert conn.execute("SELECT state, attempts FROM outbox WHERE id=?", (oid,)).fetchone()[:] == ("unknown", 1)
        conv = requests.get(f"{base}/conversations/{CUSTOMER}", headers=auth, timeout=10).json()
        assert conv["parked"] == 1
        page = requests.get(f"{base}/conversations/{CUSTOMER}", timeout=10,
                            headers={"Authorization": auth["Authorization"], "Accept": "text/html"}).text
        assert "sem confirmação" in page and "Oi, é a Ana!" in page
        time.sleep(max(0.0, killed_at + 5 - time.monotonic()))   # the stand-in has logged the held request
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        web.send_signal(signal.SIGTERM)
        web.wait(30)
    texts = [str(r["body"]) for r in graph.requests if "Oi, é a Ana!" in str(r["body"])]
    assert len(texts) == 1                                          # one request ever left for it
