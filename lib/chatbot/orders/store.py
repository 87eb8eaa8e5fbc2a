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
_OPEN_MARKS = ",".join("?" * len(OPEN))        # the placeholders of "status IN (...)"
# The cleanup keeps a customer's conversation while they have an order still open (a condition on
# the ``conversations`` row; ops/maintenance.KEEP_CONVERSATION).
HAS_OPEN_ORDER = ("EXISTS (SELECT 1 FROM orders o WHERE o.phone_number_id = conversations.phone_number_id"
                  " AND o.wa_id = conversations.wa_id AND o.status IN ({}))".format(
                      ", ".join(f"'{s}'" for s in OPEN)))


def cents(value: Decimal) -> int:
    return int((Decimal(value) / CENT).to_integral_value())


def money(c: int | None) -> str | None:
    """Cents as the JSON's money: 16170 -> "161.70"."""
    if c is None:
        return None
    sign, c = ("-", -c) if c < 0 else ("", c)
    return f"{sign}{c // 100}.{c % 100:02d}"


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
    conn.execute("INSERT INTO order_events (order_id, ts, status, actor, reason)"
                 " VALUES (?,?, 'new', 'customer', NULL)",
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
        o["items"] = [_item(r) for r in conn.execute("SELECT * FROM order_items WHERE order_id=?"
                                                     " ORDER BY position, id", (row["id"],))]
    return o


def _item(r) -> dict:
    return {"id": r["id"], "sku": r["sku"], "name": r["name"], "section": r["section"], "quantity": r["quantity"],
            "unit_price": money(r["unit_price_cents"]), "total": money(r["total_cents"]), "state": r["state"],
            "replaces": r["replaces"]}


def get(conn, number: int) -> dict | None:
    row = conn.execute("SELECT * FROM orders WHERE id=?", (number,)).fetchone()
    return _order(conn, row) if row else None


def latest_for(conn, phone_number_id: str, wa_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM orders WHERE phone_number_id=? AND wa_id=? ORDER BY id DESC LIMIT 1",
                       (phone_number_id, wa_id)).fetchone()
    return _order(conn, row, with_items=False) if row else None


def listing(conn, status: str | tuple | None = None, limit: int = 1000, with_items: bool = False) -> list[dict]:
    """Orders oldest first, of one status (or several), or all; ``with_items`` reads every order's lines
    in one query."""
    statuses = (status,) if isinstance(status, str) else tuple(status or ())
    where = f"status IN ({','.join('?' * len(statuses))})" if statuses else "1"
    params = statuses
    rows = conn.execute(f"SELECT * FROM orders WHERE {where} ORDER BY created_at, id LIMIT ?", (*params, limit))
    out = [_order(conn, r, with_items=False) for r in rows]
    if with_items and out:
        by_id = {o["number"]: o for o in out}
        for o in out:
            o["items"] = []
        for r in conn.execute(f"SELECT * FROM order_items WHERE order_id IN (SELECT id FROM orders WHERE {where}"
                              " ORDER BY created_at, id LIMIT ?) ORDER BY order_id, position, id", (*params, limit)):
            if r["order_id"] in by_id:
                by_id[r["order_id"]]["items"].append(_item(r))
    return out


def new_count(conn) -> int:
    """Orders placed and not yet confirmed by staff (every staff page announces them)."""
    return conn.execute("SELECT COUNT(*) FROM orders WHERE status = 'new'").fetchone()[0]


def board(conn, now: float, closed_hours: float = 24) -> dict:
    """/pedidos: the open orders by status, oldest first, then those closed in the last ``closed_hours``;
    each row only what the list shows (a thousand open orders are one page)."""
    rows = conn.execute("SELECT id AS number, status, fulfilment, total_cents, created_at, updated_at, contact_name,"
                        f" wa_id, area, payment FROM orders WHERE status IN ({_OPEN_MARKS}) OR updated_at >= ?"
                        " ORDER BY created_at, id",
                        (*OPEN, now - closed_hours * 3600)).fetchall()
    by: dict[str, list] = {s: [] for s in STATUSES}
    for r in rows:
        by[r["status"]].append(dict(r))
    groups = [{"status": s, "label": LABELS[s], "orders": by[s]} for s in OPEN]
    closed = sorted(by["delivered"] + by["cancelled"], key=lambda o: -o["updated_at"])
    groups.append({"status": "closed", "label": "Encerrados nas últimas 24 horas", "orders": closed})
    return {"groups": groups, "new": len(by["new"])}


def carts_with_people(conn, now: float) -> list[dict]:
    """Open carts of customers a person is attending (the bot handed them over): what they were buying."""
    rows = conn.execute("SELECT c.wa_id, c.state, c.updated_at, v.held_by FROM carts c JOIN conversations v"
                        " ON v.phone_number_id=c.phone_number_id AND v.wa_id=c.wa_id WHERE v.mode='human'"
                        " AND c.expires_at > ? ORDER BY c.updated_at", (now,)).fetchall()
    out = []
    for r in rows:
        state = json.loads(r["state"])
        if state.get("stage") != "placed" and state.get("items"):
            out.append({"wa_id": r["wa_id"], "held_by": r["held_by"], "updated_at": r["updated_at"], **state})
    return out


# -- staff: status changes and items ---------------------------------------------------

class Refused(Exception):
    """A change staff asked for that cannot be made; ``code`` for scripts, the message for people (pt-BR)."""

    def __init__(self, message: str, code: str, status: int = 409):
        super().__init__(message)
        self.code = code
        self.status = status


def next_statuses(order: dict) -> list[str]:
    """Where an order may go from where it is: one step at a time, never back, cancel until delivered."""
    step = {"new": ["confirmed"], "confirmed": ["picking"],
            "picking": ["out_for_delivery" if order["fulfilment"] == "delivery" else "ready_for_pickup"],
            "out_for_delivery": ["delivered"], "ready_for_pickup": ["delivered"]}.get(order["status"], [])
    return step + (["cancelled"] if order["status"] in OPEN else [])


def _locked(conn, number: int, version: int | None) -> dict:
    order = get(conn, number)
    if order is None:
        raise Refused("Pedido não encontrado.", "no_such_order", 404)
    if version is not None and version != order["version"]:
        raise Refused(f"O pedido {number:04d} foi alterado por outra pessoa agora há pouco "
                      f"(está {LABELS[order['status']].lower()}). Recarregue e confira.", "changed", 409)
    return order


def set_status(conn, cfg, number: int, status: str, actor: str, reason: str = "",
               version: int | None = None) -> dict:
    """Move the order one step and queue the customer's message in the same transaction; the order
    as it is now, with "notified" saying whether the customer will be told (outside the 24-hour window
    only through the template ``[orders] status_template``)."""
    from . import checkout
    if status not in STATUSES or status == "new":
        raise Refused(f"Situação desconhecida: {status!r}.", "bad_status", 400)
    reason = (reason or "").strip()[:300]
    if status == "cancelled" and not reason:
        raise Refused("Para cancelar, diga o motivo (o cliente recebe).", "reason_required", 400)
    now = clock.now()
    with db.transaction(conn, durable=True):
        order = _locked(conn, number, version)
        if status not in next_statuses(order):
            if status == order["status"]:
                raise Refused(f"O pedido {number:04d} já está {LABELS[status].lower()} "
                              "(talvez outra pessoa tenha mudado agora).", "already", 409)
            allowed = ", ".join(LABELS[s].lower() for s in next_statuses(order)) or "nenhuma (pedido encerrado)"
            raise Refused(f"O pedido {number:04d} está {LABELS[order['status']].lower()}: não pode ir para "
                          f"{LABELS[status].lower()}. Próxima situação possível: {allowed}.", "bad_transition")
        conn.execute("UPDATE orders SET status=?, status_reason=?, updated_at=?, version=version+1,"
                     " confirmed_at=CASE WHEN ?='confirmed' THEN ? ELSE confirmed_at END WHERE id=?",
                     (status, reason or None, now, status, now, number))
        conn.execute("INSERT INTO order_events (order_id, ts, status, actor, reason) VALUES (?,?,?,?,?)",
                     (number, now, status, actor, reason or None))
        order = get(conn, number)
        notified = _tell(conn, cfg, order, checkout.status_message(order, _facts(conn)), actor)
    return {**order, "notified": notified}


def change_item(conn, cfg, number: int, item_id: int, action: str, actor: str, substitute=None,
                quantity: Decimal | None = None, version: int | None = None) -> dict:
    """Mark a line missing, or substitute it (``substitute`` a catalog Product priced now by the quotes'
    code); the totals are recomputed and the customer told the new total in the same transaction."""
    from ..bot.answering import quote
    from . import checkout
    if action not in ("missing", "substitute"):
        raise Refused("Ação desconhecida: use missing ou substitute.", "bad_action", 400)
    now = clock.now()
    with db.transaction(conn, durable=True):
        order = _locked(conn, number, version)
        if order["status"] not in ("new", "confirmed", "picking"):
            raise Refused(f"O pedido {number:04d} está {LABELS[order['status']].lower()}: os itens não mudam mais.",
                          "closed")
        line = next((i for i in order["items"] if i["id"] == item_id), None)
        if line is None or line["state"] != "ok":
            raise Refused("Esse item não está no pedido (ou já foi marcado).", "no_such_item", 404)
        new_line = None
        if action == "missing":
            conn.execute("UPDATE order_items SET state='missing' WHERE id=?", (item_id,))
        else:
            if substitute is None:
                raise Refused("Diga o produto que substitui (sku).", "no_such_product", 400)
            qty = Decimal(quantity) if quantity is not None else Decimal(line["quantity"])
            if qty <= 0 or qty > 999 or (not quote.sold_by_kg(substitute) and qty != qty.to_integral_value()):
                raise Refused("Quantidade inválida para o substituto.", "bad_quantity", 400)
            priced = quote.price_line(substitute, qty)
            conn.execute("UPDATE order_items SET state='substituted' WHERE id=?", (item_id,))
            pos = conn.execute("SELECT position FROM order_items WHERE id=?", (item_id,)).fetchone()[0]
            conn.execute("INSERT INTO order_items (order_id, position, sku, name, section, quantity, unit_price_cents,"
                         " total_cents, replaces) VALUES (?,?,?,?,?,?,?,?,?)",
                         (number, pos, substitute.sku, substitute.name, substitute.category or "",
                          f"{qty.normalize():f}", cents(priced.unit_price), cents(priced.total), item_id))
            new_line = priced
        sub = conn.execute("SELECT COALESCE(SUM(total_cents), 0) FROM order_items WHERE order_id=? AND state='ok'",
                           (number,)).fetchone()[0]
        fee = conn.execute("SELECT fee_cents FROM orders WHERE id=?", (number,)).fetchone()[0]
        conn.execute("UPDATE orders SET subtotal_cents=?, total_cents=?, updated_at=?, version=version+1 WHERE id=?",
                     (sub, sub + fee, now, number))
        conn.execute("INSERT INTO order_events (order_id, ts, status, actor, reason) VALUES (?,?, 'items', ?, ?)",
                     (number, now, actor, f"{action}: {line['name']}" + (f" -> {new_line.product.name}"
                                                                          if new_line else "")))
        order = get(conn, number)
        notified = _tell(conn, cfg, order, checkout.items_message(order, line, new_line), actor)
    return {**order, "notified": notified}


def _facts(conn):
    from ..bot.store import knowledge
    return knowledge.load(conn)


def _tell(conn, cfg, order: dict, body: str, actor: str) -> bool:
    """Queue one message to the customer through the staff outbox (sent once by the worker, never
    resent on a guess); outside the 24-hour window, the status template if one is configured."""
    from .. import operators
    from ..whatsapp import operator_outbox
    from ..whatsapp.graph_api import text_payload
    key = (order["phone_number_id"], order["wa_id"])
    if operators.window(conn, key)["open"]:
        operator_outbox.enqueue(conn, key[0], key[1], text_payload(key[1], body), actor)
        return True
    tpl = cfg.whatsapp.templates.get(cfg.orders.status_template) if cfg.orders.status_template else None
    if tpl is None:
        return False
    values = [f"{order['number']:04d}", body][:len(tpl.get("parameters", []))]
    payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": key[1], "type": "template",
               "template": {"name": tpl["name"], "language": {"code": tpl.get("language", "pt_BR")}}}
    if values:
        payload["template"]["components"] = [{"type": "body", "parameters": [
            {"type": "text", "text": v.replace("\n", " ")[:1000]} for v in values]}]
    operator_outbox.enqueue(conn, key[0], key[1], payload, actor)
    return True


LABELS = {"new": "Novo", "confirmed": "Confirmado", "picking": "Em separação", "out_for_delivery": "Saiu para entrega",
          "ready_for_pickup": "Pronto para retirar", "delivered": "Entregue", "cancelled": "Cancelado"}


# -- the ERP's export -------------------------------------------------------------------

EXPORT_COLUMNS = ("pedido", "data", "situacao", "cliente", "whatsapp", "modalidade", "endereco", "pagamento", "troco",
                  "sku", "produto", "secao", "quantidade", "preco_unitario", "total_item", "situacao_item",
                  "subtotal", "taxa_entrega", "total")


def export_csv(conn, since: float | None = None, until: float | None = None, zone=None) -> bytes:
    """Every order line in [since, until) as CSV for a Brazilian spreadsheet or ERP: ';' between fields,
    decimal comma, UTF-8 with a BOM, one row per item (the order's figures repeated)."""
    import csv
    import datetime as dt
    import io
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow(EXPORT_COLUMNS)
    comma = lambda c: f"{Decimal(c) * CENT:.2f}".replace(".", ",")     # noqa: E731
    rows = conn.execute(
        "SELECT o.*, i.sku, i.name, i.section, i.quantity, i.unit_price_cents, i.total_cents AS item_cents,"
        " i.state AS item_state FROM orders o JOIN order_items i ON i.order_id=o.id"
        " WHERE o.created_at >= ? AND o.created_at < ? ORDER BY o.id, i.position, i.id",
        (since if since is not None else 0, until if until is not None else 1e12))
    for r in rows:
        change = r["change_for"]
        w.writerow([f"{r['id']:04d}", dt.datetime.fromtimestamp(r["created_at"], zone).strftime("%d/%m/%Y %H:%M"),
                    LABELS[r["status"]], r["contact_name"] or "", r["wa_id"],
                    "entrega" if r["fulfilment"] == "delivery" else "retirada", r["address"] or "", r["payment"],
                    "" if not change or change == "none" else change.replace(".", ","),
                    r["sku"], r["name"], r["section"], r["quantity"].replace(".", ","), comma(r["unit_price_cents"]),
                    comma(r["item_cents"]), {"ok": "ok", "missing": "em falta", "substituted": "substituido"}[
                        r["item_state"]], comma(r["subtotal_cents"]), comma(r["fee_cents"]), comma(r["total_cents"])])
    return "\ufeff".encode("utf-8") + out.getvalue().encode("utf-8")


# -- figures for /dashboard, /stats and /metrics ----------------------------------------

def figures(conn, since: float, days: int = 7, tz=None) -> dict:
    """Orders and revenue per day (cancelled ones left out), the period's count, revenue and average
    ticket, the share of quotes that became orders, the time from order to confirmation (p50, p95),
    and the open orders by status."""
    import datetime as dt
    tz = tz or dt.timezone.utc
    now = clock.now()
    today = dt.datetime.fromtimestamp(now, tz).date()
    first = dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time(), tz).timestamp()
    per_day = {(today - dt.timedelta(days=i)).isoformat(): [0, 0] for i in range(days - 1, -1, -1)}
    for created, total in conn.execute("SELECT created_at, total_cents FROM orders WHERE created_at >= ?"
                                       " AND status != 'cancelled'", (first,)):
        day = dt.datetime.fromtimestamp(created, tz).date().isoformat()
        if day in per_day:
            per_day[day][0] += 1
            per_day[day][1] += total
    n, revenue = conn.execute("SELECT COUNT(*), COALESCE(SUM(total_cents), 0) FROM orders WHERE created_at >= ?"
                              " AND status != 'cancelled'", (since,)).fetchone()
    quoted = conn.execute("SELECT COUNT(*) FROM orders WHERE created_at >= ? AND quoted_at IS NOT NULL",
                          (since,)).fetchone()[0]
    quotes = conn.execute("SELECT COUNT(*) FROM events WHERE ts >= ? AND intent='quote'", (since,)).fetchone()[0]
    waits = sorted(r[0] for r in conn.execute("SELECT confirmed_at - created_at FROM orders WHERE created_at >= ?"
                                              " AND confirmed_at IS NOT NULL", (since,)))
    open_now = {s: 0 for s in OPEN}
    for status, count in conn.execute(f"SELECT status, COUNT(*) FROM orders WHERE status IN ({_OPEN_MARKS})"
                                      " GROUP BY status", OPEN):
        open_now[status] = count
    pct = lambda q: round(waits[min(len(waits) - 1, int(round(q * (len(waits) - 1))))], 1) if waits else None  # noqa
    return {"orders": n, "revenue": money(revenue), "average_ticket": money(revenue // n) if n else None,
            "orders_per_day": {d: v[0] for d, v in per_day.items()},
            "revenue_per_day": {d: money(v[1]) for d, v in per_day.items()},
            "quotes": quotes, "quotes_to_orders": round(min(quoted / quotes, 1.0), 3) if quotes else None,
            "confirm_count": len(waits), "confirm_p50_seconds": pct(0.5), "confirm_p95_seconds": pct(0.95),
            "open": open_now}
