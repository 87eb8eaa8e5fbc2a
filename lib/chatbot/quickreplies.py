"""Quick replies ("respostas rápidas"): texts managers keep for the team,
inserted in a conversation's reply box by typing "/" and the shortcut.

Owns the ``quick_replies`` table (migration 0018).
"""
from __future__ import annotations

import re
import sqlite3

from . import clock, db
from .whatsapp.graph_api import MAX_TEXT

SHORTCUT = re.compile(r"^[a-z0-9à-ú][a-z0-9à-ú_-]{0,29}$")


class QuickReplyError(ValueError):
    """A refused change, with a pt-BR reason for the page."""


def _clean(shortcut: str, body: str) -> tuple[str, str]:
    shortcut = (shortcut or "").strip().lstrip("/").lower()
    body = (body or "").strip()
    if not SHORTCUT.match(shortcut):
        raise QuickReplyError("O atalho tem de 1 a 30 letras, números, '-' ou '_', sem espaços (ex.: pix).")
    if not body:
        raise QuickReplyError("Escreva o texto da resposta.")
    if len(body) > MAX_TEXT:
        raise QuickReplyError(f"O texto passa de {MAX_TEXT} caracteres, o limite do WhatsApp.")
    return shortcut, body


def listing(conn) -> list[dict]:
    return [dict(r) for r in conn.execute(
        "SELECT id, shortcut, body, updated_by, updated_at FROM quick_replies ORDER BY shortcut")]


def save(conn, shortcut: str, body: str, who: str, qr_id: int | None = None) -> int:
    """Add a quick reply (or change ``qr_id``); its id."""
    shortcut, body = _clean(shortcut, body)
    try:
        with db.transaction(conn):
            if qr_id is None:
                return conn.execute("INSERT INTO quick_replies (shortcut, body, updated_by, updated_at)"
                                    " VALUES (?,?,?,?)", (shortcut, body, who, clock.now())).lastrowid
            if conn.execute("UPDATE quick_replies SET shortcut=?, body=?, updated_by=?, updated_at=? WHERE id=?",
                            (shortcut, body, who, clock.now(), qr_id)).rowcount == 0:
                raise QuickReplyError("Essa resposta rápida não existe mais.")
            return qr_id
    except sqlite3.IntegrityError:
        raise QuickReplyError(f"Já existe uma resposta rápida /{shortcut}.") from None


def delete(conn, qr_id: int) -> bool:
    with db.transaction(conn):
        return conn.execute("DELETE FROM quick_replies WHERE id=?", (qr_id,)).rowcount > 0
