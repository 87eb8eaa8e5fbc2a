"""A store the order tests share (tests/data/orderstore) and an order placed through the real pipeline."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from chatbot import clock
from chatbot.bot.pipeline import build_bot
from chatbot.bot.store import knowledge
from chatbot.bot.types import Question

STORE = Path(__file__).resolve().parents[1] / "data" / "orderstore"
NOW = dt.datetime(2026, 12, 2, 13, 0, tzinfo=dt.timezone.utc).timestamp()
CUSTOMER = "5582977776666"


def place_order(conn, cfg, messages, wa_id=CUSTOMER):
    """A customer's conversation through the real pipeline; their inbox rows make the 24-hour window."""
    bot = build_bot(cfg, conn, preload=False)
    for i, m in enumerate(messages):
        clock.advance(10)
        conn.execute("INSERT INTO inbox (wamid, phone_number_id, wa_id, msg_type, body, payload, received_at, sent_at,"
                     " status, attempts, updated_at)"
                     " VALUES (?, 'sandbox', ?, 'text', ?, '{}', ?, ?, 'answered', 1, ?)",
                     (f"wamid.{wa_id}.{i}.{clock.now()}", wa_id, m, clock.now(), clock.now(), clock.now()))
        conn.commit()
        reply = bot.answer(Question(text=m, wa_id=wa_id))
    return reply




def open_shop(cfg, conn):
    """The order store imported and one order (0001) placed through the real pipeline."""
    knowledge.import_kb(conn, STORE / "catalog.csv", STORE / "store.toml")
    clock.freeze(NOW)
    r = place_order(conn, cfg, ["2 arroz, 3 leite e 1 óleo", "pedido", "entrega na rua do sol 100, jaraguá", "pix",
                                "confirmar"])
    assert "Pedido 0001" in r.text
    return conn
