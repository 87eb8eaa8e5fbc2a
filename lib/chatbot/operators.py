"""What people do with a conversation: take it over, answer, give it back;
WhatsApp's 24-hour window; and the inbox they work from.

The bot side of a handoff (the bot stepping back when a customer asks for a
person) is ``bot/handoff.py``, which owns the ``conversations`` and
``handoffs`` tables and so writes what this module decides: who holds a
conversation, the first reply. What people send is queued in ``outbox`` and
sent by the worker (``whatsapp/operator_outbox.py``) with the bot's outbox rules.
"""
from __future__ import annotations

import json
import re
import sqlite3

from . import accounts, clock, db
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
    row = conn.execute("SELECT mode, mode_since, handoff_reason, human_until, held_by, held_since, needs_template,"
                       " transferred_by, taken_from, resolved_at, resolved_by"
                       " FROM conversations WHERE phone_number_id=? AND wa_id=?", key).fetchone()
    human = row is not None and row["mode"] == "human" and (row["human_until"] is None
                                                              or row["human_until"] > clock.now())
    return {"mode": "human" if human else "bot",
            "held_by": row["held_by"] if human else None,
            "waiting_since": row["mode_since"] if human else None,
            "reason": row["handoff_reason"] if human else None,
            "human_until": row["human_until"] if human else None,
            "needs_template": bool(row and row["needs_template"]),
            "transferred_by": row["transferred_by"] if human else None,
            "taken_from": row["taken_from"] if human else None,
            "resolved_at": row["resolved_at"] if row else None, "resolved_by": row["resolved_by"] if row else None}


def takeover(conn, key: tuple[str, str], who: str, timeout_minutes: float, confirm: bool = False) -> dict:
    """``who`` holds the conversation: the bot stays silent until it is released.
    Taking it from a colleague needs ``confirm`` (shifts change; the colleague's
    page then says who took it, and their next reply is refused)."""
    with db.transaction(conn):
        cur = state(conn, key)
        previous = cur["held_by"] if cur["mode"] == "human" else None
        if previous and previous.lower() != who.lower() and not confirm:
            raise Refused(f"{previous} está atendendo esta conversa. Confirme para assumir no lugar.", "held", 409)
        if cur["mode"] != "human":
            handoff.start(conn, key[0], key[1], "operator_takeover", "", timeout_minutes)
        taken_from = previous if previous and previous.lower() != who.lower() else None
        handoff.take(conn, key, who, handoff.expiry(timeout_minutes), taken_from)
    return state(conn, key)


def transfer(conn, key: tuple[str, str], who: str, to: str, timeout_minutes: float) -> dict:
    """Pass the conversation to the colleague ``to`` (an account's name): they hold
    it now and are told (their pages' notifier, and a push to their devices)."""
    colleague = accounts.get(conn, to or "")
    if colleague is None:
        raise Refused("Escolha um colega da lista.", "no_such_user", 400)
    to = colleague.name
    if to.lower() == who.lower():
        raise Refused("A conversa já é sua.", "self", 400)
    with db.transaction(conn):
        if state(conn, key)["mode"] != "human":
            handoff.start(conn, key[0], key[1], "operator_takeover", "", timeout_minutes)
        handoff.transfer(conn, key, to, who, handoff.expiry(timeout_minutes))
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
        cur = state(conn, key)
        if cur["mode"] == "human" and cur["held_by"] and cur["held_by"].lower() != who.lower():
            raise Refused(f"{cur['held_by']} assumiu esta conversa. Assuma de novo para responder.",
                          "held_by_other", 409)
        if cur["mode"] != "human":
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
        asked = "1 valor" if len(params) == 1 else f"{len(params)} valores"
        raise Refused(f"O modelo pede {asked}: {', '.join(params) or 'nenhum'}.", "parameters", 400)
    payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": key[1], "type": "template",
               "template": {"name": template["name"], "language": {"code": template.get("language", "pt_BR")}}}
    if values:
        payload["template"]["components"] = [{"type": "body", "parameters": [
            {"type": "text", "text": db.storable(str(v)[:1000])} for v in values]}]
    with db.transaction(conn, durable=True):
        handoff.needs_template(conn, key, False)
        return operator_outbox.enqueue(conn, key[0], key[1], payload, who)


def template_text(template: dict, values: list[str] | None = None) -> str:
    """The words a template puts on the customer's screen: its approved body with
    each {{n}} filled with the value given, or named ("[nome do cliente]")."""
    params = template.get("parameters", [])
    values = values or []

    def fill(m):
        i = int(m.group(1)) - 1
        if i < len(values):
            return str(values[i])
        return f"[{params[i]}]" if 0 <= i < len(params) else m.group(0)
    return re.sub(r"\{\{(\d+)\}\}", fill, template.get("text") or "")


def _template_shown(body: str | None, templates: dict | None) -> str | None:
    """A template we sent, as the customer read it (when its text is configured)."""
    try:
        payload = json.loads(body or "")
    except ValueError:
        return None
    if not isinstance(payload, dict) or payload.get("type") != "template":
        return None
    name = (payload.get("template") or {}).get("name")
    tpl = next((t for t in (templates or {}).values() if t.get("name") == name), None)
    if tpl is None or not tpl.get("text"):
        return None
    comps = (payload.get("template") or {}).get("components") or [{}]
    values = [p.get("text", "") for p in (comps[0].get("parameters") or [])]
    return template_text(tpl, values)


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


def resolve(conn, key: tuple[str, str], who: str) -> dict:
    """Mark the conversation resolved: a person no longer holds it and the bot
    answers the customer's next message; it leaves the lists of waiting and held."""
    with db.transaction(conn):
        ended = handoff.end(conn, "phone_number_id=? AND wa_id=?", key, f"resolved:{who}")
        handoff.resolved(conn, key, who)
    return {"resolved": True, "ended_handoff": bool(ended), "mode": "bot"}


MAX_NOTE = 2000


def add_note(conn, key: tuple[str, str], who: str, text: str) -> int:
    """An internal note on the conversation, seen by staff only; its id."""
    text = (text or "").strip()
    if not text:
        raise Refused("Escreva a nota.", "empty", 400)
    if len(text) > MAX_NOTE:
        raise Refused(f"A nota passa de {MAX_NOTE} caracteres.", "too_long", 400)
    with db.transaction(conn):
        return conn.execute("INSERT INTO conversation_notes (phone_number_id, wa_id, author, body, created_at)"
                            " VALUES (?,?,?,?,?)", (*key, who, text, clock.now())).lastrowid


def mark_read(conn, key: tuple[str, str], who: str) -> None:
    """``who`` has seen the conversation up to its newest customer message."""
    row = conn.execute("SELECT MAX(id) FROM inbox WHERE wa_id=? AND phone_number_id=?", (key[1], key[0])).fetchone()
    if row[0] is None:
        return
    seen = conn.execute(
        "SELECT r.last_inbox_id >= ? AND r.read_at >= COALESCE(c.transferred_at, 0) FROM conversation_reads r"
        " LEFT JOIN conversations c ON c.phone_number_id=r.phone_number_id AND c.wa_id=r.wa_id"
        " WHERE r.user_name=? AND r.phone_number_id=? AND r.wa_id=?", (row[0], who, *key)).fetchone()
    if seen is not None and seen[0]:
        return              # nothing new: an open page polling every few seconds writes nothing
    with db.transaction(conn):
        conn.execute("INSERT INTO conversation_reads (user_name, phone_number_id, wa_id, last_inbox_id, read_at)"
                     " VALUES (?,?,?,?,?) ON CONFLICT(user_name, phone_number_id, wa_id) DO UPDATE SET"
                     " last_inbox_id=MAX(last_inbox_id, excluded.last_inbox_id), read_at=excluded.read_at",
                     (who, *key, row[0], clock.now()))


def unread(conn, key: tuple[str, str], who: str) -> int:
    """The customer's messages ``who`` has not seen yet in this conversation."""
    return conn.execute(
        "SELECT COUNT(*) FROM inbox WHERE wa_id=? AND phone_number_id=? AND msg_type != 'system' AND id >"
        " COALESCE((SELECT last_inbox_id FROM conversation_reads WHERE user_name=? AND phone_number_id=?"
        " AND wa_id=?), 0)", (key[1], key[0], who, *key)).fetchone()[0]


def feed(conn, who: str) -> dict:
    """What every staff page polls: customers waiting for a person, the unread
    messages of the conversations ``who`` holds or could take, and those passed
    to ``who`` by a colleague that they have not opened yet."""
    now = clock.now()
    rows = conn.execute(
        "SELECT c.phone_number_id, c.wa_id, c.held_by, c.transferred_by, c.transferred_at, r.read_at,"
        " (SELECT COUNT(*) FROM inbox i WHERE i.wa_id=c.wa_id AND i.phone_number_id=c.phone_number_id"
        "  AND i.msg_type != 'system' AND i.id > COALESCE(r.last_inbox_id, 0)) AS unread"
        " FROM conversations c LEFT JOIN conversation_reads r ON r.user_name=? AND"
        " r.phone_number_id=c.phone_number_id AND r.wa_id=c.wa_id"
        " WHERE c.mode='human' AND (c.human_until IS NULL OR c.human_until > ?)", (who, now)).fetchall()
    waiting = [r for r in rows if not r["held_by"]]
    mine = [r for r in rows if r["held_by"] and r["held_by"].lower() == who.lower()]
    transfers = [{"wa_id": r["wa_id"], "by": r["transferred_by"]} for r in mine
                 if r["transferred_by"] and (r["read_at"] is None or r["read_at"] < r["transferred_at"])]
    # "attention" (the title's badge): conversations waiting, and this person's with unread messages.
    return {"waiting": len(waiting), "unread": sum(r["unread"] for r in waiting + mine),
            "attention": len(waiting) + sum(1 for r in mine if r["unread"]),
            "transfers": transfers, "newest_wa_id": waiting[-1]["wa_id"] if waiting else None,
            # Who waits (newest 50): a page tells a new arrival from a count that stayed the same
            # because one customer was picked up and another came between two polls.
            "waiting_ids": [r["wa_id"] for r in waiting[-50:]]}


def search(conn, query: str, limit: int = 30) -> list[dict]:
    """Conversations whose customer's name, number or messages contain ``query``, newest first."""
    query = (query or "").strip()
    if not query:
        return []
    like = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    digits = "".join(ch for ch in query if ch.isdigit())
    rows = conn.execute(
        "SELECT phone_number_id, wa_id, MAX(id) AS last_id FROM inbox WHERE contact_name LIKE ? ESCAPE '\\'"
        " OR body LIKE ? ESCAPE '\\' OR (? != '' AND wa_id LIKE ?) GROUP BY phone_number_id, wa_id"
        " ORDER BY last_id DESC LIMIT ?", (like, like, digits, f"%{digits}%", limit)).fetchall()
    keys = [(r["phone_number_id"], r["wa_id"]) for r in rows]
    lasts = _lasts(conn, keys)
    out = []
    for key in keys:
        hit = conn.execute("SELECT body FROM inbox WHERE wa_id=? AND phone_number_id=? AND body LIKE ? ESCAPE '\\'"
                           " ORDER BY id DESC LIMIT 1", (key[1], key[0], like)).fetchone()
        out.append({"wa_id": key[1], "phone_number_id": key[0], **lasts[key],
                    "match": hit["body"] if hit else None})
    return out


def notes(conn, key: tuple[str, str], limit: int = 200) -> list[dict]:
    rows = conn.execute("SELECT id, author, body, created_at FROM conversation_notes WHERE wa_id=? AND"
                        " phone_number_id=? ORDER BY id DESC LIMIT ?", (key[1], key[0], limit)).fetchall()
    return [{"who": "note", "id": f"note-{r['id']}", "operator": r["author"], "at": r["created_at"],
             "text": r["body"]} for r in reversed(rows)]


def thread(conn, key: tuple[str, str], limit: int = 200, templates: dict | None = None) -> list[dict]:
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
            items.append({"who": "bot", "id": f"out-{r['oid']}", "inbox_id": r["id"],
                          "at": r["reply_at"] or r["reply_created"],
                          "wamid": r["reply_wamid"], "type": graph_api.kind_of(r["reply_body"]),
                          "text": graph_api.text_of(r["reply_body"]), "state": r["state"], "delivery": r["delivery"]})
            keys[items[-1]["id"]] = (at, r["id"], 1)
    staff = conn.execute(
        "SELECT id, wamid, operator, body, state, delivery, error, error_code, created_at, sent_at FROM outbox"
        " WHERE inbox_id IS NULL AND wa_id=? AND phone_number_id=? ORDER BY id DESC LIMIT ?",
        (key[1], key[0], limit)).fetchall()
    for r in staff:
        items.append({"who": "staff", "id": f"out-{r['id']}", "outbox_id": r["id"], "operator": r["operator"],
                      "at": r["sent_at"] or r["created_at"],
                      "text": _template_shown(r["body"], templates) or graph_api.text_of(r["body"]),
                      "state": r["state"],
                      "delivery": r["delivery"], "error": r["error"], "error_code": r["error_code"],
                      "wamid": r["wamid"], "quotes": graph_api.quoted_wamid(r["body"]),
                      "type": graph_api.kind_of(r["body"])})
        keys[items[-1]["id"]] = (r["created_at"], 2, r["id"])
    for n in notes(conn, key, limit):
        items.append(n)
        keys[n["id"]] = (n["at"], 3, int(n["id"][5:]))
    items.sort(key=lambda m: keys[m["id"]])
    return views.enrich(conn, items[-limit:], payloads)


def conversation(conn, wa_id: str, templates: dict | None = None) -> dict | None:
    key = locate(conn, wa_id)
    if key is None:
        return None
    name = conn.execute("SELECT contact_name FROM inbox WHERE wa_id=? AND contact_name IS NOT NULL"
                        " ORDER BY id DESC LIMIT 1", (wa_id,)).fetchone()
    msgs = thread(conn, key, templates=templates)
    parked = [m for m in msgs if m["who"] != "customer" and m.get("state") in ("unknown", "failed")]
    return {"wa_id": wa_id, "phone_number_id": key[0], "contact_name": name[0] if name else None,
            **state(conn, key), "window": window(conn, key), "messages": msgs, "parked": len(parked)}


# -- the inbox ------------------------------------------------------------------------------

def inbox(conn, recent_limit: int = 30, who: str | None = None) -> dict:
    """Waiting for a person (longest first), held by someone, recent bot conversations;
    with ``who``, each one's messages that person has not read (``unread``)."""
    now = clock.now()
    rows = conn.execute(
        "SELECT c.phone_number_id, c.wa_id, c.mode_since, c.handoff_reason, c.held_by, c.held_since,"
        " c.needs_template FROM conversations c WHERE c.mode='human' AND (c.human_until IS NULL OR"
        " c.human_until > ?) ORDER BY c.mode_since", (now,)).fetchall()
    humans = {(r["phone_number_id"], r["wa_id"]) for r in rows}
    recent_keys = []
    for r in conn.execute("SELECT phone_number_id, wa_id, MAX(id) AS last_id FROM (SELECT id, phone_number_id,"
                          " wa_id FROM inbox ORDER BY id DESC LIMIT 2000) GROUP BY phone_number_id, wa_id"
                          " ORDER BY last_id DESC LIMIT ?", (recent_limit + len(humans),)):
        key = (r["phone_number_id"], r["wa_id"])
        if key not in humans and len(recent_keys) < recent_limit:
            recent_keys.append(key)
    keys = list(humans) + recent_keys
    last, counts = _lasts(conn, keys), (_unread_counts(conn, keys, who) if who else {})
    waiting, held = [], []
    for r in rows:
        key = (r["phone_number_id"], r["wa_id"])
        item = {"wa_id": r["wa_id"], "phone_number_id": key[0], "since": r["mode_since"],
                "wait_seconds": round(now - (r["mode_since"] or now)), "reason": r["handoff_reason"],
                "held_by": r["held_by"], "needs_template": bool(r["needs_template"]),
                **last.get(key, _NO_LAST), "unread": counts.get(key, 0)}
        (held if r["held_by"] else waiting).append(item)
    recent = [{"wa_id": k[1], "phone_number_id": k[0], **last.get(k, _NO_LAST), "unread": counts.get(k, 0)}
              for k in recent_keys]
    return {"waiting": waiting, "held": held, "recent": recent, "now": now}


_NO_LAST = {"contact_name": None, "last_text": None, "last_at": None}


def _chunks(keys: list, size: int = 400):
    for i in range(0, len(keys), size):
        yield keys[i:i + size]


def _lasts(conn, keys: list[tuple[str, str]]) -> dict:
    """``_last`` of many conversations at once (a query per 400, not two per conversation)."""
    out: dict = {}
    for part in _chunks(sorted({k[1] for k in keys})):
        marks = ",".join("?" * len(part))
        names = dict(conn.execute(
            f"SELECT wa_id, contact_name FROM inbox WHERE id IN (SELECT MAX(id) FROM inbox WHERE wa_id IN ({marks})"
            " AND contact_name IS NOT NULL GROUP BY wa_id)", part).fetchall())
        for r in conn.execute(
                "SELECT id, phone_number_id, wa_id, msg_type, body, COALESCE(sent_at, received_at) AS at FROM inbox"
                f" WHERE id IN (SELECT MAX(id) FROM inbox WHERE wa_id IN ({marks}) GROUP BY phone_number_id, wa_id)",
                part):
            seconds = None
            if r["msg_type"] == "audio":          # "🎤 Áudio (0:14)": the few voice notes read their length
                m = media.for_inbox(conn, r["id"])
                seconds = m["duration_seconds"] if m is not None else None
            out[(r["phone_number_id"], r["wa_id"])] = {
                "contact_name": names.get(r["wa_id"]), "last_at": r["at"],
                "last_text": message.label(r["msg_type"], r["body"], seconds)}
    return out


def _unread_counts(conn, keys: list[tuple[str, str]], who: str) -> dict:
    out: dict = {}
    for part in _chunks(sorted({k[1] for k in keys})):
        marks = ",".join("?" * len(part))
        for r in conn.execute(
                "SELECT i.phone_number_id, i.wa_id, COUNT(*) FROM inbox i LEFT JOIN conversation_reads r"
                " ON r.user_name=? AND r.phone_number_id=i.phone_number_id AND r.wa_id=i.wa_id"
                f" WHERE i.wa_id IN ({marks}) AND i.msg_type != 'system' AND i.id > COALESCE(r.last_inbox_id, 0)"
                " GROUP BY i.phone_number_id, i.wa_id", (who, *part)):
            out[(r[0], r[1])] = r[2]
    return out


def type_label(msg_type: str | None) -> str:
    """A message with no text, as staff read it (never "[image]"): whatsapp/message.label's words."""
    return "Aviso do WhatsApp" if msg_type == "system" else message.label(msg_type or "", None)


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
