"""The worker: claim -> bot -> send -> record, in two lanes.

Runs as its own service. Every step that matters is committed before the
next begins (see ``whatsapp/inbox.py`` for the states), so SIGKILL at any
point loses nothing and never sends a reply twice.

Lanes (``inbox.lane``): the *fast* lane (the main thread) answers whatever
templates, the cache, a handoff or the "I only read text" reply can; when
the bot says only the model can answer, the message moves to the *llm*
lane, where ``[llm] concurrency`` threads write replies. So a template
answer never waits behind a generation. Both lanes run the same code per
message (lease, 'sending' committed before the request, attempts cap), and
``inbox.claim`` keeps one customer's replies in order across lanes.

Threads rather than a second process: the lanes share the process's one
model (llama.cpp releases the GIL while it generates, and an HTTP engine is
I/O-bound), one heartbeat and one lease owner, so a SIGKILL or a watchdog
restart takes both lanes down and up together and dead-owner recovery sees
one process. Each lane thread has its own database connection, bot and
Graph API client.
"""
from __future__ import annotations

import inspect
import json
import logging
import os
import random
import threading
import time

from . import clock, db, events, owners, sdnotify
from .bot import pipeline, unanswered
from .bot.answering import nontext
from .bot.llm import engine as llm
from .bot.pipeline import NEEDS_LLM
from .bot.types import Question, Reply
from .heartbeat import Heartbeat
from .log import mask_phone
from .ops import handoff_followup
from .orders import checkout
from .orders import store as orders_store
from .whatsapp import inbox, media, operator_outbox, reactions, spool
from .whatsapp.graph_api import GraphClient, GraphError, as_plain_text, buttons_payload, list_payload, text_payload

log = logging.getLogger("chatbot.worker")

NOT_TEXT_REPLY = nontext.NOT_TEXT_REPLY
BOT_ERROR_REPLY = ("Desculpe, tive um problema para responder agora. "
                   "Pode repetir em instantes? Se preferir, digite *atendente*.")
SILENT_TYPES = {"reaction", "sticker", "system", "ephemeral", "request_welcome"}
REFUSED_INTERACTIVE = {100, 131008, 131009, 131051}   # Meta would not take it as interactive: resent as text
MEDIA_POLL = 1.0            # seconds between looks for files to fetch when none was due
TYPING_EVERY = 20.0         # seconds between refreshes of "digitando…" (Meta drops it after 25 s)
FOLLOWUP_EVERY = 5.0        # seconds between looks at handoffs to announce, pick up or time out


def _can_route(bot) -> bool:
    """Can this bot say "only the LLM can answer this" without calling it?"""
    try:
        return "allow_llm" in inspect.signature(bot.answer).parameters
    except (TypeError, ValueError):
        return False


class Worker:
    def __init__(self, cfg, conn=None, bot=None, client: GraphClient | None = None, owner: str | None = None,
                 *, parent: Worker | None = None):
        self.cfg = cfg
        # NORMAL: of the worker's commits only the one before a send must survive a
        # power cut (inbox.prepare/mark_sending are durable); losing a later one
        # can only park a message as 'unknown', never send it twice.
        self.conn = conn or db.connect(cfg.db_path, synchronous="NORMAL", migrate_schema=parent is None)
        self._own_bot = bot is None
        if bot is None:
            from .bot.pipeline import build_bot
            # A lane thread's bot shares the process's model (llm.backend_for keeps one).
            bot = build_bot(cfg, self.conn, preload=parent is None)
        self.bot = bot
        self.routes = _can_route(bot)
        self.client = client or GraphClient(cfg.whatsapp)
        if parent is None:
            self.owner = owner or owners.this_process()
            self.stopping = threading.Event()
            self.heartbeat = Heartbeat(cfg.db_path, self.owner, cfg.worker.heartbeat_seconds)
        else:
            self.owner, self.stopping, self.heartbeat = parent.owner, parent.stopping, parent.heartbeat
        self.last_activity = time.monotonic()
        self._lane_workers: list[Worker] = []
        self._last_followup = 0.0
        self._media_pause_until = 0.0
        self.typing_every = TYPING_EVERY

    def lane_worker(self) -> Worker:
        """A worker for another thread of this process: its own connection, bot
        (unless one was given, as tests do) and Graph API client."""
        conn = db.connect(self.cfg.db_path, synchronous="NORMAL", migrate_schema=False)
        return Worker(self.cfg, conn=conn, bot=None if self._own_bot else self.bot, parent=self)

    # -- one message ---------------------------------------------------------
    def run_once(self, lane: str | None = None) -> str | None:
        """Claim and handle one message of ``lane`` ("fast", "llm"; None: any
        message, the bot answering it whole, as a single-lane worker does);
        return its final status, None if idle. In the fast lane a message only
        the LLM can answer returns "to-llm-lane"."""
        msg = inbox.claim(self.conn, self.owner, self.cfg.worker.lease_seconds, lane=lane)
        if msg is None:
            return None
        self.last_activity = time.monotonic()
        if inbox.over_cap(msg, self.cfg.worker.max_attempts):
            return self._give_up(msg, f"gave up after {msg['attempts'] - 1} attempts: the worker crashed,"
                                      " hung or failed every time it handled this message")
        try:
            return self._handle(msg, lane)
        except media.NotYet as exc:     # a voice note's file did not come yet: the retry rules apply
            log.warning("message %s: media not fetched yet (%s)", msg["id"], exc)
            if msg["attempts"] >= self.cfg.worker.max_attempts:
                return self._give_up(msg, f"gave up after {msg['attempts']} attempts: media not fetched: {exc}")
            inbox.mark_retry(self.conn, msg["id"], None, self._backoff(msg["attempts"]), None, f"media: {exc}")
            return "queued"
        except Exception as exc:  # a poisoned message must not crash-loop the worker
            log.exception("message %s failed in the worker", msg["id"])
            error = f"internal error: {exc}"[:300]
            out = inbox.outbox_for(self.conn, msg["id"])
            if out is not None and out["state"] == "sending":
                inbox.finish(self.conn, msg["id"], "unknown", error=error)
                return "unknown"
            if msg["attempts"] >= self.cfg.worker.max_attempts:
                return self._give_up(msg, f"gave up after {msg['attempts']} attempts: {error}"[:300])
            inbox.mark_retry(self.conn, msg["id"], out["id"] if out else None,
                             self._backoff(msg["attempts"]), None, error)
            return "queued"

    def _handle(self, msg, lane: str | None = None) -> str:
        out = inbox.outbox_for(self.conn, msg["id"])
        if out is None:
            media.note(self.conn, msg)      # a photo's, sticker's... file: fetched apart (the media thread)
            closed = self._close_without_reply(msg)
            if closed:
                return closed
            if lane == "fast" and nontext.slow(msg, self.cfg.transcription):
                # A voice note to transcribe takes the slow lane, as a generation does.
                return "to-llm-lane" if inbox.to_lane(self.conn, msg["id"], self.owner, "llm") else "lost-lease"
            if msg["attempts"] == 1 or lane == "llm":
                # Read receipt + typing indicator while the bot thinks; in the LLM
                # lane again when the generation starts (the indicator lasts 25 s).
                self._mark_read(msg)
            reply, payload, bot_ms = self._typing_while(msg, lane != "fast", self._compose, msg,
                                                        allow_llm=lane != "fast")
            if reply.source == NEEDS_LLM:
                if not inbox.to_lane(self.conn, msg["id"], self.owner, "llm"):
                    return "lost-lease"
                return "to-llm-lane"
            meta = _meta(reply, bot_ms, msg["body"] if msg["msg_type"] == "text" else None)
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

    def _give_up(self, msg, reason: str) -> str:
        """Park a message that keeps failing (a crash, a hang the watchdog
        killed, an exception) as 'failed' and send the customer the apology,
        so it never blocks their later messages. The 'gave_up' event makes the
        poison-message alert fire."""
        log.error("message %s from %s parked as failed: %s", msg["id"], mask_phone(msg["wa_id"]), reason)
        meta = {"intent": "gave_up", "confidence": 0.0, "source": "fallback", "handoff": False}
        event = _event(msg, meta, success=False, error=reason)
        out = inbox.outbox_for(self.conn, msg["id"])
        if out is not None:
            # A reply was composed but never got through: the Graph API's own errors
            # are recorded; the customer is not sent a second, different message.
            if out["state"] != "prepared":      # sending/sent/unknown: never send again
                status = "answered" if out["state"] == "sent" else "unknown"
                inbox.finish(self.conn, msg["id"], status, error="reply state was already " + out["state"])
                return status
            inbox.finish(self.conn, msg["id"], "failed", outbox_id=out["id"], outbox_state="failed",
                         error=reason, event=event)
            return "failed"
        payload = text_payload(msg["wa_id"], BOT_ERROR_REPLY)
        outbox_id = inbox.prepare(self.conn, msg, self.owner, payload, meta, sending=True)
        if outbox_id is None:
            return "lost-lease"
        try:
            wamid = self.client.send(msg["phone_number_id"], payload)
        except GraphError as exc:
            self._record_api_error(exc, msg["id"])
            status = "unknown" if exc.ambiguous else "failed"
            inbox.finish(self.conn, msg["id"], status, outbox_id=outbox_id, outbox_state=status,
                         code=exc.code, error=f"{reason}; the apology failed too: {exc}"[:500], event=event)
            return status
        inbox.mark_sent(self.conn, msg["id"], outbox_id, wamid, event=event, status="failed", error=reason)
        return "failed"

    def _close_without_reply(self, msg) -> str | None:
        age_limit = self.cfg.whatsapp.max_message_age_minutes * 60
        sent_at = msg["sent_at"] or msg["received_at"]
        if age_limit and clock.now() - sent_at > age_limit:
            log.info("message %s from %s is %.0f min old: acknowledged, not answered",
                     msg["id"], mask_phone(msg["wa_id"]), (clock.now() - sent_at) / 60)
            inbox.finish(self.conn, msg["id"], "stale", error="older than max_message_age_minutes")
            return "stale"
        if msg["msg_type"] == "reaction":
            reactions.record(self.conn, msg)        # not answered; a 👍 may confirm (reactions.confirmed)
        if msg["msg_type"] in SILENT_TYPES:
            inbox.finish(self.conn, msg["id"], "ignored")
            return "ignored"
        return None

    def _compose(self, msg, allow_llm: bool = True) -> tuple[Reply, dict, float]:
        started = time.monotonic()
        cart = checkout.native_cart(msg["payload"]) if msg["msg_type"] == "order" else None   # a native cart
        pin = checkout.pin(msg["payload"]) if msg["msg_type"] == "location" else None       # for the checkout
        if (msg["body"] is None or not msg["body"].strip()) and \
                (silent := pipeline.held(self.conn, msg["phone_number_id"], msg["wa_id"])) is not None:
            # A photo of the spoiled food, sent to the person holding the
            # conversation: the bot's "I can only read text" must not butt in.
            if nontext.slow(msg, self.cfg.transcription):
                nontext.read(self.conn, self.cfg, self.client, msg)   # a voice note's transcript, for staff
            return silent, {}, 0.0
        words, reply = nontext.read(self.conn, self.cfg, self.client, msg)
        if pin is not None and orders_store.load_cart(self.conn, msg["phone_number_id"], msg["wa_id"]) is None:
            pin = None              # no cart: the delivery facts for that place (nontext.location)
        if cart is not None or pin is not None:
            words, reply = (msg["body"] or "").strip(), None      # the checkout reads the cart or the pin
        if reply is None:
            q = Question(text=words or "", phone_number_id=msg["phone_number_id"], wa_id=msg["wa_id"],
                         contact_name=msg["contact_name"], inbox_id=msg["id"], cart=cart, location=pin)
            try:
                reply = self.bot.answer(q) if allow_llm or not self.routes else self.bot.answer(q, allow_llm=False)
            except Exception:
                log.exception("the bot failed on message %s; sending the apology", msg["id"])
                reply = Reply(text=BOT_ERROR_REPLY, intent="error", confidence=0.0, source="fallback")
        bot_ms = (time.monotonic() - started) * 1000
        if reply.text is None:
            return reply, {}, bot_ms
        # A reply longer than one WhatsApp message (a long quote) or with messages of its own (a Pix
        # code): the first message, and the rest sent right after it, in order, under the same outbox
        # row; reply buttons (or else a list message) go on the last one.
        parts = [text_payload(msg["wa_id"], p) for p in reply.messages()]
        if reply.buttons:
            parts[-1] = buttons_payload(msg["wa_id"], parts[-1]["text"]["body"], reply.buttons)
        elif reply.menu:
            parts[-1] = list_payload(msg["wa_id"], parts[-1]["text"]["body"], reply.menu_button, reply.menu)
        payload = dict(parts[0], follow_up=parts[1:]) if len(parts) > 1 else parts[0]
        return reply, payload, bot_ms

    def _typing_while(self, msg, slow: bool, work, *args, **kwargs):
        """Run ``work``; in the slow lane (a generation, a transcription) the
        "digitando…" indicator, which Meta drops after 25 s, is refreshed every
        ``typing_every`` seconds from a thread with its own Graph API client."""
        if not slow or self.client.sandbox or not self.cfg.whatsapp.mark_read:
            return work(*args, **kwargs)
        stop = threading.Event()

        def refresh():
            client = None       # made only when a refresh is due: most replies come sooner
            try:
                while not stop.wait(self.typing_every):
                    client = client or GraphClient(self.cfg.whatsapp)
                    client.mark_read(msg["phone_number_id"], msg["wamid"])
            except GraphError as exc:
                log.info("typing indicator for message %s not refreshed: %s", msg["id"], exc)
            finally:
                if client is not None:
                    client.http.close()
        t = threading.Thread(target=refresh, name="typing", daemon=True)
        t.start()
        try:
            return work(*args, **kwargs)
        finally:
            stop.set()
            t.join(self.cfg.whatsapp.request_timeout_seconds + 1)

    def _mark_read(self, msg) -> None:
        try:
            self.client.mark_read(msg["phone_number_id"], msg["wamid"])
        except GraphError as exc:
            log.warning("mark-as-read for message %s failed: %s", msg["id"], exc)
            self._record_api_error(exc, msg["id"])

    def _send_part(self, msg, part: dict) -> str:
        """Send one message of a reply; one Meta refuses as interactive (nothing was delivered)
        goes out again as the same words in plain text."""
        try:
            return self.client.send(msg["phone_number_id"], part)
        except GraphError as exc:
            plain = as_plain_text(part) if exc.code in REFUSED_INTERACTIVE and not exc.ambiguous else None
            if plain is None:
                raise
            log.warning("message %s: interactive reply refused (%s); sent as text", msg["id"], exc)
            self._record_api_error(exc, msg["id"])
            return self.client.send(msg["phone_number_id"], plain)

    def _send(self, msg, outbox_id: int, payload: dict, meta: dict) -> str:
        """Send a reply whose outbox row is committed as 'sending'."""
        follow_up = payload.get("follow_up") or []
        first = {k: v for k, v in payload.items() if k != "follow_up"}
        try:
            wamid = self._send_part(msg, first)
        except GraphError as exc:
            return self._send_failed(msg, outbox_id, exc, meta)
        for n, part in enumerate(follow_up, 2):
            try:
                self._send_part(msg, part)
            except GraphError as exc:
                # The first part reached the customer: never send it again. Parked as 'unknown'
                # with what is missing, for a person to complete in WhatsApp.
                self._record_api_error(exc, msg["id"])
                error = f"message {n} of {len(follow_up) + 1} not sent: {exc}"
                log.error("message %s: %s; parked, not resent", msg["id"], error)
                inbox.finish(self.conn, msg["id"], "unknown", outbox_id=outbox_id, outbox_state="unknown",
                             code=exc.code, error=error, event=_event(msg, meta, success=False, error=error))
                return "unknown"
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
    def send_staff_message(self) -> str | None:
        """Send one queued staff message (same rules as the bot's replies); its state, or None."""
        status = operator_outbox.send_due(self.conn, self.client, self.owner, self.cfg.worker, self.cfg.media_dir)
        if status is not None:
            self.last_activity = time.monotonic()
        return status

    def follow_up_handoffs(self) -> None:
        """Every FOLLOWUP_EVERY seconds: tell staff about new handoffs (e-mail, webhook; from a
        thread of their own), the pickup note to customers nobody answered, idle ones back to the bot."""
        if time.monotonic() - self._last_followup < FOLLOWUP_EVERY:
            return
        self._last_followup = time.monotonic()
        try:
            handoff_followup.tick(self.conn, self.cfg, background=True)
        except Exception:       # a mail server down must not stop the answers
            log.exception("handoff follow-up failed; retried on the next round")

    # -- the loop ------------------------------------------------------------

    def fetch_media_once(self) -> str | None:
        """Download one customer's file whose turn has come (photos, documents...);
        its state, None when nothing was due."""
        if time.monotonic() < self._media_pause_until:
            return None
        try:
            return media.fetch_due(self.conn, self.client, self.cfg)
        except Exception:   # a file must never stop the answers (a full disk: the database refuses too)
            log.exception("media download failed; tried again in %.0f s", self.cfg.worker.retry_max_seconds)
            self._media_pause_until = time.monotonic() + self.cfg.worker.retry_max_seconds
            return None

    def recover(self, dead_only: bool = False) -> dict:
        """Take back leases of workers on this host that no longer exist at
        once and, unless ``dead_only``, every lease that ran out (customers'
        messages and staff messages alike)."""
        held = set(inbox.lease_owners(self.conn)) | set(operator_outbox.lease_owners(self.conn))
        dead = [o for o in held if o != self.owner and owners.is_dead(o)]
        if dead_only and not dead:
            return {"requeued": 0, "unknown": 0}
        recovered = inbox.recover_expired(self.conn, dead)
        recovered["unknown"] += operator_outbox.recover_expired(self.conn, dead)
        if any(recovered.values()):
            log.warning("recovered leases of stopped workers: %(requeued)d requeued,"
                        " %(unknown)d parked as unknown", recovered)
        return recovered

    def lanes(self) -> int:
        """LLM lane threads this worker runs: 0 (one lane does all) when the
        LLM is off or the bot cannot route messages to it."""
        return self.cfg.llm.concurrency if self.cfg.llm.enabled and self.routes else 0

    def run(self, max_idle_seconds: float | None = None, single_lane: bool = False) -> None:
        """Work until stopped (SIGTERM sets ``stopping``): the fast lane in this
        thread, the LLM lane in ``[llm] concurrency`` threads. ``single_lane``:
        one loop answers everything in order of arrival (the worker before the
        LLM lane; the benchmark's baseline)."""
        w = self.cfg.worker
        self.recover()
        unanswered.backfill(self.conn)      # events stored before their question_key (once)
        media.sweep_partial(self.cfg.media_dir)     # downloads a kill cut short: fetched again from the row
        n_llm = 0 if single_lane else self.lanes()
        llm_bound = w.stall_seconds + self.cfg.llm.timeout_seconds + 2 * self.cfg.whatsapp.request_timeout_seconds
        if self.cfg.transcription.enabled:      # a voice note: download, then transcription, then the bot
            llm_bound += self.cfg.transcription.timeout_seconds + self.cfg.media.download_seconds
        fast_lane = "fast" if n_llm else None
        self.heartbeat.watch("fast", llm_bound if fast_lane is None and self.cfg.llm.enabled else w.stall_seconds)
        self.heartbeat.start()
        threads = []
        self._lane_workers = [self.lane_worker() for _ in range(n_llm)]
        for i, lw in enumerate(self._lane_workers):
            name = f"llm-{i + 1}"
            self.heartbeat.watch(name, llm_bound)
            t = threading.Thread(target=lw._lane_loop, args=("llm", name), name=name, daemon=True)
            t.start()
            threads.append(t)
        # Customers' files in a thread of their own: a slow download never holds up an answer.
        self.heartbeat.watch("media", w.stall_seconds + self.cfg.media.download_seconds
                             + 2 * self.cfg.whatsapp.request_timeout_seconds)
        media_thread = threading.Thread(target=self._media_loop, args=("media",), name="media", daemon=True)
        media_thread.start()
        sdnotify.notify(READY=1, STATUS="waiting for messages" + (f" ({n_llm} LLM lane threads)" if n_llm else ""))
        log.info("worker running: fast lane%s", f" + {n_llm} LLM lane thread(s)" if n_llm else " only")
        last_recover = last_dead_check = time.monotonic()
        handled = 0
        try:
            while not self.stopping.is_set():
                self.heartbeat.progress("fast")
                try:
                    spool.drain(self.conn, self.cfg.spool_dir, self.cfg.whatsapp.phone_number_ids)
                    if time.monotonic() - last_dead_check > w.dead_owner_check_seconds:
                        last_dead_check = time.monotonic()
                        self.recover(dead_only=True)
                    self.follow_up_handoffs()
                    status = self.send_staff_message() or self.run_once(fast_lane)
                except db.sqlite3.OperationalError as exc:
                    log.warning("database busy: %s", db.describe_error(exc))
                    status = None
                if status is not None:
                    handled += 1
                    if handled % 100 == 0:
                        sdnotify.notify(STATUS=f"{handled} messages handled")
                    continue
                if time.monotonic() - last_recover > max(w.lease_seconds / 4, 1):
                    self.recover()
                    last_recover = time.monotonic()
                if max_idle_seconds is not None and self._idle_for(threads) > max_idle_seconds:
                    break
                self.stopping.wait(w.poll_interval_seconds)
        finally:
            # SIGTERM: each LLM lane thread finishes the message in hand (its
            # deadline bounds that), then every lease not mid-send is given back.
            self.stopping.set()
            for t in threads:
                t.join(self.cfg.llm.timeout_seconds + 2 * self.cfg.whatsapp.request_timeout_seconds + 5)
            # A download in hand is not waited for: its temporary file is swept at the next start.
            media_thread.join(self.cfg.whatsapp.request_timeout_seconds)
            self.heartbeat.stop()
        released = inbox.release(self.conn, self.owner)
        sdnotify.notify(STOPPING=1)
        log.info("worker stopped after %d messages in the fast lane (%d leases released)", handled, released)

    def _idle_for(self, threads) -> float:
        """Seconds since any lane last claimed a message (0 while the LLM lane has work)."""
        if threads and self.conn.execute("SELECT 1 FROM inbox WHERE lane='llm' AND status IN"
                                         " ('queued','processing') LIMIT 1").fetchone():
            return 0.0
        return time.monotonic() - max([self.last_activity] + [w.last_activity for w in self._lane_workers])

    def _media_loop(self, name: str) -> None:
        """The media thread: fetch customers' files as their turn comes, until stopped."""
        conn = db.connect(self.cfg.db_path, synchronous="NORMAL", migrate_schema=False)
        fetcher = Worker(self.cfg, conn=conn, bot=self.bot, parent=self)
        try:
            while not self.stopping.is_set():
                self.heartbeat.progress(name)
                try:
                    status = fetcher.fetch_media_once()
                except db.sqlite3.OperationalError as exc:
                    log.warning("database busy: %s", db.describe_error(exc))
                    status = None
                if status is None:     # files can wait a second; the answers' lanes poll faster
                    self.stopping.wait(max(self.cfg.worker.poll_interval_seconds, MEDIA_POLL))
        finally:
            conn.close()

    def _lane_loop(self, lane: str, name: str) -> None:
        """One LLM lane thread: claim, write, send, until stopped."""
        try:
            while not self.stopping.is_set():
                self.heartbeat.progress(name)
                try:
                    status = self.run_once(lane)
                except db.sqlite3.OperationalError as exc:
                    log.warning("database busy: %s", db.describe_error(exc))
                    status = None
                except Exception:   # never let one message end the lane
                    log.exception("the %s lane failed; going on", name)
                    status = None
                if status is None:
                    self.stopping.wait(self.cfg.worker.poll_interval_seconds)
        finally:
            self.conn.close()


def _meta(reply: Reply, bot_ms: float, question: str | None = None) -> dict:
    """What the monitoring event needs to know about a composed reply (and, for a text the bot
    could not answer, the key /admin/unanswered groups it by, computed once here)."""
    return {"intent": reply.intent, "confidence": reply.confidence, "source": reply.source,
            "handoff": reply.handoff, "tokens_in": reply.tokens_in, "tokens_out": reply.tokens_out,
            "llm_ms": reply.llm_ms, "processing_ms": bot_ms,
            "question_key": unanswered.stored_key(question, reply.source, reply.text),
            "llm_error": llm.error_kind(reply.guard)}


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
