"""Customer questions the bot could not answer, grouped, for staff to write FAQ entries.

A question "ended in a fallback" when its event's source is ``fallback``,
or in "não encontrei" when the reply sent says so (a product we do not
have). Questions are grouped by their content words (stemmed, no accents,
no stopwords, order ignored), so "Vocês vendem gás?" and "vcs vende gas"
are one group. Nothing here shows a customer's number: groups carry counts
of messages and customers, and long digit runs in the text are masked.
Reads ``events``, ``inbox`` and ``outbox``; owns no table.
"""
from __future__ import annotations

import json
import re

from .. import clock
from . import text

NOT_FOUND = ("Não encontrei",)
_DIGITS = re.compile(r"\d[\d .()-]{6,}\d")
MAX_SCAN = 20000


def mask(question: str) -> str:
    """Phone or document numbers typed into a question: all but the last 4 digits hidden."""
    def hide(m: re.Match) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        return "*" * (len(digits) - 4) + digits[-4:]
    return _DIGITS.sub(hide, question)


def group_key(question: str) -> str:
    words = sorted(set(text.content_words(question)))
    return " ".join(words) or text.normalize(question)


def _reply_text(body: str | None) -> str:
    try:
        payload = json.loads(body or "")
    except ValueError:
        return ""
    return (payload.get("text") or {}).get("body") or ""


def groups(conn, days: float = 30, limit: int = 200) -> list[dict]:
    """Groups of unanswered questions, most frequent first."""
    since = clock.now() - days * 86400
    rows = conn.execute(
        "SELECT i.body, i.wa_id, i.received_at, e.source, o.body AS reply FROM inbox i"
        " JOIN events e ON e.inbox_id = i.id LEFT JOIN outbox o ON o.inbox_id = i.id"
        " WHERE i.received_at >= ? AND i.msg_type = 'text' AND i.body IS NOT NULL"
        " AND (e.source = 'fallback' OR o.body LIKE '%encontrei%')"
        " ORDER BY i.id DESC LIMIT ?", (since, MAX_SCAN)).fetchall()
    found: dict[str, dict] = {}
    for r in rows:
        reply = _reply_text(r["reply"])
        if r["source"] != "fallback" and not reply.startswith(NOT_FOUND) and "Não encontrei" not in reply:
            continue
        key = group_key(r["body"])
        g = found.get(key)
        if g is None:
            g = found[key] = {"key": key, "question": mask(r["body"].strip()), "examples": [], "count": 0,
                              "customers": set(), "last_seen": r["received_at"],
                              "reason": "não encontrei" if r["source"] != "fallback" else "fallback"}
        g["count"] += 1
        g["customers"].add(r["wa_id"])
        g["last_seen"] = max(g["last_seen"], r["received_at"])
        example = mask(r["body"].strip())
        if example not in g["examples"] and len(g["examples"]) < 3:
            g["examples"].append(example)
    out = sorted(found.values(), key=lambda g: (-g["count"], -g["last_seen"]))[:limit]
    for g in out:
        g["customers"] = len(g["customers"])
        # The fullest wording (accents, punctuation) makes the best FAQ question to start from.
        g["question"] = max(g["examples"], key=len)
    return out
