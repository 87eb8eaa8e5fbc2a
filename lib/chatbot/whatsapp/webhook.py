"""Verify and parse what Meta POSTs to the webhook.

Pure functions: no I/O, so the web route stays thin and the fuzz tests can
hammer them. A batch may carry many entries, changes, messages and statuses;
every item is visited, and one bad item never costs the good ones beside it.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field

# Types the bot reads as text, and where the text is.
_TEXT_OF = {
    "text": lambda m: (m.get("text") or {}).get("body"),
    "button": lambda m: (m.get("button") or {}).get("text"),
    "interactive": lambda m: _interactive_text(m.get("interactive") or {}),
    # A photo, video or document's caption is its text (the rest: whatsapp/message.py).
    "image": lambda m: (m.get("image") or {}).get("caption"),
    "video": lambda m: (m.get("video") or {}).get("caption"),
    "document": lambda m: (m.get("document") or {}).get("caption"),
}


def _interactive_text(i: dict):
    for kind in ("button_reply", "list_reply"):
        reply = i.get(kind)
        if isinstance(reply, dict):
            return reply.get("title") or reply.get("id")
    return None


class BadPayload(ValueError):
    """The body is not a WhatsApp webhook we can read at all (400)."""


@dataclass
class Inbound:
    wamid: str
    phone_number_id: str
    wa_id: str
    msg_type: str
    body: str | None
    sent_at: float | None
    contact_name: str | None
    raw: dict


@dataclass
class Status:
    wamid: str
    status: str
    recipient: str | None
    ts: float | None
    error_code: int | None
    error: str | None


@dataclass
class Batch:
    messages: list[Inbound] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)     # value.errors[] from Meta
    skipped: list[str] = field(default_factory=list)     # why items were not taken
    phone_number_ids: set = field(default_factory=set)


def verify_challenge(args: dict, verify_token: str) -> str | None:
    """The GET handshake: the challenge to echo back, or None (403)."""
    if args.get("hub.mode") != "subscribe" or not verify_token:
        return None
    given = args.get("hub.verify_token") or ""
    if not hmac.compare_digest(given.encode(), verify_token.encode()):
        return None
    challenge = args.get("hub.challenge")
    return challenge if isinstance(challenge, str) else None


def sign(body: bytes, app_secret: str) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(body: bytes, header: str | None, app_secret: str) -> bool:
    """HMAC-SHA256 of the raw bytes, compared in constant time."""
    if not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(sign(body, app_secret).encode(), header.strip().encode("utf-8", "replace"))


# Control characters (CR, LF, NUL, ...) and line separators: a profile name is one line of text
# that ends up in e-mail headers, logs and pages. Names are cut at MAX_NAME characters.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
MAX_NAME = 128


def _name(v) -> str | None:
    name = _str(v)
    if name is None:
        return None
    return " ".join(_CONTROL.sub(" ", name[:MAX_NAME]).split()) or None


def _str(v) -> str | None:
    if isinstance(v, str) and v:
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return None


def _ts(v) -> float | None:
    try:
        t = float(v)
    except (TypeError, ValueError, OverflowError):
        return None
    return t if 0 < t < 1e11 else None


def _error(errors) -> tuple[int | None, str | None]:
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        e = errors[0]
        code = e.get("code") if isinstance(e.get("code"), int) else None
        return code, _str(e.get("title")) or _str(e.get("message"))
    return None, None


def parse(body: bytes) -> Batch:
    """Parse a webhook body. Raises BadPayload when nothing in it is usable."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise BadPayload(f"invalid JSON: {str(exc)[:80]}") from None
    if not isinstance(data, dict):
        raise BadPayload("body is not a JSON object")
    entries = data.get("entry")
    if not isinstance(entries, list):
        raise BadPayload("no entry[] list")
    batch = Batch()
    for entry in entries:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            batch.skipped.append("entry without changes[]")
            continue
        for change in changes:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                batch.skipped.append("change without value")
                continue
            _parse_value(value, batch)
    return batch


def _parse_value(value: dict, batch: Batch) -> None:
    meta = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    pnid = _str(meta.get("phone_number_id"))
    names = {}
    for c in _list(value.get("contacts")):
        if _str(c.get("wa_id")):
            profile = c.get("profile") if isinstance(c.get("profile"), dict) else {}
            names[_str(c["wa_id"])] = _name(profile.get("name"))
    for m in _list(value.get("messages")):
        wamid, sender, mtype = _str(m.get("id")), _str(m.get("from")), _str(m.get("type"))
        if not (pnid and wamid and sender and mtype):
            batch.skipped.append("message without id, from, type or phone_number_id")
            continue
        try:
            text = _TEXT_OF.get(mtype, lambda _m: None)(m)
        except AttributeError:      # e.g. "text": "a string" instead of an object
            text = None
        batch.phone_number_ids.add(pnid)
        batch.messages.append(Inbound(
            wamid=wamid, phone_number_id=pnid, wa_id=sender, msg_type=mtype,
            body=text if isinstance(text, str) else None, sent_at=_ts(m.get("timestamp")),
            contact_name=names.get(sender), raw=m))
    for s in _list(value.get("statuses")):
        wamid, status = _str(s.get("id")), _str(s.get("status"))
        if not (wamid and status):
            batch.skipped.append("status without id or status")
            continue
        code, err = _error(s.get("errors"))
        batch.statuses.append(Status(wamid=wamid, status=status, recipient=_str(s.get("recipient_id")),
                                     ts=_ts(s.get("timestamp")), error_code=code, error=err))
    batch.errors.extend(_list(value.get("errors")))


def _list(v) -> list[dict]:
    return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []
