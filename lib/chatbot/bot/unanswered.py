"""Customer questions the bot could not answer, grouped, for staff to write FAQ entries.

A question "ended in a fallback" when its event's source is ``fallback``,
or in "não encontrei" when the reply sent says so (a product we do not
have). Questions are grouped by their content words (stemmed, no accents,
no stopwords, order ignored), so "Vocês vendem gás?" and "vcs vende gas"
are one group. The key is computed once, when the worker stores the message's
event (``stored_key``, from the question's first MAX_KEY_WORDS words), not on
every page view. Nothing here shows a customer's number: groups carry counts
of messages and customers, and long digit runs in the text are masked.
Reads ``events``, ``inbox`` and ``outbox`` (the keys are written through ``events``). Owns
``unanswered_marks`` (a group staff marked "feito" or "ignorar": hidden until asked again) and
``wrong_answers`` (a bot reply staff called wrong: its question joins the list, the wrong answer
beside it).
"""
from __future__ import annotations

import json
import logging
import re
import sqlite3

from .. import clock, db, events
from . import text

log = logging.getLogger("chatbot.bot")

NOT_FOUND = ("Não encontrei",)
_DIGITS = re.compile(r"\d[\d .()-]{6,}\d")
MAX_SCAN = 20000
# The grouping key reads at most this much of a question: a pasted 4 KB text cost 1.8 ms to
# stem whole, and the page read up to MAX_SCAN of them on every view.
MAX_KEY_WORDS = 24
MAX_KEY_CHARS = 300
MAX_EXAMPLE_CHARS = 500     # an example is shown and may start an FAQ question (300 characters at most)
BACKFILL_BATCH = 2000


def mask(question: str) -> str:
    """Phone or document numbers typed into a question: all but the last 4 digits hidden."""
    def hide(m: re.Match) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        return "*" * (len(digits) - 4) + digits[-4:]
    return _DIGITS.sub(hide, question)


def group_key(question: str) -> str:
    """The question's content words (stemmed, no accents, no stopwords, sorted), from its first
    MAX_KEY_WORDS words and MAX_KEY_CHARS characters."""
    head = " ".join(question[:MAX_KEY_CHARS].split()[:MAX_KEY_WORDS])
    words = sorted(set(text.content_words(head)))
    return " ".join(words) or text.normalize(head)


def is_unanswered(source: str | None, reply: str | None) -> bool:
    """The bot gave the fallback, or said it did not find the product."""
    return source == "fallback" or (reply or "").startswith(NOT_FOUND) or "Não encontrei" in (reply or "")


def stored_key(question: str | None, source: str | None, reply: str | None) -> str | None:
    """What the worker stores in the event's ``question_key``: the group of a question the bot
    could not answer, '' for one it answered, None when there was no text."""
    if question is None:
        return None
    return group_key(question) if is_unanswered(source, reply) else ""


def backfill(conn, days: float = 365) -> int:
    """Give events stored before ``question_key`` existed their key (the worker calls this at
    start; a no-op once done). Returns how many were filled in."""
    try:
        return _backfill(conn, clock.now() - days * 86400)
    except sqlite3.Error as exc:        # a convenience for the page: never a reason not to start
        log.warning("could not fill in the keys of older unanswered questions: %s", exc)
        return 0


def _backfill(conn, since: float) -> int:
    done = 0
    while True:
        rows = conn.execute(
            "SELECT e.id, e.source, substr(i.body, 1, ?) AS body, o.body AS reply FROM events e"
            " JOIN inbox i ON i.id = e.inbox_id LEFT JOIN outbox o ON o.inbox_id = i.id"
            " WHERE e.question_key IS NULL AND e.ts >= ? AND i.msg_type = 'text' AND i.body IS NOT NULL"
            " ORDER BY e.id LIMIT ?", (MAX_KEY_CHARS, since, BACKFILL_BATCH)).fetchall()
        if not rows:
            return done
        keys = [(stored_key(r["body"], r["source"], _reply_text(r["reply"])), r["id"]) for r in rows]
        with db.transaction(conn):
            events.set_question_keys(conn, keys)
        done += len(rows)


def _reply_text(body: str | None) -> str:
    try:
        payload = json.loads(body or "")
    except ValueError:
        return ""
    return (payload.get("text") or {}).get("body") or ""


def groups(conn, days: float = 30, limit: int = 200) -> list[dict]:
    """Groups of unanswered questions, most frequent first. Reads the key stored with each event
    (the events table only: small rows); the questions' text is read for at most 3 examples a
    group. An event not given a key yet (``backfill``) is judged and keyed here, as before."""
    since = clock.now() - days * 86400
    rows = [dict(r) for r in conn.execute(
        "SELECT inbox_id, wa_id, ts AS received_at, source, question_key FROM events"
        " WHERE question_key != '' AND ts >= ? ORDER BY id DESC LIMIT ?", (since, MAX_SCAN))]
    if len(rows) < MAX_SCAN:
        rows += [dict(r) for r in conn.execute(
            "SELECT i.id AS inbox_id, i.wa_id, i.received_at, e.source, NULL AS question_key,"
            " substr(i.body, 1, ?) AS body, o.body AS reply FROM events e"
            " JOIN inbox i ON i.id = e.inbox_id LEFT JOIN outbox o ON o.inbox_id = i.id"
            " WHERE e.question_key IS NULL AND i.received_at >= ? AND i.msg_type = 'text' AND i.body IS NOT NULL"
            " AND (e.source = 'fallback' OR o.body LIKE '%encontrei%')"
            " ORDER BY i.id DESC LIMIT ?", (MAX_EXAMPLE_CHARS, since, MAX_SCAN - len(rows)))]
    found: dict[str, dict] = {}
    for r in rows:
        key = r["question_key"]
        if key is None:
            if not is_unanswered(r["source"], _reply_text(r["reply"])):
                continue
            key = group_key(r["body"])
        g = found.get(key)
        if g is None:
            g = found[key] = {"key": key, "question": "", "examples": [], "count": 0, "customers": set(),
                              "last_seen": r["received_at"], "ids": [],
                              "reason": "não encontrei" if r["source"] != "fallback" else "fallback"}
        g["count"] += 1
        g["customers"].add(r["wa_id"])
        g["last_seen"] = max(g["last_seen"], r["received_at"])
        if len(g["ids"]) < 5:           # a few more than the examples shown: some may repeat
            g["ids"].append(r["inbox_id"])
    for r in conn.execute("SELECT w.question, w.answer, w.reported_by, w.reported_at, i.wa_id FROM wrong_answers w"
                          " JOIN inbox i ON i.id = w.inbox_id WHERE w.reported_at >= ?", (since,)):
        key = group_key(r["question"])
        g = found.get(key)
        if g is None:
            g = found[key] = {"key": key, "question": mask(r["question"].strip()), "examples": [], "count": 0,
                              "customers": set(), "last_seen": r["reported_at"], "reason": "resposta errada", "ids": []}
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
    bodies = _questions(conn, [i for g in out for i in g["ids"]])
    for g in out:
        for i in g.pop("ids"):
            example = mask((bodies.get(i) or "").strip())
            if example and example not in g["examples"] and len(g["examples"]) < 3:
                g["examples"].append(example)
        g["customers"] = len(g["customers"])
        # The fullest wording (accents, punctuation) makes the best FAQ question to start from.
        g["question"] = max(g["examples"], key=len, default="")
    return out


def _questions(conn, ids: list[int]) -> dict[int, str]:
    """The first MAX_EXAMPLE_CHARS of these inbox messages' text, by id."""
    out: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        out.update(conn.execute(f"SELECT id, substr(body, 1, ?) FROM inbox WHERE id IN ({','.join('?' * len(chunk))})",
                                (MAX_EXAMPLE_CHARS, *chunk)).fetchall())
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
