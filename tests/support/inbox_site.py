"""The staff pages' browser tests' shop: the real waitress and worker on the demo store, a customer
writing through the signed webhook, and what the Graph API stand-in sent them."""
from __future__ import annotations

import contextlib
import threading

import requests

from chatbot import accounts, db
from chatbot.bot.store import knowledge
from chatbot.web.app import create_app
from chatbot.whatsapp import sendtest
from chatbot.worker import Worker
from support.configs import APP_SECRET
from support.servers import ThreadedWaitress
from support.worker import live_cfg

PW = "senha da ana 2026"
CUSTOMER = "5585999990101"


@contextlib.contextmanager
def running_shop(tmp_path, graph):
    """The demo store behind the real waitress and a running worker; operator "ana" (password PW)."""
    cfg = live_cfg(tmp_path, graph.url, whatsapp={"mark_read": False}, handoff={"pickup_minutes": 0})
    conn = db.connect(cfg.db_path)
    knowledge.import_kb(conn, *knowledge.demo_sources())
    accounts.add(conn, "ana", "operator", PW)
    srv = ThreadedWaitress(create_app(cfg)).start()
    worker = Worker(cfg, owner="browser-test-worker")
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        yield srv, conn, graph
    finally:
        worker.stopping.set()
        thread.join(15)
        srv.stop()
        conn.close()


def customer_says(srv, text: str, name: str = "Joana Cliente") -> None:
    body, _ = sendtest.build_payload(text, CUSTOMER, "106540352242922", name=name)
    resp = requests.post(srv.url + "/webhook", data=body, timeout=10,
                         headers={"X-Hub-Signature-256": sendtest.sign(body, APP_SECRET),
                                  "Content-Type": "application/json"})
    assert resp.status_code == 200


def sends_to_customer(graph) -> list[str]:
    return [s["body"]["text"]["body"] for s in graph.sends() if s["to"] == CUSTOMER and s["body"]["type"] == "text"]


