"""The worker loop: claim -> bot -> send -> record.

Runs as its own service. Every step that matters is committed before the
next begins (see ``whatsapp/inbox.py`` for the states), so SIGKILL at any
point loses nothing and never sends a reply twice.
"""
from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
import time

from . import clock, db, events, sdnotify
from .bot import handoff
from .bot.types import Question, Reply
from .log import mask_phone
from .whatsapp import inbox, operator_outbox, spool
from .whatsapp.graph_api import GraphClient, GraphError, buttons_payload, text_payload

log = logging.getLogger("chatbot.worker")

NOT_TEXT_REPLY = ("Por enquanto eu só consigo ler mensagens de texto. "
                  "Pode escrever sua dúvida? Se preferir, digite *atendente* para falar com uma pessoa.")
BOT_ERROR_REPLY = ("Desculpe, tive um problema para responder agora. "
                   "Pode repetir em instantes? Se preferir, digite *atendente*.")
SILENT_TYPES = {"reaction", "system", "ephemeral", "request_welcome"}
FOLLOWUP_EVERY = 5.0        # seconds between looks at handoffs to announce, pick up or time out


class Worker:
    def __init__(self, cfg, conn=None, bot=None, client: GraphClient | None = None, owner: str | None = None):
        self.cfg = cfg
        # NORMAL: of the worker's commits only the one before a send must survive a
        # power cut (inbox.prepare/mark_sending are durable); losing a later one
        # can only park a message as 'unknown', never send it twice.
        self.conn = conn or db.connect(cfg.db_path, synchronous="NORMAL")
        if bot is None:
            from .bot.pipeline import build_bot
            bot = build_bot(cfg, self.conn)
        self.bot = bot
        self.client = client or GraphClient(cfg.whatsapp)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = threading.Event()
        self._last_beat = 0.0
        self._last_followup = 0.0

    # -- one message ---------------------------------------------------------
    def run_once(self) -> str | None:
        """Claim and handle one message; return its final status, None if idle."""
        msg = inbox.claim(self.conn, self.owner, self.cfg.worker.lease_seconds)
        if msg is None:
            return None
        try:
            return self._handle(msg)
        except Exception as exc:  # a poisoned message must not crash-loop the worker
            log.exception("message %s failed in the worker", msg["id"])
            error = f"internal error: {exc}"[:300]
            out = inbox.outbox_for(self.conn, msg["id"])
            if out is not None and out["state"] == "sending":
                inbox.finish(self.conn, msg["id"], "unknown", error=error)
                return "unknown"
            if msg["attempts"] >= self.cfg.worker.max_attempts:
                inbox.finish(self.conn, msg["id"], "failed", error=error)
                return "failed"
            inbox.mark_retry(self.conn, msg["id"], out["id"] if out else None,
                             self._backoff(msg["attempts"]), None, error)
            return "queued"

    def _handle(self, msg) -> str:
        out = inbox.outbox_for(self.conn, msg["id"])
        if out is None:
            closed = self._close_without_reply(msg)
            if closed:
                return closed
            if msg["attempts"] == 1:
                self._mark_read(msg)   # read receipt + typing indicator while the bot thinks
            reply, payload, bot_ms = self._compose(msg)
            meta = _meta(reply, bot_ms)
            if reply.text is None:
                inbox.finish(self.conn, msg["id"], "handoff", event=_event(msg, meta, success=True))
                return "handoff"
            outbox_id = inbox.prepare(self.conn, msg, self.owner, payload, meta, sending=True)
            if outbox_id is None:
                return "lost-lease"
            return self._send(msg, outbox_id, payload, meta)
        elif out["state"] == "prepared":
            # A retry sends the reply composed the first time, and reports it the same way.
            outbox_id, payload, meta = out["id"], json.loads(out["body"]), json.loads(out["meta"] or "{}")
            if not inbox.mark_sending(self.conn, msg["id"], outbox_id, self.owner):
                return "lost-lease"
            return self._send(msg, outbox_id, payload, meta)
        else:  # sending/sent/unknown found by a fresh claim: never send again
            status = "answered" if out["state"] == "sent" else "unknown"
            inbox.finish(self.conn, msg["id"], status, error="reply state was already " + out["state"])
            return status

    def _close_without_reply(self, msg) -> str | None:
        age_limit = self.cfg.whatsapp.max_message_age_minutes * 60
        sent_at = msg["sent_at"] or msg["received_at"]
        if age_limit and clock.now() - sent_at > age_limit:
            log.info("message %s from %s is %.0f min old: acknowledged, not answered",
                     msg["id"], mask_phone(msg["wa_id"]), (clock.now() - sent_at) / 60)
            inbox.finish(self.conn, msg["id"], "stale", error="older than max_message_age_minutes")
            return "stale"
        if msg["msg_type"] in SILENT_TYPES:
            inbox.finish(self.conn, msg["id"], "ignored")
            return "ignored"
        return None

    def _compose(self, msg) -> tuple[Reply, dict, float]:
        started = time.monotonic()
        if (msg["body"] is None or not msg["body"].strip()) and \
                handoff.mode(self.conn, msg["phone_number_id"], msg["wa_id"]) == "human":
            # A photo of the spoiled food, sent to the person holding the
            # conversation: the bot's "I can only read text" must not butt in.
            return Reply(text=None, intent="human_mode", confidence=1.0, source="system", handoff=True), {}, 0.0
        if msg["body"] is None or not msg["body"].strip():
            reply = Reply(text=NOT_TEXT_REPLY, intent="unsupported_type", source="template")
        else:
            q = Question(text=msg["body"], phone_number_id=msg["phone_number_id"], wa_id=msg["wa_id"],
                         contact_name=msg["contact_name"], inbox_id=msg["id"])
            try:
                reply = self.bot.answer(q)
            except Exception:
                log.exception("the bot failed on message %s; sending the apology", msg["id"])
                reply = Reply(text=BOT_ERROR_REPLY, intent="error", confidence=0.0, source="fallback")
        bot_ms = (time.monotonic() - started) * 1000
        if reply.text is None:
            return reply, {}, bot_ms
        if reply.buttons:
            payload = buttons_payload(msg["wa_id"], reply.text, reply.buttons)
        else:
            payload = text_payload(msg["wa_id"], reply.text)
        return reply, payload, bot_ms

    def _mark_read(self, msg) -> None:
        try:
            self.client.mark_read(msg["phone_number_id"], msg["wamid"])
        except GraphError as exc:
            log.warning("mark-as-read for message %s failed: %s", msg["id"], exc)
            self._record_api_error(exc, msg["id"])

    def _send(self, msg, outbox_id: int, payload: dict, meta: dict) -> str:
        """Send a reply whose outbox row is committed as 'sending'."""
        try:
            wamid = self.client.send(msg["phone_number_id"], payload)
        except GraphError as exc:
            return self._send_failed(msg, outbox_id, exc, meta)
        inbox.mark_sent(self.conn, msg["id"], outbox_id, wamid, event=_event(msg, meta, success=True))
        log.info("answered message %s from %s (%s)", msg["id"], mask_phone(msg["wa_id"]), meta.get("intent"))
        return "answered"

    def _send_failed(self, msg, outbox_id: int, exc: GraphError, meta: dict) -> str:
        self._record_api_error(exc, msg["id"])
        if exc.ambiguous:
            log.error("message %s: reply outcome unknown (%s); parked, not resent", msg["id"], exc)
            inbox.finish(self.conn, msg["id"], "unknown", outbox_id=outbox_id, outbox_state="unknown",
                         code=exc.code, error=str(exc), event=_event(msg, meta, success=False, error=str(exc)))
            return "unknown"
        if exc.retryable and msg["attempts"] < self.cfg.worker.max_attempts:
            delay = self._backoff(msg["attempts"])
            log.warning("message %s: send failed (%s), retry in %.1fs", msg["id"], exc, delay)
            inbox.mark_retry(self.conn, msg["id"], outbox_id, delay, exc.code, str(exc))
            return "queued"
        log.error("message %s: send failed for good (code %s): %s", msg["id"], exc.code, exc)
        inbox.finish(self.conn, msg["id"], "failed", outbox_id=outbox_id, outbox_state="failed",
                     code=exc.code, error=str(exc), event=_event(msg, meta, success=False, error=str(exc)))
        return "failed"

    def _backoff(self, attempt: int) -> float:
        w = self.cfg.worker
        base = min(w.retry_max_seconds, w.retry_base_seconds * 2 ** max(attempt - 1, 0))
        return base * random.uniform(0.5, 1.0)   # jitter: no thundering herd after an outage

    def _record_api_error(self, exc: GraphError, inbox_id: int) -> None:
        with db.transaction(self.conn):
            events.api_error(self.conn, exc.code, exc.http_status, str(exc), exc.retryable, inbox_id)

    # -- what people send (operators' replies, the handoff notes) ------------
    def run_staff_once(self) -> str | None:
        """Send one queued staff message (same rules as the bot's replies) and,
        every few seconds, the handoff follow-ups; the message's state, or None."""
        if time.monotonic() - self._last_followup >= FOLLOWUP_EVERY:
            self._last_followup = time.monotonic()
            try:
                from .ops import handoff_followup
                handoff_followup.tick(self.conn, self.cfg, background=True)
            except Exception:       # a mail server down must not stop the answers
                log.exception("handoff follow-up failed; retried on the next round")
        return operator_outbox.send_due(self.conn, self.client, self.owner, self.cfg.worker)

    # -- the loop ------------------------------------------------------------
    def beat(self, force: bool = False) -> None:
        if force or time.monotonic() - self._last_beat >= self.cfg.worker.heartbeat_seconds:
            with db.transaction(self.conn):
                events.heartbeat(self.conn, "worker", os.getpid(), self.owner)
            self._last_beat = time.monotonic()
            sdnotify.notify(WATCHDOG=1)

    def run(self, max_idle_seconds: float | None = None) -> None:
        """Work until stopped (SIGTERM sets ``stopping``)."""
        recovered = inbox.recover_expired(self.conn)
        recovered["unknown"] += operator_outbox.recover_expired(self.conn)
        if any(recovered.values()):
            log.warning("recovered after a stop: %(requeued)d requeued, %(unknown)d parked as unknown",
                        recovered)
        self.beat(force=True)
        sdnotify.notify(READY=1, STATUS="waiting for messages")
        idle_since = time.monotonic()
        last_recover = time.monotonic()
        handled = 0
        while not self.stopping.is_set():
            try:
                spool.drain(self.conn, self.cfg.spool_dir, self.cfg.whatsapp.phone_number_ids)
                status = self.run_staff_once() or self.run_once()
            except db.sqlite3.OperationalError as exc:
                log.warning("database busy: %s", db.describe_error(exc))
                status = None
            self.beat()
            if status is not None:
                handled += 1
                idle_since = time.monotonic()
                if handled % 100 == 0:
                    sdnotify.notify(STATUS=f"{handled} messages handled")
                continue
            if time.monotonic() - last_recover > max(self.cfg.worker.lease_seconds / 4, 1):
                inbox.recover_expired(self.conn)
                operator_outbox.recover_expired(self.conn)
                last_recover = time.monotonic()
            if max_idle_seconds is not None and time.monotonic() - idle_since > max_idle_seconds:
                break
            self.stopping.wait(self.cfg.worker.poll_interval_seconds)
        released = inbox.release(self.conn, self.owner)
        sdnotify.notify(STOPPING=1)
        log.info("worker stopped after %d messages (%d leases released)", handled, released)


def _meta(reply: Reply, bot_ms: float) -> dict:
    """What the monitoring event needs to know about a composed reply."""
    return {"intent": reply.intent, "confidence": reply.confidence, "source": reply.source,
            "handoff": reply.handoff, "tokens_in": reply.tokens_in, "tokens_out": reply.tokens_out,
            "llm_ms": reply.llm_ms, "processing_ms": bot_ms}


def _event(msg, meta: dict, success: bool, error: str | None = None) -> dict:
    return dict(meta, inbox_id=msg["id"], phone_number_id=msg["phone_number_id"], wa_id=msg["wa_id"],
                latency_ms=(clock.now() - msg["received_at"]) * 1000, success=success, error=error)


_POLICIES = {"idle": os.SCHED_IDLE, "batch": os.SCHED_BATCH, "normal": os.SCHED_OTHER}


def lower_priority(nice: int, scheduling: str = "normal") -> None:
    """Run at least this nice, under this scheduling policy (best effort: the
    unit sets both itself, and its system call filter refuses these calls).

    Why "idle" by default: on a small host every process the worker wakes
    (the LLM, its HTTP calls, its commits) preempts whichever chatbot-web
    thread holds the GIL, and the whole web process stalls with it. Measured
    on 2 cores, a busy worker at nice 5 cost the webhook about a third of its
    acknowledgements per second; under SCHED_IDLE it takes only what the web
    service leaves, and answers follow as soon as the burst is over.
    """
    try:
        if nice > os.getpriority(os.PRIO_PROCESS, 0):
            os.setpriority(os.PRIO_PROCESS, 0, nice)
    except OSError as exc:
        log.debug("could not change the worker's priority: %s", exc)
    policy = _POLICIES[scheduling]
    try:
        if os.sched_getscheduler(0) != policy:
            os.sched_setscheduler(0, policy, os.sched_param(0))
    except OSError as exc:
        log.debug("could not change the worker's scheduling policy: %s", exc)
