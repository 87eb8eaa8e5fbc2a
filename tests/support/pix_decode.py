"""An independent reader of Pix "copia e cola" codes (BR Code), for the tests.

Written from the EMV QR layout (two-digit tag, two-digit length, value) and the CRC the Banco
Central's manual names (CRC16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection,
no final XOR), without looking at chatbot.orders.brcode. A table-driven CRC, not the bit loop.
"""
from __future__ import annotations

from decimal import Decimal


def _table() -> list[int]:
    out = []
    for i in range(256):
        c = i << 8
        for _ in range(8):
            c = (c << 1) ^ 0x1021 if c & 0x8000 else c << 1
        out.append(c & 0xFFFF)
    return out


TABLE = _table()


def crc(data: bytes) -> int:
    value = 0xFFFF
    for b in data:
        value = ((value << 8) & 0xFFFF) ^ TABLE[((value >> 8) ^ b) & 0xFF]
    return value


def fields(code: str) -> dict[str, str]:
    """Top-level tags -> values; ValueError on a length that runs past the end."""
    out, i = {}, 0
    while i < len(code):
        tag, size = code[i:i + 2], int(code[i + 2:i + 4])
        value = code[i + 4:i + 4 + size]
        if len(value) != size:
            raise ValueError(f"field {tag} is cut short")
        out[tag] = value
        i += 4 + size
    return out


def decode(code: str) -> dict:
    """{"amount": Decimal, "key", "name", "city", "txid", "crc_ok": bool}."""
    top = fields(code)
    account = fields(top["26"])
    extra = fields(top.get("62", ""))
    body, given = code[:-4], code[-4:]
    return {"format": top["00"], "gui": account.get("00"), "key": account.get("01"),
            "currency": top.get("53"), "country": top.get("58"),
            "amount": Decimal(top["54"]) if "54" in top else None, "name": top.get("59"), "city": top.get("60"),
            "txid": extra.get("05"), "crc_ok": code[-8:-4] == "6304" and f"{crc(body.encode()):04X}" == given}
