"""The orders' JSON API for staff: shapes with money as "161.70", status changes one step at a time
(none skipped, none back from delivered), two operators at once (one wins, the other is told),
an item missing or substituted with the new total, each change queued as exactly one message to
the customer (a utility template outside the 24-hour window), and who may call each route."""
from __future__ import annotations

import json

import pytest

from chatbot import accounts, clock
from chatbot.bot.store import knowledge
from chatbot.web.app import create_app
from support.configs import make_cfg
from support.orders import CUSTOMER, NOW, STORE, place_order
from support.web import BEARER, login

ROUTES = [("GET", "/orders"), ("GET", "/orders/1"), ("POST", "/orders/1/status"), ("POST", "/orders/1/items"),
          ("GET", "/pedidos"), ("GET", "/pedidos/fragment"), ("GET", "/pedidos/1"), ("GET", "/pedidos/1/separacao")]


def outbox(conn, wa_id=CUSTOMER) -> list[dict]:
    return [json.loads(r["body"]) for r in conn.execute("SELECT body FROM outbox WHERE inbox_id IS NULL AND wa_id=?"
                                                        " ORDER BY id", (wa_id,))]


def post(client, path, body):
    return client.post(path, json=body, headers=BEARER)


def test_shapes(client, shop):
    one = client.get("/orders/1", headers=BEARER).get_json()
    assert one["number"] == 1 and one["status"] == "new" and one["wa_id"] == CUSTOMER
    assert one["fulfilment"] == "delivery" and one["address"] == "Rua do Sol, 100, Jaraguá" and one["payment"] == "Pix"
    assert (one["subtotal"], one["fee"], one["total"]) == ("78.36", "6.00", "84.36")
    assert [(i["sku"], i["name"], i["quantity"], i["unit_price"], i["total"]) for i in one["items"]] == [
        ("2001", "Arroz Branco 5kg", "2", "27.90", "55.80"), ("2007", "Leite Integral 1L", "3", "5.19", "15.57"),
        ("2004", "Óleo de Soja 900ml", "1", "6.99", "6.99")]
    assert one["next"] == ["confirmed", "cancelled"]
    listed = client.get("/orders", headers=BEARER).get_json()["orders"]
    assert [o["number"] for o in listed] == [1] and listed[0]["items"] == one["items"]
    assert client.get("/orders?status=delivered", headers=BEARER).get_json() == {"orders": []}
    assert client.get("/orders?status=lost", headers=BEARER).status_code == 400
    assert client.get("/orders/99", headers=BEARER).status_code == 404


def test_every_status_in_order_each_told_once(client, shop):
    for status in ("confirmed", "picking", "out_for_delivery", "delivered"):
        resp = post(client, "/orders/1/status", {"status": status})
        assert resp.status_code == 200 and resp.get_json()["status"] == status and resp.get_json()["notified"]
    texts = [m["text"]["body"] for m in outbox(shop)]
    assert len(texts) == 4
    assert texts[0].startswith("✅ Seu *Pedido 0001* foi confirmado") and "R$ 84,36" in texts[0]
    assert "sendo separado" in texts[1] and "saiu para entrega" in texts[2] and "entregue" in texts[3]
    back = post(client, "/orders/1/status", {"status": "picking"})
    assert back.status_code == 409 and back.get_json()["error"] == "bad_transition"
    assert "nenhuma (pedido encerrado)" in back.get_json()["message"]
    assert post(client, "/orders/1/status", {"status": "cancelled", "reason": "x"}).status_code == 409
    events = [r[0] for r in shop.execute("SELECT status FROM order_events WHERE order_id=1 ORDER BY id")]
    assert events == ["new", "confirmed", "picking", "out_for_delivery", "delivered"]
    assert shop.execute("SELECT confirmed_at FROM orders").fetchone()[0] is not None
    assert len(outbox(shop)) == 4


def test_no_skipping_and_pickup_steps(client, shop):
    skip = post(client, "/orders/1/status", {"status": "out_for_delivery"})
    assert skip.status_code == 409 and "Próxima situação possível: confirmado, cancelado" in skip.get_json()["message"]
    post(client, "/orders/1/status", {"status": "confirmed"})
    post(client, "/orders/1/status", {"status": "picking"})
    wrong = post(client, "/orders/1/status", {"status": "ready_for_pickup"})       # it is a delivery
    assert wrong.status_code == 409
    assert post(client, "/orders/1/status", {"status": "shipped"}).status_code == 400
    assert post(client, "/orders/1/status", {"status": "new"}).status_code == 400
    assert len(outbox(shop)) == 2


def test_two_operators_at_once(client, shop):
    version = client.get("/orders/1", headers=BEARER).get_json()["version"]
    first = post(client, "/orders/1/status", {"status": "confirmed", "version": version})
    second = post(client, "/orders/1/status", {"status": "cancelled", "reason": "sem estoque", "version": version})
    assert first.status_code == 200
    assert second.status_code == 409 and second.get_json()["error"] == "changed"
    assert "alterado por outra pessoa" in second.get_json()["message"]
    again = post(client, "/orders/1/status", {"status": "confirmed"})          # the same click, without a version
    assert again.status_code == 409 and again.get_json()["error"] == "already"
    assert len(outbox(shop)) == 1


def test_cancel_needs_a_reason_and_tells_it(client, shop):
    assert post(client, "/orders/1/status", {"status": "cancelled"}).get_json()["error"] == "reason_required"
    ok = post(client, "/orders/1/status", {"status": "cancelled", "reason": "Endereço não encontrado"})
    assert ok.status_code == 200
    assert "Motivo: Endereço não encontrado." in outbox(shop)[0]["text"]["body"]


def test_item_missing_and_substitute(client, shop):
    items = client.get("/orders/1", headers=BEARER).get_json()["items"]
    oil = next(i for i in items if i["sku"] == "2004")
    r = post(client, "/orders/1/items", {"item": oil["id"], "action": "missing"})
    assert r.status_code == 200 and r.get_json()["total"] == "77.37" and r.get_json()["subtotal"] == "71.37"
    assert "Óleo de Soja 900ml está em falta" in outbox(shop)[0]["text"]["body"]
    assert "Novo total: *R$ 77,37*" in outbox(shop)[0]["text"]["body"]
    milk = next(i for i in items if i["sku"] == "2007")
    r = post(client, "/orders/1/items", {"item": milk["id"], "action": "substitute", "sku": "2009", "quantity": "4"})
    body = r.get_json()
    assert r.status_code == 200 and body["subtotal"] == "65.76" and body["total"] == "71.76"
    assert [(i["sku"], i["state"]) for i in body["items"]] == [("2001", "ok"), ("2007", "substituted"),
                                                               ("2009", "ok"), ("2004", "missing")]
    assert "no lugar vai 4x Detergente 500ml" in outbox(shop)[1]["text"]["body"]
    assert post(client, "/orders/1/items", {"item": oil["id"], "action": "missing"}).status_code == 404
    assert post(client, "/orders/1/items", {"item": milk["id"] + 99, "action": "x"}).status_code == 400
    assert post(client, "/orders/1/items", {"item": items[0]["id"], "action": "substitute",
                                            "sku": "nope"}).status_code == 400
    assert len(outbox(shop)) == 2


def test_prices_frozen_on_the_api(client, shop, tmp_path):
    dearer = tmp_path / "catalog.csv"
    dearer.write_text((STORE / "catalog.csv").read_text(encoding="utf-8").replace("27.90", "39.90"), encoding="utf-8")
    knowledge.import_kb(shop, dearer, STORE / "store.toml")
    assert client.get("/orders/1", headers=BEARER).get_json()["items"][0]["unit_price"] == "27.90"


def test_outside_the_window_a_template_or_nothing(tmp_path):
    templates = {"pedido": {"name": "pedido_atualizado", "language": "pt_BR", "parameters": ["numero", "texto"]}}
    for with_template in (True, False):
        cfg = make_cfg(tmp_path / str(with_template), whatsapp={"verify_token": "v", "templates": templates},
                       orders={"status_template": "pedido" if with_template else ""})
        from chatbot import db
        conn = db.connect(cfg.db_path)
        knowledge.import_kb(conn, STORE / "catalog.csv", STORE / "store.toml")
        clock.freeze(NOW)
        place_order(conn, cfg, ["2 arroz e 3 leite", "pedido", "retirar", "pix", "confirmar"])
        clock.advance(25 * 3600)
        client = create_app(cfg).test_client()
        r = post(client, "/orders/1/status", {"status": "confirmed"})
        assert r.status_code == 200 and r.get_json()["notified"] is with_template
        sent = outbox(conn)
        if with_template:
            assert len(sent) == 1 and sent[0]["type"] == "template"
            params = sent[0]["template"]["components"][0]["parameters"]
            assert sent[0]["template"]["name"] == "pedido_atualizado" and params[0]["text"] == "0001"
            assert "foi confirmado" in params[1]["text"]
        else:
            assert sent == []
        conn.close()


@pytest.mark.parametrize("method, path", ROUTES)
def test_anonymous_is_refused(client, shop, method, path):
    resp = client.open(path, method=method, json={}, headers={"Accept": "application/json"})
    assert resp.status_code == 401
    page = client.open(path, method=method, headers={"Accept": "text/html"})
    assert page.status_code in (302, 303, 401) and "Pedido 0001" not in page.get_data(as_text=True)


def test_every_orders_route_carries_the_one_guard(app):
    views = {r.endpoint: app.view_functions[r.endpoint] for r in app.url_map.iter_rules()
             if r.endpoint.startswith("orders.")}
    assert len(views) == 8
    assert all(getattr(v, "required_role", None) == "operator" for v in views.values())


def test_an_operator_may_and_a_form_needs_csrf(app, shop):
    accounts.add(shop, "ana", "operator", "correct horse battery")
    c = app.test_client()
    login(c, token="correct horse battery", name="ana")
    assert c.get("/orders", headers={"Accept": "application/json"}).status_code == 200
    for path in ("/pedidos", "/pedidos/fragment", "/pedidos/1", "/pedidos/1/separacao"):
        assert c.get(path, headers={"Accept": "text/html"}).status_code == 200
    assert c.get("/pedidos", headers={"Accept": "text/html"}).get_data(as_text=True).count("Pedido 0001") == 1
    assert c.get("/pedidos/9", headers={"Accept": "text/html"}).status_code == 404
    no_csrf = c.post("/orders/1/status", data={"status": "confirmed"}, headers={"Accept": "application/json"})
    assert no_csrf.status_code == 403
    assert outbox(shop) == []


def test_the_operator_sees_the_cart_of_a_customer_handed_over(cfg, client, shop):
    place_order(shop, cfg, ["2 arroz e 3 leite", "pedido", "atendente"], wa_id="5582933332222")
    page = client.get("/pedidos", headers=dict(BEARER, Accept="text/html")).get_data(as_text=True)
    assert "Carrinhos de clientes com atendente" in page and "5582933332222" in page
    assert "2x Arroz Branco 5kg, 3x Leite Integral 1L" in page and "no meio do pedido" in page
    assert "/conversations/5582933332222" in page


def test_every_staff_page_s_notifier_counts_new_orders(client, shop):
    """Issue 22: every staff page announces new orders. /notify.json (polled by static/notify.js on
    every page) carries the count of orders nobody confirmed yet; it drops once one is confirmed."""
    assert client.get("/notify.json", headers=BEARER).get_json()["orders"] == 1
    assert post(client, "/orders/1/status", {"status": "confirmed"}).status_code == 200
    assert client.get("/notify.json", headers=BEARER).get_json()["orders"] == 0


def test_a_refused_change_from_the_page_goes_back_to_the_order_with_the_reason(client, shop):
    page = {**BEARER, "Accept": "text/html"}
    skip = client.post("/orders/1/status", data={"status": "delivered"}, headers=page)
    assert skip.status_code == 303 and "/pedidos/1?erro=" in skip.location
    shown = client.get(skip.location, headers=page).get_data(as_text=True)
    assert "Próxima situação possível: confirmado, cancelado" in shown
    bad = client.post("/orders/1/items", data={"item": "1", "action": "substitute", "sku": "0000"}, headers=page)
    assert bad.status_code == 303 and "/pedidos/1?erro=" in bad.location
    assert client.get("/pedidos/99", headers=page).status_code == 404
    ok = client.post("/orders/1/status", data={"status": "confirmed"}, headers=page)
    assert ok.status_code == 303 and ok.location.endswith("/pedidos/1?ok=Confirmado")
