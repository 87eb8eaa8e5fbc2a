"""Static Pix "copia e cola" codes (BR Code): EMV tag-length-value fields, CRC16 last.

``payload(key, name, city, amount, txid)`` returns the text a banking app pastes. The fields, in
the order of the Banco Central's manual: 00 format (01), 26 the merchant account (GUI
br.gov.bcb.pix and the key), 52 category (0000), 53 currency (986, real), 54 amount, 58 country,
59 name, 60 city, 62 additional data (05 the transaction id), 63 the CRC16-CCITT (polynomial
0x1021, start 0xFFFF) of everything before it, "6304" included.
"""
from __future__ import annotations

import re
from decimal import Decimal

from ..bot.text import strip_accents

GUI = "br.gov.bcb.pix"


def field(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"BR Code field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def crc16(data: str) -> str:
    crc = 0xFFFF
    for byte in data.encode("utf-8"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def plain(value: str, limit: int) -> str:
    """Names and cities in the code: ASCII letters, digits and spaces, upper case, cut to ``limit``."""
    return re.sub(r"[^A-Za-z0-9 ]", "", strip_accents(value)).strip().upper()[:limit].strip()


def payload(key: str, name: str, city: str, amount: Decimal, txid: str) -> str:
    body = (field("00", "01")
            + field("26", field("00", GUI) + field("01", key.strip()))
            + field("52", "0000") + field("53", "986")
            + field("54", f"{Decimal(amount):.2f}")
            + field("58", "BR") + field("59", plain(name, 25) or "LOJA") + field("60", plain(city, 15) or "BRASIL")
            + field("62", field("05", re.sub(r"[^A-Za-z0-9]", "", txid)[:25] or "***")))
    body += "6304"
    return body + crc16(body)
