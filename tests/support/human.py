"""The human side's tests' parts: a customer writing in, and what staff sent through the Graph API."""
from __future__ import annotations

from chatbot import clock
from chatbot.whatsapp import inbox, webhook
from support.configs import load_sample

CUSTOMER = "5585988887777"       # the wa_id of the text.json sample


PNID = "106540352242922"


def customer_writes(conn, text="quero falar com atendente", wamid=None):
    batch = webhook.parse(load_sample("webhooks/text.json"))
    m = batch.messages[0]
    m.body = text
    m.sent_at = clock.now()
    if wamid:
        m.wamid = wamid
    inbox.store_batch(conn, batch)
    return m


def staff_sends(graph):
    return [s for s in graph.sends() if s["body"].get("type") in ("text", "template")]
