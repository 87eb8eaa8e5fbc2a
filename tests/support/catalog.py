"""The test store's catalog as rows, edited and written back as CSV, and customers' questions
stored as if the bot had answered them."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from chatbot import clock, db
from chatbot.bot.store import knowledge

STORE = Path(__file__).resolve().parents[1] / "data" / "teststore"


HEADER = knowledge.CATALOG_COLUMNS


def rows_of(path=STORE / "catalog.csv") -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def csv_bytes(rows: list[dict], sep: str = ",", encoding: str = "utf-8", decimal_comma: bool = False,
              columns=HEADER) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    w.writerow(columns)
    for r in rows:
        cells = [r.get(c) or "" for c in columns]
        if decimal_comma:
            cells = [c.replace(".", ",") if c.replace(".", "", 1).isdigit() else c for c in cells]
        w.writerow(cells)
    return out.getvalue().encode(encoding)


def edit(rows: list[dict], which: str, **values) -> list[dict]:
    """The rows with the product whose sku is ``which`` changed."""
    return [{**r, **values} if r["sku"] == which else r for r in rows]


def customer_asks(conn, i: int, wa_id: str, text: str, source: str, reply: str) -> None:
    now = clock.now()
    with db.transaction(conn):
        cur = conn.execute("INSERT INTO inbox (wamid, phone_number_id, wa_id, msg_type, body, payload, received_at,"
                           " status, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                           (f"wamid.{i}", "pn", wa_id, "text", text, "{}", now - i, "answered", now))
        conn.execute("INSERT INTO events (ts, inbox_id, wa_id, intent, source, success) VALUES (?,?,?,?,?,1)",
                     (now - i, cur.lastrowid, wa_id, "x", source))
        conn.execute("INSERT INTO outbox (inbox_id, phone_number_id, wa_id, body, state, created_at, updated_at)"
                     " VALUES (?,?,?,?,?,?,?)",
                     (cur.lastrowid, "pn", wa_id, json.dumps({"text": {"body": reply}}, ensure_ascii=False), "sent",
                      now, now))
