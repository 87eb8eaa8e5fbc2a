"""One message in, one reply out.

``build_bot(cfg, conn)`` returns a ``Bot``; ``Bot.answer(Question) -> Reply``.
The steps, in order:

1. handoff: a conversation with a person gets silence (``Reply.text=None``);
2. reading (reading/): the message read into its parts, yes/no questions decided
   from the facts, follow-ups on the last turn; what it answers is recorded and
   returned, and a failure to read is logged and counted, never the apology;
   classify (intents.py) what it leaves, with the last turn as context;
3. a request for a human or a complaint hands the conversation over;
4. the response cache, keyed by the normalized question and its reading (an
   LLM reply only when the model saw no earlier turn: it depends on the text alone);
5. templates fill in the store's facts (replies.py, product_replies.py);
6. what no template answers goes to the LLM, whose reply must pass the
   guard (guard.py) or is replaced by a safe fallback;
7. the turn, the cache entry and the conversation are written in one
   transaction.

The worker records the event row from the Reply; `chatbot ask` runs this
same code in process.
"""
from __future__ import annotations

import logging
import threading
import time
from decimal import Decimal

from .. import db
from ..orders import hook as orders
from . import cache, context, fmt, handoff, text
from .answering import menus, notsold, product_replies, quote, replies, respond
from .llm import engine as llm
from .llm import guard
from .llm.writer import Writer
from .reading import intents, lists
from .store import knowledge, search, sections
from .types import Question, Reply

log = logging.getLogger("chatbot.bot")

LLM_INTENTS = ("smalltalk", "out_of_scope")
# Reply.source of ``answer(q, allow_llm=False)`` when only the LLM can answer: the
# worker's fast lane hands the message to its LLM lane (nothing was recorded yet).
NEEDS_LLM = "needs_llm"
NOT_CACHED = ("human_request", "complaint")
READING_FAILED = "template_after_error"   # Reply.source when reading the message raised (logged)
PURGE_EVERY = 200     # answers between purges of expired turns and cache rows


class Bot:
    def __init__(self, cfg, conn, preload: bool = True):
        self.cfg = cfg
        self.conn = conn
        self.searcher = search.Searcher(conn)
        self.classifier = intents.Classifier(conn, self.searcher)
        self._kb: knowledge.KB | None = None
        self._writer: Writer | None = None
        self._answers = 0
        self.warming: threading.Thread | None = None
        if preload:
            # The worker loads its model at start, not on a customer's first question, and
            # evaluates the system prompt in the background while templates already answer.
            writer = self.writer()
            kb = self.kb()
            if writer is not None and kb.version and isinstance(writer.backend, llm.LlamaBackend):
                self.warming = threading.Thread(target=writer.warm, args=(kb,), name="llm-warm-up", daemon=True)
                self.warming.start()
            elif writer is not None:
                # An engine over HTTP needs no warm-up, but the guard's word list (~2 s to
                # load) would otherwise hold up the first reply the LLM writes.
                self.warming = threading.Thread(target=guard.LEXICON.words, name="lexicon", daemon=True)
                self.warming.start()

    # -- pieces --------------------------------------------------------------
    def kb(self) -> knowledge.KB:
        """The facts in force, re-read when an import has changed them."""
        version = knowledge.version(self.conn)
        if self._kb is None or self._kb.version != version:
            self._kb = knowledge.load(self.conn)
        return self._kb

    def writer(self) -> Writer | None:
        if self._writer is None:
            backend = llm.backend_for(self.cfg.llm)
            if backend is not None:
                self._writer = Writer(backend, self.cfg.llm)
        return self._writer

    # -- the pipeline --------------------------------------------------------
    def answer(self, q: Question, allow_llm: bool = True) -> Reply:
        b = self.cfg.bot
        if (silent := held(self.conn, q.phone_number_id, q.wa_id)) is not None:
            return silent
        kb = self.kb()
        if kb.version == 0:
            return Reply(text=replies.NO_KB, intent="no_knowledge_base", confidence=0.0, source="fallback")
        placed = orders.before(self, q, kb)        # the cart, the checkout, "cadê meu pedido?"
        if placed is not None:
            return placed
        turns = context.recent(self.conn, q.phone_number_id, q.wa_id, b.context_turns, b.context_idle_minutes)
        read, message = self._read(q, kb, turns)
        if read is not None:
            return read
        it = self.classifier.classify(message or q.text, kb, context.last_topic(turns))

        if it.name in NOT_CACHED:
            reply = Reply(text=replies.HANDOFF[it.name], intent=it.name, confidence=it.confidence,
                          source="template", handoff=True)
            with db.transaction(self.conn):
                handoff.start(self.conn, q.phone_number_id, q.wa_id, it.name, q.text, self.cfg.handoff.timeout_minutes)
            log.info("conversation handed to a person (%s)", it.name)
            return reply

        # The model reads the conversation's last turns: what it writes for one customer is
        # never served to another. Its replies are cached only when it saw the text alone.
        key = None if it.name in LLM_INTENTS and turns else cache.key(text.normalize(q.text), it.name,
                                                                      it.context_skus)
        hit = cache.get(self.conn, key, kb.version, b.cache_ttl_seconds) if key else None
        if hit is not None:
            reply = Reply(text=hit["text"], intent=it.name, confidence=it.confidence, source="cache")
            self._remember(q, reply, hit.get("topic") or {}, cache_key=key, hit=True)
            return menus.decorate(orders.after(self, q, it, reply), it, self.conn)

        if not allow_llm and it.name in LLM_INTENTS and self.writer() is not None:
            return Reply(text=None, intent=it.name, confidence=it.confidence, source=NEEDS_LLM)
        reply, topic, cacheable = self._compose(q, it, kb, turns)
        asked = respond.after_list(q.text, kb, context.last_topic(turns), self, it.quote.total) \
            if it.name == "quote" else None
        if asked is not None:          # a pasted list that ends with a question about the store
            reply.text, cacheable = f"{reply.text}\n\n{asked.text}", False
        if message is None:
            reply.source = READING_FAILED       # counted on /metrics (messages handled, by source)
        self._remember(q, reply, topic, cache_key=key if cacheable else None, kb_version=kb.version)
        # a list message where it saves typing
        return menus.decorate(orders.after(self, q, it, reply), it, self.conn)

    def _read(self, q: Question, kb: knowledge.KB, turns: list) -> tuple[Reply | None, str | None]:
        """The message read into parts, each answered (answering/respond.py), or (None, the text for the
        classifier). A failure to read is logged with the message id and the classifier answers."""
        try:
            done = respond.respond(q.text, kb, context.last_topic(turns), self)
            if done is None:
                return None, lists.rewrite(q.text)
        except Exception:
            log.exception("reading message %s failed; the classifier answers it whole", q.inbox_id)
            return None, None
        reply = Reply(text=done.text, intent=done.intent, confidence=0.9, source="template")
        lines = done.topic.pop("lines", None)
        self._remember(q, reply, done.topic, cache_key=None)
        if lines:          # a quote among the parts becomes the cart, as a quote read whole does
            reply = orders.quoted(self, q, [(sku, Decimal(qty)) for sku, qty in lines], reply)
        return reply, q.text

    def part(self, message: str, kb: knowledge.KB, last: dict | None, extras: bool = True) -> respond.Read | None:
        """One part of a message answered by the classifier and the templates (answering/respond.py
        joins the parts); a part for a person comes back with no text, one for the LLM as None."""
        it = self.classifier.classify(message, kb, last)
        if not extras:
            it.extra = []      # the one question asked, not the facts its told words name beside it
        if it.name in NOT_CACHED:
            return respond.Read("", it.name)
        if it.name in LLM_INTENTS:
            return None
        reply, topic, _ = self._compose(Question(text=message), it, kb, [])
        return respond.Read(reply.text, it.name, topic)

    def _compose(self, q: Question, it: intents.Intent, kb: knowledge.KB, turns: list) -> tuple[Reply, dict, bool]:
        topic = {"skus": [], "days": [d for d in it.days if d in fmt.DAY_KEYS]}
        if it.name in LLM_INTENTS:
            return self._with_llm(q, it, kb, turns, topic)
        parts, cacheable = [], True
        extra = [e for e in it.extra if e != it.name]
        if it.name == "product_price" and _not_sold(it):
            extra = [e for e in extra if e not in ("wholesale", "promotions")]   # of goods we lack: no price list
        for name in [it.name] + extra:
            body, ok = self._template(name, it, kb, topic, q.contact_name)
            parts.append(body)
            cacheable &= ok
        body = "\n\n".join(p for p in parts if p)
        if it.greeting and it.name not in intents.SOCIAL:
            body = "Olá! 👋 " + body
        return Reply(text=body, intent=it.name, confidence=it.confidence, source="template"), topic, cacheable

    def _template(self, name: str, it: intents.Intent, kb: knowledge.KB, topic: dict,
                  contact_name: str | None) -> tuple[str, bool]:
        if name in intents.SOCIAL:
            return replies.social(it, kb, contact_name)
        if name == "hours":
            return replies.hours(it, kb, self.cfg.bot.store_timezone)
        if name == "location":
            return replies.location(it, kb)
        if name == "delivery":
            return replies.delivery(it, kb, it.original)
        if name == "payment":
            return replies.payment(it, kb)
        if name == "faq":
            return replies.faq(it, kb)
        if name == "quote":
            topic["skus"] = [ln.product.sku for ln in it.quote.lines][:20]
            topic["lines"] = [[ln.product.sku, str(ln.qty)] for ln in it.quote.lines]   # a part's quote: the cart
            topic["total"] = str(it.quote.total)        # and its total, beside a delivery question
            return "\n".join(quote.render(it.quote)), False    # cheap, and the list's layout matters
        if name == "promotions" and it.section and not it.context_skus:
            body, topic["skus"] = sections.promotions(it.section, self.conn, sections.asks_whether(it.original))
            return body, True
        if name == "product_price" and _not_sold(it):
            body, topic["skus"] = notsold.reply(it.products, it.original, self.conn)
            return body, True
        render = {"product_price": product_replies.product_price, "promotions": product_replies.promotions,
                  "wholesale": product_replies.wholesale}[name]
        body, skus = render(it, kb, self.conn)
        topic["skus"] = skus
        return body, True

    def _with_llm(self, q, it, kb, turns, topic) -> tuple[Reply, dict, bool]:
        fallback = replies.SMALLTALK_FALLBACK if it.name == "smalltalk" else replies.FALLBACK
        writer = self.writer()
        if writer is None:
            return Reply(text=fallback, intent=it.name, confidence=it.confidence, source="fallback"), topic, False
        written = writer.write(kb, q.text, turns)
        gen = written.generation
        extra = {"tokens_in": gen.tokens_in, "tokens_out": gen.tokens_out, "llm_ms": round(gen.ms, 1)} if gen else {}
        if written.text is None:
            return (Reply(text=fallback, intent=it.name, confidence=it.confidence, source="fallback",
                          guard=written.verdict, **extra), topic, False)
        return (Reply(text=written.text, intent=it.name, confidence=it.confidence, source="llm",
                      guard=written.verdict, **extra), topic, True)

    def _remember(self, q: Question, reply: Reply, topic: dict, cache_key: str | None, hit: bool = False,
                  kb_version: int = 0) -> None:
        b = self.cfg.bot
        with db.transaction(self.conn):
            handoff.touch(self.conn, q.phone_number_id, q.wa_id)
            context.record(self.conn, q.phone_number_id, q.wa_id, q.text, reply.text, reply.intent, topic,
                           b.context_turns)
            if cache_key and hit:
                cache.hit(self.conn, cache_key)
            elif cache_key:
                cache.put(self.conn, cache_key, kb_version, {"text": reply.text, "topic": topic},
                          b.cache_max_entries)
            self._answers += 1
            if self._answers % PURGE_EVERY == 0:
                context.purge(self.conn, b.context_idle_minutes)
                cache.purge(self.conn, b.cache_ttl_seconds)


def held(conn, phone_number_id: str, wa_id: str) -> Reply | None:
    """Step 1 (the worker asks it too, before it answers a photo itself): a person holds the
    conversation: silence, the customer's message noted; None when the bot answers."""
    if handoff.mode(conn, phone_number_id, wa_id) != "human":
        return None
    with db.transaction(conn):
        handoff.touch(conn, phone_number_id, wa_id)
    return Reply(text=None, intent="human_mode", confidence=1.0, source="system", handoff=True)


def _not_sold(it: intents.Intent) -> bool:
    return not it.several and not it.context_skus and notsold.applies(it.products)


def build_bot(cfg, conn, preload: bool = True) -> Bot:
    """The worker's entry point: one Bot per lane thread, each with its own connection; the model is
    loaded once per process and shared (llm.backend_for)."""
    return Bot(cfg, conn, preload=preload)


def answer_text(bot: Bot, message: str, **question) -> tuple[Reply, float]:
    """Answer one message and time it (for `chatbot ask` and the benchmark)."""
    started = time.monotonic()
    reply = bot.answer(Question(text=message, **question))
    return reply, (time.monotonic() - started) * 1000
