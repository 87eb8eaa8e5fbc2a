"""Inbound messages of every type, in the shape of Meta's samples
(tests/data/whatsapp/webhooks), and small real files to go with them."""
from __future__ import annotations

from pathlib import Path

import copy
import json
import struct
import zlib

from chatbot import clock
from support.graph_stub import sample

CUSTOMER = "5585988887777"
PNID = "106540352242922"


def png(width: int = 4, height: int = 3, rgb=(200, 40, 40), shaded: bool = False) -> bytes:
    """A real PNG image (a solid colour, or ``shaded`` from it to dark)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    def row(y):
        if not shaded:
            return b"\0" + bytes(rgb) * width
        return b"\0" + b"".join(bytes(int(c * (1 - 0.6 * (x + y) / (width + height))) for c in rgb)
                                for x in range(width))
    raw = b"".join(row(y) for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


def ogg_opus(seconds: float, tag: bytes = b"") -> bytes:
    """An Ogg Opus stream's first and last pages: what the worker reads a voice note's length from."""
    def page(granule: int, flags: int, payload: bytes, seq: int) -> bytes:
        return (b"OggS" + bytes([0, flags]) + struct.pack("<qII", granule, 1234, seq) + b"\0\0\0\0"
                + bytes([1, len(payload)]) + payload)
    head = b"OpusHead" + bytes([1, 1]) + struct.pack("<HIhB", 312, 48000, 0, 0)
    body = page(0, 2, head, 0) + page(0, 0, b"OpusTags" + tag.ljust(40, b"\0")[:40], 1)
    return body + page(int(seconds * 48000) + 312, 4, b"\xfc" * 60, 2)


def message(kind: str, n: int = 1, **fields) -> dict:
    """One inbound message object of ``kind``; ``fields`` become its ``kind`` part."""
    m = {"from": CUSTOMER, "id": f"wamid.media.{kind}.{n}", "timestamp": str(int(clock.now())), "type": kind}
    defaults = {
        "image": {"mime_type": "image/jpeg", "sha256": "x", "id": f"img-{n}"},
        "audio": {"mime_type": "audio/ogg; codecs=opus", "sha256": "x", "id": f"aud-{n}", "voice": True},
        "video": {"mime_type": "video/mp4", "sha256": "x", "id": f"vid-{n}"},
        "document": {"mime_type": "application/pdf", "sha256": "x", "id": f"doc-{n}", "filename": "nota.pdf"},
        "sticker": {"mime_type": "image/webp", "sha256": "x", "id": f"stk-{n}", "animated": False},
        "location": {"latitude": -13.0094, "longitude": -38.5095, "name": "Casa", "address": "Rua da Paciência, 10"},
        "reaction": {"message_id": "wamid.unknown", "emoji": "👍"},
        "text": {"body": "oi"},
        "order": {"catalog_id": "1", "product_items": [{"product_retailer_id": "1001", "quantity": 2,
                                                        "item_price": 22.99, "currency": "BRL"}]},
    }
    if kind == "contacts":
        m["contacts"] = fields.pop("cards", [{"name": {"formatted_name": "João Entregador", "first_name": "João"},
                                              "phones": [{"phone": "+55 85 99999-1234", "type": "CELL"}]}])
    elif kind == "unsupported":
        m["errors"] = [{"code": 131051, "title": "Message type unknown"}]
    else:
        m[kind] = dict(defaults.get(kind, {}), **fields)
    return m


def webhook(*messages: dict) -> bytes:
    """A signed-ready webhook body carrying ``messages`` (the text sample's envelope)."""
    env = copy.deepcopy(sample("webhooks/text.json"))
    value = env["entry"][0]["changes"][0]["value"]
    value["messages"] = list(messages)
    return json.dumps(env, ensure_ascii=False).encode()


# What the media tests share: an operator's password, a voice note, one message of each type,
# the test store with a place on the map, and a list dictated as a voice note.
PW = "senha da ana 2026"
VOICE = ogg_opus(14.2)

def conversation_messages(graph, photo: bytes | None = None) -> list[dict]:
    """One message of each type from one customer; their files served by the stand-in."""
    graph.add_media("img-1", photo or png(8, 6), "image/jpeg")
    graph.add_media("stk-8", png(96, 96, (250, 190, 40)), "image/webp")
    graph.add_media("vid-10", b"\0\0\0\x18ftypmp42" + bytes(200), "video/mp4")
    graph.add_media("aud-2", VOICE, "audio/ogg; codecs=opus")
    graph.add_media("doc-3", pdf(), "application/pdf")
    graph.add_media("img-4", b"<html><script>alert(1)</script></html>", "image/jpeg")
    quoting = message("text", n=9, body="posso trocar?")
    quoting["context"] = {"from": CUSTOMER, "id": "wamid.media.image.1"}
    return [message("image", n=1, caption="a carne veio assim"), message("audio", n=2), message("document", n=3),
            message("image", n=4), message("location", n=5), message("contacts", n=6),
            message("reaction", n=7, message_id="wamid.media.image.1", emoji="😡"), message("sticker", n=8),
            quoting, message("video", n=10, caption="o balcão hoje"), message("order", n=11)]


STORE = Path(__file__).resolve().parents[1] / "data" / "teststore"
DICTATED = "Quero 2 pacotes de arroz parboilizado camil e 3 feijão carioca"


def store_file(tmp_path, **coords) -> Path:
    """The test store with a place and a delivery radius (Rio Vermelho, Salvador)."""
    text = (STORE / "store.toml").read_text(encoding="utf-8")
    place = f"lat = {coords.get('lat', -13.0025)}\nlon = {coords.get('lon', -38.4935)}\n\n"
    text = text.replace("[hours]", place + "[hours]", 1)
    text = text.replace("[payment]", f"max_km = {coords.get('max_km', 8.0)}\n\n[payment]", 1)
    path = tmp_path / "store.toml"
    path.write_text(text, encoding="utf-8")
    return path
