"""Replies to identical normalized questions, reused for a while.

The key is the normalized question plus what the classifier made of it in
context (intent, products carried over), so "e no atacado?" after rice and
after beans are different questions. A reply the LLM wrote is stored (and
looked up) only when the model saw no earlier turn of the conversation: it
then depends on the text alone, never on what one customer said before
(bot/pipeline.py decides). Entries live [bot] cache_ttl_seconds,
at most cache_max_entries are kept (least recently used go first), and every
knowledge-base import empties the table (knowledge.import_kb) and bumps the
version the rows are checked against; a dated promotion starting or ending
expires the replies cached before it. Owns the ``response_cache`` table.
"""
from __future__ import annotations

import hashlib
import json

from .. import clock


def key(normalized: str, intent: str, context_skus: list[str]) -> str:
    raw = json.dumps([normalized, intent, sorted(context_skus)], ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def get(conn, k: str, kb_version: int, ttl_seconds: float) -> dict | None:
    """The cached reply, or None (missing, expired, or from an older knowledge base)."""
    row = conn.execute("SELECT reply, kb_version, created_at FROM response_cache WHERE key=?", (k,)).fetchone()
    now = clock.now()
    if row is None or row["kb_version"] != kb_version or row["created_at"] < now - ttl_seconds:
        return None
    if promotion_turned(conn, row["created_at"], now):
        return None
    return json.loads(row["reply"])


def promotion_turned(conn, since: float, now: float) -> bool:
    """A dated promotion started or ended since ``since``: a reply cached before may quote it wrongly."""
    return conn.execute("SELECT 1 FROM kb_products WHERE promo_from_ts > ?1 AND promo_from_ts <= ?2"
                        " UNION ALL SELECT 1 FROM kb_products WHERE promo_until_ts > ?1 AND promo_until_ts <= ?2"
                        " LIMIT 1", (since, now)).fetchone() is not None


def hit(conn, k: str) -> None:
    """Count a hit (call inside a transaction)."""
    conn.execute("UPDATE response_cache SET hits=hits+1, last_hit=? WHERE key=?", (clock.now(), k))


def put(conn, k: str, kb_version: int, reply: dict, max_entries: int) -> None:
    """Store a reply and keep the table within its bound (call inside a transaction)."""
    now = clock.now()
    conn.execute("INSERT INTO response_cache (key, kb_version, reply, created_at, last_hit) VALUES (?,?,?,?,?)"
                 " ON CONFLICT(key) DO UPDATE SET kb_version=excluded.kb_version, reply=excluded.reply,"
                 " created_at=excluded.created_at, last_hit=excluded.last_hit, hits=0",
                 (k, kb_version, json.dumps(reply, ensure_ascii=False), now, now))
    over = conn.execute("SELECT COUNT(*) FROM response_cache").fetchone()[0] - max(max_entries, 0)
    if over > 0:
        conn.execute("DELETE FROM response_cache WHERE key IN (SELECT key FROM response_cache"
                     " ORDER BY last_hit, created_at LIMIT ?)", (over,))


def purge(conn, ttl_seconds: float) -> int:
    return conn.execute("DELETE FROM response_cache WHERE created_at < ?", (clock.now() - ttl_seconds,)).rowcount


def clear(conn) -> int:
    return conn.execute("DELETE FROM response_cache").rowcount
