"""Orders for staff (operators and up): the JSON API for scripts (Bearer) and the same routes from
the pages (session and CSRF).

    GET  /pedidos                  the live page (new orders: badge and sound); /pedidos/fragment its live part
    GET  /pedidos/<number>         one order's page with its actions; /pedidos/<number>/separacao the picking list
    GET  /orders                   ?status= (default: the open ones), ?limit= (500) -> {"orders": [...]}, oldest first
    GET  /orders/<number>          one order: number, status, wa_id, items, subtotal, fee, total, payment, ...
    POST /orders/<number>/status   {"status": "confirmed" | ... | "cancelled", "reason": "...", "version": N}
    POST /orders/<number>/items    {"item": id, "action": "missing" | "substitute", "sku": "...", "quantity": "2"}

Money is a string with a dot and two decimals ("161.70"). A change another person made first, a
step skipped or a move back answers 409 with a pt-BR message saying what happened.
"""
from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from urllib.parse import quote as urlquote

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, url_for

from .. import clock
from ..bot import fmt
from ..bot.store import knowledge
from ..log import mask_phone
from ..orders import store
from . import auth
from .answers import body, done, refused, wants_json
from .db import get_db

bp = Blueprint("orders", __name__)
log = logging.getLogger("chatbot.web")
# "161.70" (the JSON's money) as the pages print it: "R$ 161,70"; None as "–".
bp.add_app_template_filter(lambda v: "–" if v is None else fmt.money(Decimal(v)), "reais")


@bp.record_once
def _announce_new_orders(state) -> None:
    """Every staff page's notifier (/notify.json) counts the new orders too (web/notify.py's feed)."""
    state.app.extensions.setdefault("chatbot.feed", []).append(lambda conn, user: {"orders": store.new_count(conn)})


def _public(order: dict) -> dict:
    keep = ("number", "status", "wa_id", "contact_name", "items", "subtotal", "fee", "total", "payment",
            "change_for", "fulfilment", "address", "area", "lat", "lon", "status_reason", "created_at",
            "confirmed_at", "updated_at", "version", "notified")
    out = {k: order.get(k) for k in keep if k in order}
    out["next"] = store.next_statuses(order)
    return out


def _order(number: int) -> dict:
    """The order ``number``; the request ends in a 404 if there is none."""
    order = store.get(get_db(), number)
    if order is None:
        abort(auth.error(404, "Pedido não encontrado.", json_error="no such order"))
    return order


def _version(data) -> int | None:
    raw = data.get("version")
    try:
        return int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


@bp.errorhandler(store.Refused)
def _refused(exc: store.Refused):
    """Every change here that the store refuses: the reason to scripts, the browser back to the order."""
    return refused(exc, url_for("orders.page", number=request.view_args["number"], erro=str(exc)))


def _done(number: int, order: dict, note: str):
    return done(200, _public(order), url_for("orders.page", number=number, ok=note))


@bp.get("/orders")
@auth.require_role("operator")
def listing():
    status = request.args.get("status") or None
    if status is not None and status not in store.STATUSES:
        return jsonify({"error": "bad_status", "message": f"status must be one of {', '.join(store.STATUSES)}"}), 400
    try:
        limit = min(max(int(request.args.get("limit") or 500), 1), 5000)
    except ValueError:
        return jsonify({"error": "bad_limit", "message": "limit must be a number from 1 to 5000"}), 400
    found = store.listing(get_db(), status or store.OPEN, limit, with_items=True)
    return jsonify({"orders": [_public(o) for o in found]})


@bp.get("/orders/<int:number>")
@auth.require_role("operator")
def one(number: int):
    order = _order(number)
    if wants_json():
        return jsonify(_public(order))
    return redirect(url_for("orders.page", number=number), 303)


@bp.post("/orders/<int:number>/status")
@auth.require_role("operator")
def status(number: int):
    data = body()
    order = store.set_status(get_db(), g.cfg, number, str(data.get("status") or ""), g.user.name,
                             str(data.get("reason") or ""), _version(data))
    log.info("%s moved order %d to %s (customer %s)", g.user.name, number, order["status"],
             mask_phone(order["wa_id"]))
    return _done(number, order, store.LABELS[order["status"]])


@bp.post("/orders/<int:number>/items")
@auth.require_role("operator")
def items(number: int):
    data = body()
    conn = get_db()
    try:
        item_id = int(data.get("item") or 0)
    except (TypeError, ValueError):
        item_id = 0
    action = str(data.get("action") or "")
    substitute, quantity = None, None
    if action == "substitute":
        sku = str(data.get("sku") or "").strip()
        found = knowledge.products(conn, "sku=?", (sku,), 1) if sku else []
        if not found:
            raise store.Refused(f"Produto {sku or '(vazio)'} não está no catálogo.", "no_such_product", 400)
        substitute = found[0]
        raw = str(data.get("quantity") or "").strip().replace(",", ".")
        try:
            quantity = Decimal(raw) if raw else None
        except InvalidOperation:
            raise store.Refused("Quantidade inválida.", "bad_quantity", 400) from None
    order = store.change_item(conn, g.cfg, number, item_id, action, g.user.name, substitute, quantity,
                              _version(data))
    log.info("%s changed an item of order %d (%s)", g.user.name, number, action)
    return _done(number, order, "itens")


# -- the pages ------------------------------------------------------------------------

ACTIONS = {"confirmed": "Confirmar pedido", "picking": "Começar a separar", "out_for_delivery": "Saiu para entrega",
           "ready_for_pickup": "Pronto para retirar", "delivered": "Entregue"}


def _money(value: str | None) -> str:
    return fmt.money(Decimal(value or "0"))


def _qty(quantity: str, name: str) -> str:
    shown = quantity.replace(".", ",")
    return f"{shown} kg" if name.lower().endswith(" kg") else f"{shown}x"


def _shown(o: dict) -> dict:
    """An order with what the pages print: money in reais, quantities, the map link."""
    o = dict(o, subtotal_text=_money(o["subtotal"]), fee_text=_money(o["fee"]), total_text=_money(o["total"]),
             age=clock.now() - o["created_at"], next=store.next_statuses(o),
             editable=o["status"] in ("new", "confirmed", "picking"))
    change = o.get("change_for")
    o["change_text"] = "sem troco" if change == "none" else f"troco para {_money(change)}" if change else ""
    if "items" in o:            # one order's page: the map link too
        if o.get("lat") is not None:
            o["map_url"] = f"https://www.google.com/maps/search/?api=1&query={o['lat']},{o['lon']}"
        else:
            city = knowledge.load(get_db()).store.get("city", "")
            o["map_url"] = "https://www.google.com/maps/search/?api=1&query=" + urlquote(
                f"{o.get('address') or ''}, {city}")
        o["items"] = [dict(i, qty_text=_qty(i["quantity"], i["name"]), unit_text=_money(i["unit_price"]),
                           total_text=_money(i["total"])) for i in o["items"]]
    return o


def _reais(cents: int) -> str:
    """123450 -> "R$ 1.234,50", without Decimal: a thousand rows on /pedidos."""
    return "R$ " + f"{cents // 100:,}".replace(",", ".") + f",{cents % 100:02d}"


def _board() -> dict:
    """/pedidos' rows: only what the list shows (a thousand open orders render in one request)."""
    now = clock.now()
    d = store.board(get_db(), now)
    for group in d["groups"]:
        for o in group["orders"]:
            o.update(delivery=o["fulfilment"] == "delivery", total=_reais(o["total_cents"]),
                     age=now - o["created_at"], who=o["contact_name"] or o["wa_id"])
    d["carts"] = [dict(c, items_text=", ".join(f"{_qty(i['qty'], i['name'])} {i['name']}" for i in c["items"]),
                       stage_text=CART_STAGES.get(c["stage"], c["stage"]))
                  for c in store.carts_with_people(get_db(), now)]
    return d


CART_STAGES = {"cart": "orçamento feito, pedido não iniciado", "checkout": "no meio do pedido",
               "confirm": "viu o resumo, falta confirmar"}


@bp.get("/pedidos")
@auth.require_role("operator")
def pedidos():
    return render_template("pedidos.html", d=_board())


@bp.get("/pedidos/fragment")
@auth.require_role("operator")
def pedidos_fragment():
    return render_template("_pedidos_body.html", d=_board())


@bp.get("/pedidos/<int:number>")
@auth.require_role("operator")
def page(number: int):
    order = _order(number)
    return render_template("pedido.html", o=_shown(order), labels=store.LABELS, actions=ACTIONS,
                           ok=request.args.get("ok"), erro=request.args.get("erro"))


@bp.get("/pedidos/<int:number>/separacao")
@auth.require_role("operator")
def picking(number: int):
    order = _order(number)
    o = _shown(order)
    sections: dict[str, list] = {}
    for i in o["items"]:
        if i["state"] == "ok":
            sections.setdefault(i["section"] or "Outros", []).append(i)
    n = sum(len(v) for v in sections.values())
    return render_template("separacao.html", o=o, sections=sorted(sections.items()),
                           count_text=f"{n} {'item' if n == 1 else 'itens'}")
