"""Each message of a conversation as what it is, for the conversation page
(``_message.html``) and its JSON: the photo and where it is served, the voice
note and its transcript, the location's map link, the contact cards, the
reactions on the message they react to, the message a reply quotes.

Reads only (the rows belong to ``media.py`` and ``reactions.py``).
"""
from __future__ import annotations

from . import media, message, reactions

MAP_URL = "https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=17/{lat:.6f}/{lon:.6f}"


def media_url(media_id: int) -> str:
    return f"/media/{media_id}"


def _media(row) -> dict:
    served = row["state"] in ("stored", "uploaded")
    return {"id": row["id"], "kind": row["kind"], "state": row["state"],
            "url": media_url(row["id"]) if served else None, "mime": row["mime"] if served else None,
            "inline": served and media.inline(row["mime"]), "size": row["size"], "caption": row["caption"],
            "filename": row["filename"], "voice": bool(row["voice"]), "duration_seconds": row["duration_seconds"],
            "duration": message.duration_label(row["duration_seconds"]) if row["duration_seconds"] else None,
            "transcript": row["transcript"], "transcript_error": row["transcript_error"],
            "error": row["error"] if not served else None}


def enrich(conn, items: list[dict], payloads: dict[str, str]) -> list[dict]:
    """Add type-specific fields to the thread's items (``payloads``: item id ->
    the customer's stored message JSON) and fold reactions into their targets."""
    inbound_ids = [int(m["id"][3:]) for m in items if m["who"] == "customer"]
    outbound_ids = [m["outbox_id"] for m in items if m.get("outbox_id")]
    in_media, out_media = media.by_inbox(conn, inbound_ids), media.by_outbox(conn, outbound_ids)
    by_wamid = {m["wamid"]: m for m in items if m.get("wamid")}
    emojis = reactions.on_messages(conn, list(by_wamid))
    for m in items:     # the thread's own reactions, also those the worker has not reached yet
        if m["who"] == "customer" and m["type"] == "reaction":
            r = message.describe("reaction", payloads.get(m["id"])).get("reaction") or {}
            if r.get("message_id") in by_wamid:
                if r.get("emoji"):
                    emojis[r["message_id"]] = r["emoji"]
                else:
                    emojis.pop(r["message_id"], None)
    shown = []
    for m in items:
        if m["who"] == "customer":
            d = message.describe(m["type"], payloads.get(m["id"]))
            row = in_media.get(int(m["id"][3:]))
            if row is not None:
                m["media"] = _media(row)
            if d.get("location"):
                m["location"] = dict(d["location"], place=d.get("place") or None,
                                     map_url=MAP_URL.format(**d["location"]))
            elif m["type"] == "location":
                m["location"] = None
            for k in ("contacts", "more_contacts", "order", "error"):
                if k in d and d[k] is not None:
                    m[k if k != "error" else "unsupported"] = d[k]
            if m["type"] == "reaction":
                r = d.get("reaction") or {}
                target = by_wamid.get(r.get("message_id"))
                if target is not None:
                    continue        # shown on the message it reacts to (emojis)
                m["reaction"] = {"emoji": r.get("emoji"), "message_id": r.get("message_id"), "known": False}
            if d.get("context"):
                q = by_wamid.get(d["context"])
                m["quoted"] = {"id": q["id"], "who": q["who"], "text": q.get("text") or message.label(
                    q.get("type") or "text", None)} if q else {"id": None, "who": None, "text": None}
            m["label"] = message.label(m["type"], None, (m.get("media") or {}).get("duration_seconds"))
        elif m.get("outbox_id") in out_media:
            m["media"] = _media(out_media[m["outbox_id"]])
            m["type"] = m["media"]["kind"]
        if m.get("quotes"):
            q = by_wamid.get(m["quotes"])
            m["quoted"] = {"id": q["id"] if q else None, "who": q["who"] if q else None,
                           "text": (q.get("text") or q.get("label")) if q else None}
        if m.get("wamid") in emojis:
            m["reaction"] = {"emoji": emojis[m["wamid"]], "on_this": True}
        shown.append(m)
    return shown
