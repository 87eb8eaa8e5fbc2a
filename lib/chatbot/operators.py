"""What people do with a conversation: take it over, answer, give it back;
WhatsApp's 24-hour window; and the inbox they work from.

The bot side of a handoff (the bot stepping back when a customer asks for a
person) is ``bot/handoff.py``, which owns the ``conversations`` and
``handoffs`` tables and so writes what this module decides: who holds a
conversation, the first reply. What people send is queued in ``outbox`` and
sent by the worker (``whatsapp/operator_outbox.py``) with the bot's outbox rules.
"""
from __future__ import annotations

import sqlite3

from . import clock, db
from .bot import handoff
from .whatsapp import graph_api, media, message, operator_outbox, views
from .whatsapp.graph_api import MAX_TEXT, text_payload

WINDOW_SECONDS = 24 * 3600


class Refused(ValueError):
    """An action that cannot be done now, with a pt-BR reason for the person who tried."""

    def __init__(self, message: str, code: str, status: int = 409):
        super().__init__(message)
        self.code = code
        self.status = status


# -- one conversation ---------------------------------------------------------------------

def locate(conn: sqlite3.Connection, wa_id: str) -> tuple[str, str] | None:
    """(phone_number_id, wa_id) of this customer's latest conversation, or None."""
    row = conn.execute("SELECT phone_number_id FROM inbox WHERE wa_id=? ORDER BY id DESC LIMIT 1",
                       (wa_id,)).fetchone()
    if row is None:
        row = conn.execute("SELECT phone_number_id FROM conversations WHERE wa_id=? ORDER BY last_seen DESC"
                           " LIMIT 1", (wa_id,)).fetchone()
    return (row["phone_number_id"], wa_id) if row else None


def last_customer_at(conn, key: tuple[str, str]) -> float | None:
    row = conn.execute("SELECT COALESCE(sent_at, received_at) FROM inbox WHERE wa_id=? AND phone_number_id=?"
                       " AND msg_type != 'system' ORDER BY id DESC LIMIT 1", (key[1], key[0])).fetchone()
    return row[0] if row else None


def window(conn, key: tuple[str, str]) -> dict:
    """WhatsApp's customer-service window: free-form messages only within 24 h
    of the customer's last message."""
    last = last_customer_at(conn, key)
    closes = last + WINDOW_SECONDS if last is not None else None
    left = max(0.0, closes - clock.now()) if closes is not None else 0.0
    return {"open": left > 0, "last_customer_at": last, "closes_at": closes, "seconds_left": round(left)}


def state(conn, key: tuple[str, str]) -> dict:
    row = conn.execute("SELECT mode, mode_since, handoff_reason, human_until, held_by, held_since, needs_template"
                       " FROM conversations WHERE phone_number_id=? AND wa_id=?", key).fetchone()
    human = row is not None and row["mode"] == "human" and (row["human_until"] is None
                                                              or row["human_until"] > clock.now())
    return {"mode": "human" if human else "bot",
            "held_by": row["held_by"] if human else None,
            "waiting_since": row["mode_since"] if human else None,
            "reason": row["handoff_reason"] if human else None,
            "human_until": row["human_until"] if human else None,
            "needs_template": bool(row and row["needs_template"])}


def takeover(conn, key: tuple[str, str], who: str, timeout_minutes: float) -> dict:
    """``who`` holds the conversation: the bot stays silent until it is released."""
    with db.transaction(conn):
        # Taking it from a colleague is allowed (shifts change); the page shows who holds it.
        if state(conn, key)["mode"] != "human":
            handoff.start(conn, key[0], key[1], "operator_takeover", "", timeout_minutes)
        handoff.take(conn, key, who, handoff.expiry(timeout_minutes))
    return state(conn, key)


def quoted(conn, key: tuple[str, str], reply_to) -> str | None:
    """The wamid of this conversation's customer message ``reply_to`` (its inbox id,
    or "in-<id>" as the page names it) for a reply that quotes it; None: no quote."""
    ref = str(reply_to or "").strip().removeprefix("in-")
    if not ref:
        return None
    row = conn.execute("SELECT wamid FROM inbox WHERE id=? AND phone_number_id=? AND wa_id=?",
                       (int(ref) if ref.isdigit() else -1, *key)).fetchone()
    if row is None:
        raise Refused("A mensagem citada não é desta conversa.", "bad_quote", 400)
    return row[0]


def reply(conn, key: tuple[str, str], who: str, text: str, timeout_minutes: float, reply_to=None) -> int:
    """Queue a person's message (quoting the customer's message ``reply_to``, if
    given); its outbox id. Takes the conversation over if nobody holds it.
    Refused outside the 24-hour window, before anything is sent."""
    text = db.storable((text or "").strip())
    if not text:
        raise Refused("Escreva a mensagem.", "empty", 400)
    if len(text) > MAX_TEXT:
        raise Refused(f"A mensagem passa de {MAX_TEXT} caracteres.", "too_long", 400)
    payload = text_payload(key[1], text)
    context = quoted(conn, key, reply_to)
    if context:
        payload["context"] = {"message_id": context}
    return _queue_own(conn, key, who, timeout_minutes, payload)


def send_file(conn, key: tuple[str, str], who: str, media_dir, data: bytes, filename: str, caption: str,
              timeout_minutes: float, reply_to=None) -> int:
    """Queue a photo (JPEG, PNG) or a PDF a person attached; its outbox id. The
    worker uploads it to Graph's /media and sends it by id, under the outbox's
    exactly-once rules."""
    caption = (caption or "").strip()
    if not data:
        raise Refused("Escolha um arquivo.", "empty", 400)
    if len(caption) > 1024:
        raise Refused("A legenda passa de 1024 caracteres.", "too_long", 400)
    context = quoted(conn, key, reply_to)
    name = (filename or "arquivo").replace("\\", "/").rsplit("/", 1)[-1][:200] or "arquivo"
    if media.sniff(data[:64]) not in media.STAFF_TYPES:
        raise Refused("Envie uma imagem (JPEG ou PNG) ou um PDF.", "bad_file", 400)

    def queue(c) -> dict:
        media_id = media.keep_upload(c, media_dir, data, name, caption or None)
        kind = media.STAFF_TYPES[media.sniff(data[:64])]
        body = {"caption": caption} if caption else {}
        if kind == "document":
            body["filename"] = name
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": key[1], "type": kind,
                   kind: body, "media_row": media_id}
        if context:
            payload["context"] = {"message_id": context}
        return payload, media_id
    return _queue_own(conn, key, who, timeout_minutes, queue)


def _queue_own(conn, key, who: str, timeout_minutes: float, payload) -> int:
    """Queue a person's message (``payload``, or a function making it inside the
    transaction: (payload, media id)) and keep the conversation theirs."""
    win = window(conn, key)
    if not win["open"]:
        raise Refused("Fora da janela de 24 horas: o cliente não escreve há mais de 24 horas, e o WhatsApp "
                      "só entrega mensagens livres dentro desse prazo. Envie um modelo aprovado (template) "
                      "ou espere o cliente escrever de novo.", "outside_window")
    with db.transaction(conn, durable=True):
        if state(conn, key)["mode"] != "human":
            handoff.start(conn, key[0], key[1], "operator_takeover", "", timeout_minutes)
        # Each message of the person keeps the conversation theirs for timeout_minutes more.
        handoff.answered(conn, key, who, handoff.expiry(timeout_minutes))
        if not callable(payload):
            return operator_outbox.enqueue(conn, key[0], key[1], payload, who)
        payload, media_id = payload(conn)
        oid = operator_outbox.enqueue(conn, key[0], key[1], payload, who)
        media.attach(conn, media_id, oid)
        return oid


def send_template(conn, key: tuple[str, str], who: str, template: dict, values: list[str]) -> int:
    """Queue an approved template (allowed outside the window); its outbox id."""
    params = template.get("parameters", [])
    if len(values) != len(params):
        raise Refused(f"O modelo pede {len(params)} valor(es): {', '.join(params) or 'nenhum'}.", "parameters", 400)
    payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": key[1], "type": "template",
               "template": {"name": template["name"], "language": {"code": template.get("language", "pt_BR")}}}
    if values:
        payload["template"]["components"] = [{"type": "body", "parameters": [
            {"type": "text", "text": db.storable(str(v)[:1000])} for v in values]}]
    with db.transaction(conn, durable=True):
        handoff.needs_template(conn, key, False)
        return operator_outbox.enqueue(conn, key[0], key[1], payload, who)


def release(conn, key: tuple[str, str], who: str, closing: str = "") -> dict:
    """Give the conversation back to the bot, with an optional closing message
    (sent only inside the 24-hour window). Returns what was done."""
    closing = db.storable((closing or "").strip())
    queued = None
    if closing and len(closing) > MAX_TEXT:
        raise Refused(f"A mensagem passa de {MAX_TEXT} caracteres.", "too_long", 400)
    if closing and not window(conn, key)["open"]:
        raise Refused("Fora da janela de 24 horas: a mensagem de encerramento não pode ser enviada. "
                      "Devolva sem mensagem.", "outside_window")
    with db.transaction(conn, durable=bool(closing)):
        if closing:
            queued = operator_outbox.enqueue(conn, key[0], key[1], text_payload(key[1], closing), who)
        # ended_by "operator:NAME": who gave it back ("operator" alone: `chatbot handoff release`).
        ended = handoff.end(conn, "phone_number_id=? AND wa_id=?", key, f"operator:{who}")
    return {"released": bool(ended), "closing_outbox_id": queued, "mode": "bot"}


def thread(conn, key: tuple[str, str], limit: int = 200) -> list[dict]:
    """Customer, bot and staff messages of the conversation, oldest first."""
    items = []
    rows = conn.execute(
        "SELECT i.id, i.wamid, i.msg_type, i.body, i.payload, i.status, i.error, i.received_at, i.sent_at,"
        " o.id AS oid, o.wamid AS reply_wamid,"
        " o.body AS reply_body, o.state, o.delivery, o.sent_at AS reply_at, o.created_at AS reply_created"
        " FROM inbox i LEFT JOIN outbox o ON o.inbox_id = i.id WHERE i.wa_id=? AND i.phone_number_id=?"
        " ORDER BY i.id DESC LIMIT ?", (key[1], key[0], limit)).fetchall()
    keys, payloads = {}, {}
    for r in rows:
        # Ordered by when we received them; the bot's reply right after its question.
        at = r["received_at"]
        items.append({"who": "customer", "id": f"in-{r['id']}", "at": r["sent_at"] or at, "wamid": r["wamid"],
                      "text": r["body"], "type": r["msg_type"], "status": r["status"], "error": r["error"]})
        payloads[items[-1]["id"]] = r["payload"]
        keys[items[-1]["id"]] = (at, r["id"], 0)
        if r["oid"] is not None:
            items.append({"who": "bot", "id": f"out-{r['oid']}", "at": r["reply_at"] or r["reply_created"],
                          "wamid": r["reply_wamid"], "type": graph_api.kind_of(r["reply_body"]),
                          "text": graph_api.text_of(r["reply_body"]), "state": r["state"], "delivery": r["delivery"]})
            keys[items[-1]["id"]] = (at, r["id"], 1)
    staff = conn.execute(
        "SELECT id, wamid, operator, body, state, delivery, error, error_code, created_at, sent_at FROM outbox"
        " WHERE inbox_id IS NULL AND wa_id=? AND phone_number_id=? ORDER BY id DESC LIMIT ?",
        (key[1], key[0], limit)).fetchall()
    for r in staff:
        items.append({"who": "staff", "id": f"out-{r['id']}", "outbox_id": r["id"], "operator": r["operator"],
                      "at": r["sent_at"] or r["created_at"], "text": graph_api.text_of(r["body"]), "state": r["state"],
                      "delivery": r["delivery"], "error": r["error"], "error_code": r["error_code"],
                      "wamid": r["wamid"], "quotes": graph_api.quoted_wamid(r["body"]),
                      "type": graph_api.kind_of(r["body"])})
        keys[items[-1]["id"]] = (r["created_at"], 1 << 62, r["id"])
    items.sort(key=lambda m: keys[m["id"]])
    return views.enrich(conn, items[-limit:], payloads)


def conversation(conn, wa_id: str) -> dict | None:
    key = locate(conn, wa_id)
    if key is None:
        return None
    name = conn.execute("SELECT contact_name FROM inbox WHERE wa_id=? AND contact_name IS NOT NULL"
                        " ORDER BY id DESC LIMIT 1", (wa_id,)).fetchone()
    msgs = thread(conn, key)
    parked = [m for m in msgs if m["who"] != "customer" and m.get("state") in ("unknown", "failed")]
    return {"wa_id": wa_id, "phone_number_id": key[0], "contact_name": name[0] if name else None,
            **state(conn, key), "window": window(conn, key), "messages": msgs, "parked": len(parked)}


# -- the inbox ------------------------------------------------------------------------------

def inbox(conn, recent_limit: int = 30) -> dict:
    """Waiting for a person (longest first), held by someone, recent bot conversations."""
    now = clock.now()
    rows = conn.execute(
        "SELECT c.phone_number_id, c.wa_id, c.mode_since, c.handoff_reason, c.held_by, c.held_since,"
        " c.needs_template FROM conversations c WHERE c.mode='human' AND (c.human_until IS NULL OR"
        " c.human_until > ?) ORDER BY c.mode_since", (now,)).fetchall()
    waiting, held = [], []
    for r in rows:
        key = (r["phone_number_id"], r["wa_id"])
        item = {"wa_id": r["wa_id"], "phone_number_id": key[0], "since": r["mode_since"],
                "wait_seconds": round(now - (r["mode_since"] or now)), "reason": r["handoff_reason"],
                "held_by": r["held_by"], "needs_template": bool(r["needs_template"]), **_last(conn, key)}
        (held if r["held_by"] else waiting).append(item)
    humans = {(i["phone_number_id"], i["wa_id"]) for i in waiting + held}
    recent = []
    for r in conn.execute("SELECT phone_number_id, wa_id, MAX(id) AS last_id FROM (SELECT id, phone_number_id,"
                          " wa_id FROM inbox ORDER BY id DESC LIMIT 2000) GROUP BY phone_number_id, wa_id"
                          " ORDER BY last_id DESC LIMIT ?", (recent_limit + len(humans),)):
        key = (r["phone_number_id"], r["wa_id"])
        if key not in humans and len(recent) < recent_limit:
            recent.append({"wa_id": key[1], "phone_number_id": key[0], **_last(conn, key)})
    return {"waiting": waiting, "held": held, "recent": recent, "now": now}


def _last(conn, key) -> dict:
    row = conn.execute("SELECT id, contact_name, msg_type, body, COALESCE(sent_at, received_at) AS at FROM inbox"
                       " WHERE wa_id=? AND phone_number_id=? ORDER BY id DESC LIMIT 1", (key[1], key[0])).fetchone()
    name = conn.execute("SELECT contact_name FROM inbox WHERE wa_id=? AND contact_name IS NOT NULL"
                        " ORDER BY id DESC LIMIT 1", (key[1],)).fetchone()
    if row is None:
        return {"contact_name": None, "last_text": None, "last_at": None}
    seconds = None
    if row["msg_type"] == "audio":
        m = media.for_inbox(conn, row["id"])
        seconds = m["duration_seconds"] if m is not None else None
    return {"contact_name": name[0] if name else None,
            "last_text": message.label(row["msg_type"], row["body"], seconds), "last_at": row["at"]}


# -- figures (dashboard, /metrics) ------------------------------------------------------

def figures(conn, since: float, days: int = 7, tz=None) -> dict:
    """Waiting and held now; time from handoff to the first human reply (p50,
    p95) for handoffs since ``since``; handoffs given back by people, per day."""
    import datetime as dt
    now = clock.now()
    row = conn.execute("SELECT SUM(held_by IS NULL), SUM(held_by IS NOT NULL) FROM conversations"
                       " WHERE mode='human' AND (human_until IS NULL OR human_until > ?)", (now,)).fetchone()
    waits = sorted(r[0] for r in conn.execute(
        "SELECT first_reply_at - created_at FROM handoffs WHERE first_reply_at IS NOT NULL AND created_at >= ?",
        (since,)))
    tz = tz or dt.timezone.utc
    today = dt.datetime.fromtimestamp(now, tz).date()
    first = dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time(), tz).timestamp()
    per_day = {(today - dt.timedelta(days=i)).isoformat(): 0 for i in range(days - 1, -1, -1)}
    for (ended,) in conn.execute("SELECT ended_at FROM handoffs WHERE ended_at >= ? AND ended_by LIKE 'operator%'",
                                 (first,)):
        day = dt.datetime.fromtimestamp(ended, tz).date().isoformat()
        if day in per_day:
            per_day[day] += 1
    return {"waiting": row[0] or 0, "held": row[1] or 0, "first_reply_count": len(waits),
            "first_reply_p50_seconds": _pct(waits, 0.5), "first_reply_p95_seconds": _pct(waits, 0.95),
            "resolved_by_people_per_day": per_day}


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    i = min(len(values) - 1, max(0, int(round(q * (len(values) - 1)))))
    return round(values[i], 1)
