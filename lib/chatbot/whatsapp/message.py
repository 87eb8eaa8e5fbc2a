"""What a stored inbound message is, read from the JSON Meta sent (``inbox.payload``).

Pure functions, like ``webhook.py``: the worker, the conversation page and
the inbox all read a message through ``describe``, so a photo is a photo
everywhere and a malformed one is a clear "unreadable" instead of a crash.
"""
from __future__ import annotations

import json
import math

MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
MAX_CONTACTS = 10           # cards kept for display; a card with 500 numbers shows the first few
MAX_PHONES = 5
MAX_ORDER_ITEMS = 50
THUMBS_UP = {"👍", "👍🏻", "👍🏼", "👍🏽", "👍🏾", "👍🏿"}


def _text(v, limit: int = 1024) -> str | None:
    return v.strip()[:limit] if isinstance(v, str) and v.strip() else None


def _obj(v) -> dict:
    return v if isinstance(v, dict) else {}


def payload_of(raw) -> dict:
    """The message object, from the stored JSON text or a dict."""
    if isinstance(raw, dict):
        return raw
    try:
        data = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def coordinates(lat, lon) -> tuple[float, float] | None:
    """(lat, lon) when both are real numbers on the globe, else None."""
    try:
        if isinstance(lat, bool) or isinstance(lon, bool):
            return None
        la, lo = float(lat), float(lon)
    except (TypeError, ValueError, OverflowError):
        return None
    if not (math.isfinite(la) and math.isfinite(lo)) or not (-90 <= la <= 90 and -180 <= lo <= 180):
        return None
    return la, lo


def describe(msg_type: str, raw) -> dict:
    """The parts of a message that matter, by type. Always has ``type`` and
    ``context`` (the wamid of the message quoted, or None)."""
    m = payload_of(raw)
    ctx = _obj(m.get("context"))
    out: dict = {"type": msg_type, "context": _text(ctx.get("id"), 256)}
    part = _obj(m.get(msg_type))
    if msg_type in MEDIA_TYPES:
        out["media"] = {"id": _text(part.get("id"), 128), "mime": _text(part.get("mime_type"), 128),
                        "voice": part.get("voice") is True, "filename": _text(part.get("filename"), 200),
                        "animated": part.get("animated") is True}
        out["caption"] = _text(part.get("caption"), 4096)
    elif msg_type == "location":
        point = coordinates(part.get("latitude"), part.get("longitude"))
        out["location"] = {"lat": point[0], "lon": point[1]} if point else None
        out["place"] = " · ".join(x for x in (_text(part.get("name"), 200), _text(part.get("address"), 300)) if x)
    elif msg_type == "contacts":
        cards = m.get("contacts") if isinstance(m.get("contacts"), list) else []
        out["contacts"] = [_card(c) for c in cards[:MAX_CONTACTS] if isinstance(c, dict)]
        out["more_contacts"] = max(0, len(cards) - MAX_CONTACTS)
    elif msg_type == "reaction":
        out["reaction"] = {"message_id": _text(part.get("message_id"), 256), "emoji": _text(part.get("emoji"), 32)}
    elif msg_type == "order":
        items = part.get("product_items") if isinstance(part.get("product_items"), list) else []
        out["order"] = {"items": [_item(i) for i in items[:MAX_ORDER_ITEMS] if isinstance(i, dict)],
                        "text": _text(part.get("text"))}
    elif msg_type == "unsupported":
        errors = m.get("errors") if isinstance(m.get("errors"), list) else []
        first = _obj(errors[0]) if errors else {}
        out["error"] = _text(first.get("title")) or _text(first.get("message"))
    return out


def _card(c: dict) -> dict:
    phones = [p for p in (c.get("phones") or []) if isinstance(p, dict)] if isinstance(c.get("phones"), list) else []
    name = _obj(c.get("name"))
    return {"name": _text(name.get("formatted_name"), 200) or _text(name.get("first_name"), 200) or "Contato",
            "phones": [_text(p.get("phone"), 40) or _text(p.get("wa_id"), 40) for p in phones[:MAX_PHONES]
                       if _text(p.get("phone"), 40) or _text(p.get("wa_id"), 40)],
            "more_phones": max(0, len(phones) - MAX_PHONES)}


def _item(i: dict) -> dict:
    def num(v):
        return v if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None
    return {"sku": _text(i.get("product_retailer_id"), 100), "quantity": num(i.get("quantity")),
            "price": num(i.get("item_price")), "currency": _text(i.get("currency"), 8)}


def duration_label(seconds) -> str:
    s = int(round(seconds or 0))
    return f"{s // 60}:{s % 60:02d}"


def label(msg_type: str, body: str | None, duration: float | None = None) -> str:
    """The inbox's one-line summary, in pt-BR: "📷 Foto", "🎤 Áudio (0:14)", "📍 Localização"."""
    base = {"image": "📷 Foto", "audio": "🎤 Áudio", "video": "🎥 Vídeo", "document": "📄 Documento",
            "sticker": "Figurinha", "location": "📍 Localização", "contacts": "👤 Contato",
            "reaction": "Reação", "order": "🛒 Pedido do catálogo", "unsupported": "Mensagem não suportada"}
    if msg_type not in base:
        return body if body is not None else "Mensagem"
    text = base[msg_type]
    if msg_type == "audio" and duration:
        text += f" ({duration_label(duration)})"
    if body and msg_type in MEDIA_TYPES:
        text += f": {body}"
    return text
