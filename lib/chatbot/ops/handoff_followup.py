"""Nobody left waiting in silence: what happens around a handoff while no
person has answered. Run by the worker every few seconds (``tick``):

- a new handoff is announced to staff: one e-mail to ``[handoff]
  notify_emails`` through ``[smtp]`` and, if set, a JSON POST to
  ``notify_webhook_url``;
- ``pickup_minutes`` after a handoff nobody answered, the customer gets one
  honest note: the team was told (only when the notice went out; else that
  the request is in the team's queue), and when the store opens (outside
  opening hours);
- a conversation a person holds with no message from them for
  ``timeout_minutes`` goes back to the bot, with a note to the customer.

Notes go out through the staff outbox (``whatsapp/operator_outbox.py``)
under the name "sistema", and only inside WhatsApp's 24-hour window.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from .. import clock, db, operators, push
from ..bot import fmt, handoff
from ..bot.store import knowledge
from ..log import mask_phone
from ..whatsapp import operator_outbox
from ..whatsapp.graph_api import text_payload
from . import notify

log = logging.getLogger("chatbot.worker")

REASONS = {"human_request": "o cliente pediu para falar com uma pessoa",
           "complaint": "reclamação", "operator_takeover": "assumida por um atendente"}
PICKUP_OPEN = ("Nossa equipe já foi avisada e vai responder por aqui assim que possível. "
               "Obrigado pela paciência! 🙏")
PICKUP_CLOSED = ("Nossa equipe já foi avisada, mas a loja está fechada agora. Abrimos {when}, e "
                 "respondemos por aqui assim que possível. 🙏")
# While no notice went out (none configured, or the mail server refuses it) the note says no more
# than is true: the request is in the team's queue (/inbox shows it).
QUEUED_OPEN = ("Seu pedido para falar com uma pessoa está registrado, e nossa equipe vai responder por aqui "
               "assim que possível. Obrigado pela paciência! 🙏")
QUEUED_CLOSED = ("Seu pedido para falar com uma pessoa está registrado, mas a loja está fechada agora. "
                 "Abrimos {when}, e respondemos por aqui assim que possível. 🙏")
TIMEOUT_NOTE = ("Como não tivemos retorno por aqui, esta conversa voltou para o atendimento automático. "
                "Se precisar falar com uma pessoa, é só digitar *atendente*.")
RETRY_NOTICE_SECONDS = 300       # a notice that failed is tried again this much later...
GIVE_UP_NOTICE_SECONDS = 6 * 3600   # ...for this long

_next_try: dict[int, float] = {}


def tick(conn, cfg, background: bool = False) -> dict:
    """One round; returns what was done (for tests and logs). ``background``:
    the notices go out from a thread of their own (the worker's way: a mail
    server that takes its 20 s to time out must not hold customers' answers)."""
    if background:
        notified = _announce_in_background(cfg)
    else:
        notified = announce(conn, cfg)
        push.announce(conn, cfg)
    return {"notified": notified, "pickup": pickup(conn, cfg), "timed_out": time_out(conn, cfg)}


_announcing = threading.Lock()


def _announce_in_background(cfg) -> None:
    if not _announcing.acquire(blocking=False):
        return None             # the previous round is still talking to the mail server

    def run():
        try:
            conn = db.connect(cfg.db_path, synchronous="NORMAL")
            try:
                announce(conn, cfg)
                push.announce(conn, cfg)          # staff's phones (Web Push)
            finally:
                conn.close()
        except Exception:
            log.exception("telling staff about handoffs failed; retried on the next round")
        finally:
            _announcing.release()
    threading.Thread(target=run, name="handoff-notices", daemon=True).start()
    return None


# -- telling staff -----------------------------------------------------------------------

def announce(conn, cfg) -> int:
    h = cfg.handoff
    if not (h.notify_emails and cfg.smtp.host) and not h.notify_webhook_url:
        return 0
    now = clock.now()
    rows = conn.execute("SELECT * FROM handoffs WHERE notified_at IS NULL AND ended_at IS NULL"
                        " AND reason != 'operator_takeover' AND created_at > ? ORDER BY id",
                        (now - GIVE_UP_NOTICE_SECONDS,)).fetchall()
    done = 0
    for row in rows:
        if _next_try.get(row["id"], 0) > time.monotonic():
            continue
        try:
            done += _announce_one(conn, cfg, row)
        except Exception:       # one row's failure never holds up the notices of later handoffs
            _next_try[row["id"]] = time.monotonic() + RETRY_NOTICE_SECONDS
            log.exception("could not tell staff about the handoff of %s (retry in %d min)",
                          mask_phone(row["wa_id"]), RETRY_NOTICE_SECONDS // 60)
    return done


def _announce_one(conn, cfg, row) -> int:
    h = cfg.handoff
    subject, body, payload = _notice(conn, cfg, row)
    errors = []
    if h.notify_emails and cfg.smtp.host:
        try:
            notify.send_email(cfg, subject, body, to=list(h.notify_emails))
        except notify.NotifyError as exc:
            errors.append(f"e-mail: {exc}")
    if h.notify_webhook_url:
        try:
            notify.send_webhook(cfg, payload, url=h.notify_webhook_url)
        except notify.NotifyError as exc:
            errors.append(f"webhook: {exc}")
    if errors:
        _next_try[row["id"]] = time.monotonic() + RETRY_NOTICE_SECONDS
        log.error("could not tell staff about the handoff of %s (retry in %d min): %s",
                  mask_phone(row["wa_id"]), RETRY_NOTICE_SECONDS // 60, "; ".join(errors))
        return 0
    _next_try.pop(row["id"], None)
    handoff.staff_told(conn, row["id"])
    log.info("staff told about the handoff of %s (%s)", mask_phone(row["wa_id"]), row["reason"])
    return 1


def _notice(conn, cfg, row) -> tuple[str, str, dict]:
    conv = operators.conversation(conn, row["wa_id"]) or {"contact_name": None, "messages": []}
    name = notify.header_text(conv["contact_name"] or "") or "cliente sem nome"
    masked = mask_phone(row["wa_id"])
    reason = REASONS.get(row["reason"], row["reason"])
    base = (cfg.web.public_url or f"http://{cfg.web.host}:{cfg.web.port}").rstrip("/")
    link = f"{base}/handoffs/{row['id']}"
    last = [m for m in conv["messages"] if m.get("text")][-5:]
    lines = [f"{'Cliente' if m['who'] == 'customer' else 'Robô' if m['who'] == 'bot' else m.get('operator')}: "
             f"{m['text'][:300]}" for m in last]
    subject = f"[atendimento] {name} ({masked}) aguarda uma pessoa"
    body = "\n".join([
        f"Um cliente está aguardando atendimento humano no WhatsApp ({reason}).", "",
        f"Cliente: {name}", f"Número: {masked}", f"Motivo: {reason}",
        f"Desde: {dt.datetime.fromtimestamp(row['created_at'], clock.store_zone(cfg.bot.store_timezone)):%d/%m %H:%M}",
        "", "Últimas mensagens:", *(f"  {line}" for line in lines), "",
        f"Abrir a conversa: {link}", "",
        f"Se ninguém responder em {cfg.handoff.pickup_minutes} min, o cliente recebe um aviso automático."])
    payload = {"event": "handoff", "reason": row["reason"], "customer": name, "number": masked, "url": link,
               "since": row["created_at"], "last_messages": lines,
               "text": f"Cliente {notify.chat_escape(name)} ({masked}) aguarda atendimento: {reason}. {link}"}
    return subject, body, payload


# -- telling the customer -----------------------------------------------------------------

def pickup(conn, cfg) -> int:
    minutes = cfg.handoff.pickup_minutes
    if minutes <= 0:
        return 0
    now = clock.now()
    rows = conn.execute("SELECT h.id, h.phone_number_id, h.wa_id, h.notified_at FROM handoffs h"
                        " JOIN conversations c"
                        " ON c.phone_number_id=h.phone_number_id AND c.wa_id=h.wa_id AND c.mode='human'"
                        " WHERE h.ended_at IS NULL AND h.first_reply_at IS NULL AND h.pickup_sent_at IS NULL"
                        " AND h.reason != 'operator_takeover' AND h.created_at <= ?", (now - minutes * 60,)).fetchall()
    sent = 0
    for r in rows:
        key = (r["phone_number_id"], r["wa_id"])
        text = pickup_text(conn, cfg, told=r["notified_at"] is not None)
        with db.transaction(conn, durable=True):
            handoff.pickup_noted(conn, r["id"], now)
            if operators.window(conn, key)["open"]:
                operator_outbox.enqueue(conn, key[0], key[1], text_payload(key[1], text), operator_outbox.SYSTEM)
                sent += 1
        log.info("nobody answered %s in %d min: the customer was told", mask_phone(key[1]), minutes)
    return sent


def pickup_text(conn, cfg, told: bool = True) -> str:
    """The note for a customer nobody answered; ``told``: the notice to staff went out."""
    opened, closed = (PICKUP_OPEN, PICKUP_CLOSED) if told else (QUEUED_OPEN, QUEUED_CLOSED)
    hours = knowledge.load(conn).hours if knowledge.version(conn) else {}
    if not hours:
        return opened
    now = fmt.store_now(cfg.bot.store_timezone)
    if fmt.open_at(hours.get(fmt.day_key(now)), now):
        return opened
    return closed.format(when=next_opening(hours, now))


def next_opening(hours: dict, now: dt.datetime) -> str:
    """'hoje às 7h', 'amanhã às 7h', 'segunda-feira às 8h' (within a week), or 'no próximo dia útil'."""
    found = fmt.next_open(hours, now)
    if found is not None:
        ahead, day, start = found
        at = fmt.clock_time(start)
        if ahead == 0:
            return f"hoje às {at}"
        if ahead == 1:
            return f"amanhã às {at}"
        return f"{fmt.DAY_NAMES[fmt.day_key(day)]} às {at}"
    return "no próximo dia de funcionamento"


def time_out(conn, cfg) -> int:
    if cfg.handoff.timeout_minutes <= 0:
        return 0
    now = clock.now()
    rows = conn.execute("SELECT phone_number_id, wa_id, human_until FROM conversations WHERE mode='human'"
                        " AND human_until IS NOT NULL AND human_until <= ?", (now,)).fetchall()
    for r in rows:
        key = (r["phone_number_id"], r["wa_id"])
        with db.transaction(conn, durable=True):
            if operators.window(conn, key)["open"]:
                operator_outbox.enqueue(conn, key[0], key[1], text_payload(key[1], TIMEOUT_NOTE),
                                        operator_outbox.SYSTEM)
            handoff.end(conn, "phone_number_id=? AND wa_id=?", key, "timeout", at=r["human_until"])
        log.info("conversation with %s went back to the bot after %d idle minutes", mask_phone(key[1]),
                 cfg.handoff.timeout_minutes)
    return len(rows)
