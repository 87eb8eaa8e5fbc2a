"""What the bot's pipeline calls: ``before`` (the cart's and the checkout's messages, and "cadê meu
pedido?") and ``after`` (a quote becomes the cart; an answer given in the middle of a checkout
ends with the question the checkout waits for). The checkout itself is ``checkout.step``."""
from __future__ import annotations

import re
from decimal import Decimal

from .. import clock, db
from ..bot import text
from ..bot.answering import quote
from ..bot.store import knowledge
from ..bot.types import Reply
from . import checkout, store

STATUS_ASK = re.compile(r"\b(?:cade|kd|onde (?:esta|ta|anda)|status|andamento|acompanhar|situacao)\b.*\bpedido\b|"
                        r"\bpedido\b.*\b(?:chega|chegou|vem|saiu|pronto|demora|atrasad)|"
                        r"\bmeu pedido\s*$")


class Shop:
    """The store as the step function reads it: facts, catalog, clock settings."""

    def __init__(self, bot, kb: knowledge.KB):
        self.facts = kb
        self.zone = bot.cfg.bot.store_timezone
        self.cart_seconds = bot.cfg.orders.cart_hours * 3600
        self.conn = bot.conn
        self.searcher = bot.searcher
        self._products: dict[str, knowledge.Product | None] = {}
        self._aliases = None

    def product(self, sku: str) -> knowledge.Product | None:
        if sku not in self._products:
            found = knowledge.products(self.conn, "sku=?", (sku,), 1)
            self._products[sku] = found[0] if found else None
        return self._products[sku]

    def find(self, words: str) -> list[knowledge.Product]:
        """The product meant, or several when the words fit more than one equally well."""
        if self._aliases is None:
            self._aliases = quote.aliases(self.conn)
        hit = self._aliases.get(text.normalize(words))
        if hit is not None:
            return [hit]
        res = self.searcher.search(words, drop=quote.FILLER)
        complete = [m for m in res.matches if m.complete]
        if len(complete) <= 1:
            return [m.product for m in complete]
        if complete[0].score > complete[1].score * 1.25:
            return [complete[0].product]
        return [m.product for m in complete[:5]]


def before(bot, q, kb: knowledge.KB) -> Reply | None:
    """The reply when the message belongs to the cart or the checkout; None to answer it as usual."""
    if getattr(q, "cart", None) is not None:        # a WhatsApp native cart: into the checkout by SKU
        shop = Shop(bot, kb)
        new, turn = checkout.from_native(*q.cart, clock.now(), shop)
        with db.transaction(bot.conn):
            store.save_cart(bot.conn, q.phone_number_id, q.wa_id, new)
        return _reply(bot, q, turn)
    n = checkout.norm(q.text)
    if STATUS_ASK.search(n):
        # Answered from the order; with no order placed here, the pipeline reads it (often a complaint
        # about a delivery made some other way, which goes to a person).
        order = store.latest_for(bot.conn, q.phone_number_id, q.wa_id)
        if order is not None:
            return _reply(bot, q, checkout.Turn(checkout.status_text(order), intent="order_status"))
    state = store.load_cart(bot.conn, q.phone_number_id, q.wa_id)
    shop = Shop(bot, kb)
    now = clock.now()
    msg = checkout.Message(text=q.text or "", location=getattr(q, "location", None))
    new, turn = checkout.step(state, msg, now, shop)
    if turn is None:
        if new is None and state is not None:
            with db.transaction(bot.conn):
                store.save_cart(bot.conn, q.phone_number_id, q.wa_id, None)
        return None
    with db.transaction(bot.conn):
        if turn.action == "place":
            lines, _ = checkout.priced(new, shop)
            sub, fee, total = checkout.totals(lines, new, kb)
            new["order"] = store.place(bot.conn, q.phone_number_id, q.wa_id, q.contact_name, new, lines,
                                       sub, fee, total, now)
            turn = checkout.placed(new, new["order"], shop, now)
        store.save_cart(bot.conn, q.phone_number_id, q.wa_id, new)
    return _reply(bot, q, turn)


def after(bot, q, it, reply: Reply) -> Reply:
    """A quote becomes the customer's cart (with the next step's buttons); any other answer given
    while a checkout is open ends with the question it waits for."""
    if reply.text is None or reply.handoff:
        return reply
    kb = bot.kb()
    shop = Shop(bot, kb)
    now = clock.now()
    if it is not None and it.name == "quote" and it.quote is not None and it.quote.lines:
        return quoted(bot, q, [(ln.product.sku, ln.qty) for ln in it.quote.lines], reply)
    state = store.load_cart(bot.conn, q.phone_number_id, q.wa_id)
    more = checkout.reminder(state, now, shop)
    if more:
        reply.text = f"{reply.text}\n\n{more}"
    return reply


def quoted(bot, q, lines: list[tuple[str, Decimal]], reply: Reply) -> Reply:
    """The lines of a quote (sku, quantity) become the customer's cart, with the next step's buttons: a quote
    the classifier read whole, or one part of a message that reading answered part by part."""
    shop = Shop(bot, bot.kb())
    new, turn = checkout.step(None, checkout.Message(quote=lines), clock.now(), shop)
    if turn is None:
        return reply
    with db.transaction(bot.conn):
        store.save_cart(bot.conn, q.phone_number_id, q.wa_id, new)
    reply.text = reply.text + ("\n" + turn.text if turn.text else "")
    return _offer(reply, turn)


BUTTON_BODY = 1024      # Meta's limit for the text of a message with reply buttons


def _offer(reply: Reply, turn: checkout.Turn) -> Reply:
    """The buttons with their question in words, as a message of its own after the text: a list's
    total stays its last line, and a long cart does not meet the buttons' 1,024 characters."""
    reply.buttons, reply.follow_up = list(turn.buttons), list(turn.follow_up)
    if turn.prompt:
        if reply.text:
            reply.follow_up.append(turn.prompt[:BUTTON_BODY])
        else:
            reply.text = turn.prompt
    return reply


def _reply(bot, q, turn: checkout.Turn) -> Reply:
    reply = _offer(Reply(text=turn.text, intent=turn.intent, confidence=1.0, source="template"), turn)
    bot._remember(q, reply, {}, cache_key=None)
    return reply
