"""The orders tables' one owner: carts, orders, order_items, order_events.

Money is kept in integer cents and shown as strings with a dot and two decimals ("161.70") in
the JSON; quantities as decimal strings. An order's prices are frozen when it is placed: a later
catalog upload never changes them.
"""
from __future__ import annotations

import json
from decimal import Decimal

from .. import clock, db

CENT = Decimal("0.01")
STATUSES = ("new", "confirmed", "picking", "out_for_delivery", "ready_for_pickup", "delivered", "cancelled")
OPEN = ("new", "confirmed", "picking", "out_for_delivery", "ready_for_pickup")


def cents(value: Decimal) -> int:
    return int((Decimal(value) / CENT).to_integral_value())


def money(c: int | None) -> str | None:
    return None if c is None else f"{Decimal(c) * CENT:.2f}"


# -- carts -------------------------------------------------------------------------

def load_cart(conn, phone_number_id: str, wa_id: str) -> dict | None:
    row = conn.execute("SELECT state FROM carts WHERE phone_number_id=? AND wa_id=?",
                       (phone_number_id, wa_id)).fetchone()
    return json.loads(row["state"]) if row else None


def save_cart(conn, phone_number_id: str, wa_id: str, state: dict | None) -> None:
    """Write (or, for None, delete) the customer's cart; the caller holds the transaction."""
    if state is None:
        conn.execute("DELETE FROM carts WHERE phone_number_id=? AND wa_id=?", (phone_number_id, wa_id))
        return
    conn.execute("INSERT INTO carts (phone_number_id, wa_id, state, expires_at, updated_at) VALUES (?,?,?,?,?)"
                 " ON CONFLICT(phone_number_id, wa_id) DO UPDATE SET state=excluded.state,"
                 " expires_at=excluded.expires_at, updated_at=excluded.updated_at",
                 (phone_number_id, wa_id, json.dumps(state, ensure_ascii=False), state["expires_at"], clock.now()))


def purge_carts(conn, now: float | None = None) -> int:
    """Drop carts past their time (an abandoned checkout expires with its cart)."""
    with db.transaction(conn):
        return conn.execute("DELETE FROM carts WHERE expires_at <= ?", (clock.now() if now is None else now,)).rowcount


# -- placing -------------------------------------------------------------------------

def place(conn, phone_number_id: str, wa_id: str, contact_name: str | None, state: dict, lines, sub: Decimal,
          fee: Decimal, total: Decimal, now: float) -> int:
    """Record the order of this cart (once: the same cart gives back the same number); the caller holds
    the transaction. ``lines`` are ``quote.Line``s priced at this moment: their prices are frozen here."""
    row = conn.execute("SELECT id FROM orders WHERE cart_id=?", (state["cart_id"],)).fetchone()
    if row is not None:
        return row["id"]
    pin = state.get("pin") or [None, None]
    cur = conn.execute(
        "INSERT INTO orders (cart_id, phone_number_id, wa_id, contact_name, status, fulfilment, address, area,"
        " lat, lon, payment, change_for, subtotal_cents, fee_cents, total_cents, quoted_at, created_at, updated_at)"
        " VALUES (?,?,?,?, 'new', ?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (state["cart_id"], phone_number_id, wa_id, contact_name, state["fulfilment"],
         state.get("address") if state["fulfilment"] == "delivery" else None, state.get("area"), pin[0], pin[1],
         state["payment"], state.get("change_for"), cents(sub), cents(fee), cents(total),
         state.get("started_at"), now, now))
    order_id = cur.lastrowid
    conn.executemany(
        "INSERT INTO order_items (order_id, position, sku, name, section, quantity, unit_price_cents, total_cents)"
        " VALUES (?,?,?,?,?,?,?,?)",
        [(order_id, i, ln.product.sku, ln.product.name, ln.product.category or "", f"{ln.qty.normalize():f}",
          cents(ln.unit_price), cents(ln.total)) for i, ln in enumerate(lines)])
    conn.execute("INSERT INTO order_events (order_id, ts, status, actor, reason) VALUES (?,?, 'new', 'customer', NULL)",
                 (order_id, now))
    return order_id


# -- reading -------------------------------------------------------------------------

def _order(conn, row, with_items: bool = True) -> dict:
    o = {"number": row["id"], "status": row["status"], "wa_id": row["wa_id"],
         "phone_number_id": row["phone_number_id"], "contact_name": row["contact_name"],
         "subtotal": money(row["subtotal_cents"]), "fee": money(row["fee_cents"]), "total": money(row["total_cents"]),
         "payment": row["payment"], "change_for": row["change_for"], "fulfilment": row["fulfilment"],
         "address": row["address"], "area": row["area"], "lat": row["lat"], "lon": row["lon"],
         "status_reason": row["status_reason"], "created_at": row["created_at"],
         "confirmed_at": row["confirmed_at"], "updated_at": row["updated_at"], "version": row["version"]}
    if with_items:
        o["items"] = [{"id": r["id"], "sku": r["sku"], "name": r["name"], "section": r["section"],
                       "quantity": r["quantity"], "unit_price": money(r["unit_price_cents"]),
                       "total": money(r["total_cents"]), "state": r["state"], "replaces": r["replaces"]}
                      for r in conn.execute("SELECT * FROM order_items WHERE order_id=? ORDER BY position, id",
                                            (row["id"],))]
    return o


def get(conn, number: int) -> dict | None:
    row = conn.execute("SELECT * FROM orders WHERE id=?", (number,)).fetchone()
    return _order(conn, row) if row else None


def latest_for(conn, phone_number_id: str, wa_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM orders WHERE phone_number_id=? AND wa_id=? ORDER BY id DESC LIMIT 1",
                       (phone_number_id, wa_id)).fetchone()
    return _order(conn, row, with_items=False) if row else None


def listing(conn, status: str | None = None, limit: int = 1000) -> list[dict]:
    """Orders oldest first (open ones by default when ``status`` is None: every status)."""
    where, params = ("status=?", (status,)) if status else ("1", ())
    rows = conn.execute(f"SELECT * FROM orders WHERE {where} ORDER BY created_at, id LIMIT ?", (*params, limit))
    return [_order(conn, r, with_items=False) for r in rows]
