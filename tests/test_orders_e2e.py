"""A scripted customer over the signed webhook, the real chatbot-web and chatbot-worker and the Graph
API stand-in, on a store no other test knows (tests/data/orderstore): quote -> order -> delivery ->
address -> Pix -> confirm, tapping the reply buttons. The order's total includes the delivery fee,
and the Pix code's CRC verifies and its amount is that total (independent decoder). Staff then move
the order through every status with the JSON API; the customer gets each message exactly once,
also when the worker is SIGKILLed while one of them is in flight."""
from __future__ import annotations

import json
import signal
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from chatbot import clock, db
from chatbot.bot.store import knowledge
from chatbot.whatsapp import sendtest
from support.configs import ADMIN_TOKEN, APP_SECRET, live_config
from support.graph_stub import sample
from support.pix_decode import decode
from support.servers import command, wait_http

STORE = Path(__file__).parent / "data" / "orderstore"
CUSTOMER = "5582966665555"
PNID = "106540352242922"


def wait_until(cond, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def button(title: str) -> tuple[bytes, str]:
    """A tap on a reply button, as Meta posts it (the sample with this customer and title)."""
    body = sample("webhooks/button_reply.json")
    value = body["entry"][0]["changes"][0]["value"]
    msg = value["messages"][0]
    msg.update({"from": CUSTOMER, "id": "wamid.tap." + uuid.uuid4().hex, "timestamp": str(int(clock.now()))})
    msg["interactive"]["button_reply"] = {"id": "order:" + title.lower().replace(" ", "-"), "title": title}
    value["contacts"][0]["wa_id"] = CUSTOMER
    value["metadata"]["phone_number_id"] = PNID
    return json.dumps(body, ensure_ascii=False).encode(), msg["id"]


class Customer:
    def __init__(self, base: str, graph, conn):
        self.base, self.graph, self.conn = base, graph, conn

    def say(self, text: str | None = None, tap: str | None = None) -> list[dict]:
        """Send a message (or tap a button) and return what the bot sent back, in order."""
        before = len(self.graph.sends())
        body, wamid = button(tap) if tap else sendtest.build_payload(text, CUSTOMER, PNID)
        assert sendtest.post(self.base + "/webhook", body, APP_SECRET) == 200
        done = sendtest.wait_reply(self.conn, wamid, 30)
        assert done is not None and done["status"] == "answered", done
        return [s["body"] for s in self.graph.sends()[before:]]


def words(sent: list[dict]) -> list[str]:
    return [s["text"]["body"] if s["type"] == "text" else s["interactive"]["body"]["text"] for s in sent]


def buttons(sent: dict) -> list[str]:
    return [b["reply"]["title"] for b in sent["interactive"]["action"]["buttons"]]


@pytest.mark.slow
def test_quote_to_delivered_over_the_real_path(tmp_path, graph):
    cfg_path, port = live_config(tmp_path, graph.url)
    conn = db.connect(tmp_path / "state" / "chatbot.db")
    knowledge.import_kb(conn, STORE / "catalog.csv", STORE / "store.toml")
    base = f"http://127.0.0.1:{port}"
    env = {"CHATBOT_ADMIN_TOKEN": ADMIN_TOKEN}
    api = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Accept": "application/json"}
    web = command("chatbot-web", cfg_path, env=env)
    wait_http(base + "/health")
    worker = command("chatbot-worker", cfg_path, env=env)
    c = Customer(base, graph, conn)
    try:
        sent = c.say("quero 2 arroz, 3 leite, 1 óleo, 2 café e 1 sabão em pó")
        assert "Total: R$ 119,06" in words(sent)[0]
        assert sent[-1]["type"] == "interactive" and buttons(sent[-1]) == ["Fazer pedido", "Alterar",
                                                                          "Falar com atendente"]
        assert "É para *entrega* ou para *retirar na loja*?" in words(c.say(tap="Fazer pedido"))[0]
        assert "endereço de entrega" in words(c.say("entrega"))[0]
        assert "não entregamos em Afogados" in words(c.say("moro em afogados, rua das flores 120"))[0]
        assert "Como vai pagar?" in words(c.say("Rua do Sol, 100 - jaragua"))[0]
        sent = c.say("vou pagar no pix")
        summary = words(sent)[0]
        assert "Entrega: R$ 6,00" in summary and "Total: R$ 125,06" in summary
        assert buttons(sent[-1]) == ["Confirmar pedido", "Alterar", "Cancelar"]
        sent = c.say(tap="Confirmar pedido")
        assert len(sent) == 2 and "Pedido 0001" in words(sent)[0]
        pix = decode(words(sent)[1])
        order = requests.get(base + "/orders/1", headers=api, timeout=10).json()
        assert order["total"] == "125.06" and order["fee"] == "6.00" and order["subtotal"] == "119.06"
        assert pix["crc_ok"] and pix["amount"] == Decimal(order["total"]) and pix["txid"] == "0001"
        assert "já está registrado" in words(c.say(tap="Confirmar pedido"))[0]
        assert len(requests.get(base + "/orders", headers=api, timeout=10).json()["orders"]) == 1

        def move(status: str) -> int:
            r = requests.post(f"{base}/orders/1/status", json={"status": status}, headers=api, timeout=10)
            assert r.status_code == 200 and r.json()["notified"], r.text
            return conn.execute("SELECT MAX(id) FROM outbox WHERE inbox_id IS NULL").fetchone()[0]

        def state(oid: int) -> str:
            return conn.execute("SELECT state FROM outbox WHERE id=?", (oid,)).fetchone()[0]

        for status in ("confirmed", "picking"):
            oid = move(status)
            wait_until(lambda oid=oid: state(oid) == "sent")
        graph.delay = 4.0                                           # Meta holds the next send
        oid = move("out_for_delivery")
        wait_until(lambda: state(oid) == "sending")
        time.sleep(0.5)                                             # the request is on its way
        worker.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        worker.wait(10)
        graph.delay = 0.0
        worker = command("chatbot-worker", cfg_path, env=env)       # leases here are 3 s
        wait_until(lambda: state(oid) == "unknown")                 # parked, never resent on a guess
        oid = move("delivered")
        wait_until(lambda oid=oid: state(oid) == "sent")
        time.sleep(max(0.0, killed_at + 5 - time.monotonic()))      # the stand-in has logged the held request
        assert requests.get(base + "/orders/1", headers=api, timeout=10).json()["status"] == "delivered"
        assert "foi entregue" in words(c.say("cadê meu pedido?"))[0]
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        web.send_signal(signal.SIGTERM)
        web.wait(30)
    told = [str(r["body"]) for r in graph.requests if "Pedido 0001" in str(r["body"])]
    for phrase in ("foi confirmado pela loja", "está sendo separado", "saiu para entrega", "entregue. Obrigado"):
        assert sum(phrase in t for t in told) == 1, phrase
