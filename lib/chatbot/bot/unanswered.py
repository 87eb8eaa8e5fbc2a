"""Customer questions the bot could not answer, grouped, for staff to write FAQ entries.

A question "ended in a fallback" when its event's source is ``fallback``,
or in "não encontrei" when the reply sent says so (a product we do not
have). Questions are grouped by their content words (stemmed, no accents,
no stopwords, order ignored), so "Vocês vendem gás?" and "vcs vende gas"
are one group. Nothing here shows a customer's number: groups carry counts
of messages and customers, and long digit runs in the text are masked.
Reads ``events``, ``inbox`` and ``outbox``. Owns ``unanswered_marks`` (a
group staff marked "feito" or "ignorar": hidden until asked again) and
``wrong_answers`` (a bot reply staff called wrong: its question joins the list,
the wrong answer beside it).
"""
from __future__ import annotations

import json
import re

from .. import clock, db
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
    for r in conn.execute("SELECT w.question, w.answer, w.reported_by, w.reported_at, i.wa_id FROM wrong_answers w"
                          " JOIN inbox i ON i.id = w.inbox_id WHERE w.reported_at >= ?", (since,)):
        key = group_key(r["question"])
        g = found.get(key)
        if g is None:
            g = found[key] = {"key": key, "question": mask(r["question"].strip()), "examples": [], "count": 0,
                              "customers": set(), "last_seen": r["reported_at"], "reason": "resposta errada"}
            g["examples"].append(g["question"])
            g["count"] += 1
            g["customers"].add(r["wa_id"])
        g["reason"] = "resposta errada"
        g["wrong_answer"] = r["answer"]
        g["reported_by"] = r["reported_by"]
        g["last_seen"] = max(g["last_seen"], r["reported_at"])
    marks = {r["group_key"]: r["marked_at"] for r in conn.execute("SELECT group_key, marked_at FROM unanswered_marks")}
    live = [g for g in found.values() if g["key"] not in marks or g["last_seen"] > marks[g["key"]]]
    out = sorted(live, key=lambda g: (-g["count"], -g["last_seen"]))[:limit]
    for g in out:
        g["customers"] = len(g["customers"])
        # The fullest wording (accents, punctuation) makes the best FAQ question to start from.
        g["question"] = max(g["examples"], key=len)
    return out


def mark(conn, key: str, state: str, who: str) -> None:
    """"feito" (done) or "ignorar" (ignored): the group leaves the list until it is asked again."""
    if state not in ("done", "ignored"):
        raise ValueError(f"unknown state {state!r}")
    with db.transaction(conn):
        conn.execute("INSERT INTO unanswered_marks (group_key, state, marked_by, marked_at) VALUES (?,?,?,?)"
                     " ON CONFLICT(group_key) DO UPDATE SET state=excluded.state, marked_by=excluded.marked_by,"
                     " marked_at=excluded.marked_at", (key, state, who, clock.now()))


def report_wrong(conn, inbox_id: int, who: str) -> dict | None:
    """Staff say the bot's reply to this customer message was wrong; None if there is no such reply."""
    row = conn.execute("SELECT i.body, o.body AS reply FROM inbox i JOIN outbox o ON o.inbox_id = i.id"
                       " WHERE i.id=? AND i.body IS NOT NULL", (inbox_id,)).fetchone()
    if row is None:
        return None
    answer = _reply_text(row["reply"])
    with db.transaction(conn):
        conn.execute("INSERT INTO wrong_answers (inbox_id, question, answer, reported_by, reported_at)"
                     " VALUES (?,?,?,?,?) ON CONFLICT(inbox_id) DO UPDATE SET reported_by=excluded.reported_by,"
                     " reported_at=excluded.reported_at", (inbox_id, row["body"], answer, who, clock.now()))
    return {"question": row["body"], "answer": answer}
