"""List messages where they save the customer typing: the greeting's menu,
and the store's sections when someone asks for the offers in general.

A row's title is what comes back as the customer's message (``webhook.py``
reads ``list_reply.title``), so each title is words the bot already
understands ("Horários", "Ofertas Açougue"). Meta's limits: 10 rows, row
title 24 characters, description 72 (``graph_api.list_payload`` cuts).
"""
from __future__ import annotations

from ..store import knowledge
from ..types import Reply
from . import product_replies

GREETING = [("Atendimento", [
    ("menu:horarios", "Horários", "Quando abrimos e fechamos"),
    ("menu:entrega", "Entrega", "Bairros, taxa e pedido mínimo"),
    ("menu:ofertas", "Ofertas", "As promoções da semana"),
    ("menu:atendente", "Falar com atendente", "Uma pessoa da equipe responde"),
])]
MAX_ROWS = 10


def promotion_sections(conn) -> list[tuple[str, list[tuple]]]:
    """One row per catalog category that has a promotion now (at most 10)."""
    counts: dict[str, int] = {}
    for p in knowledge.products(conn, "promo_price IS NOT NULL", limit=2000):
        if p.category:
            counts[p.category] = counts.get(p.category, 0) + 1
    if len(counts) < 2:
        return []       # one section or none: the list would not save a step
    rows = [(f"secao:{c}"[:200], f"Ofertas {c}"[:24],
             "1 produto em promoção" if n == 1 else f"{n} produtos em promoção")
            for c, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_ROWS]]
    return [("Seções", rows)]


def decorate(reply: Reply, intent, conn) -> Reply:
    """The reply with a list attached when one helps (never over buttons already there)."""
    if reply.text is None or reply.buttons or reply.menu:
        return reply
    if intent.name == "greeting":
        reply.menu, reply.menu_button = GREETING, "Ver opções"
    elif intent.name == "promotions" and not intent.section and _all_offers(intent, conn):
        sections = promotion_sections(conn)
        if sections:
            reply.menu, reply.menu_button = sections, "Ver seções"
    return reply


def _all_offers(intent, conn) -> bool:
    """The customer asked for the offers in general, not a product's."""
    choice = product_replies.chosen(intent, conn)
    return not choice.products and not choice.missing
