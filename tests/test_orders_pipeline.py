"""Orders through the bot's real pipeline on a store no other test knows (tests/data/orderstore):
a quote becomes the cart (with its buttons), edits re-price it with the quotes' own code (checked
by the independent figure checker), the checkout places one order with its prices frozen, a
question in the middle is answered and the checkout goes on, "atendente" hands over at any step,
and "cadê meu pedido?" is answered from the order."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from chatbot import clock
from chatbot.bot import handoff
from chatbot.bot.pipeline import build_bot
from chatbot.bot.store import knowledge
from chatbot.bot.types import Question, Reply
from chatbot.orders import store
from support.pix_decode import decode
from support.quote_check import invented_figures

STORE = Path(__file__).parent / "data" / "orderstore"
CATALOG = STORE / "catalog.csv"
WEDNESDAY_10H = dt.datetime(2026, 12, 2, 13, 0, tzinfo=dt.timezone.utc).timestamp()
CUSTOMER = "5582988887777"
LIST = "quero 2 arroz, 3 leite, 1 óleo, 2 café e 1 sabão em pó"


@pytest.fixture
def bot(cfg, conn):
    knowledge.import_kb(conn, CATALOG, STORE / "store.toml")
    clock.freeze(WEDNESDAY_10H)
    return build_bot(cfg, conn, preload=False)


def say(bot, message: str, wa_id: str = CUSTOMER) -> Reply:
    clock.advance(30)
    return bot.answer(Question(text=message, wa_id=wa_id, contact_name="Dona Cida"))


def test_quote_to_order(bot, conn):
    said = [LIST]
    r = say(bot, LIST)
    assert r.intent == "quote" and "Total: R$ 119,06" in r.text
    assert [t for _, t in r.buttons] == ["Fazer pedido", "Alterar", "Falar com atendente"]
    assert "responda *pedido*, *alterar* ou *atendente*" in r.follow_up[0]       # the same, in plain text
    assert r.messages()[-1] == r.follow_up[0]
    for edit, total in [("tira o óleo", "112,07"), ("aumenta o açúcar pra 10", "155,97"),
                        ("coloca mais 2 leite", "166,35"), ("troca o café pelo pilão", "180,35"),
                        ("tira o sabão e aumenta o arroz pra 8", "316,85")]:
        said.append(edit)
        r = say(bot, edit)
        assert f"Total: R$ {total}" in r.text, r.text
        assert invented_figures(" ".join(said), r.text, CATALOG) == []
    r = say(bot, "quero fazer o pedido, pode entregar?")
    assert "endereço de entrega" in r.text
    r = say(bot, "moro em afogados, rua das flores 120")
    assert "não entregamos em Afogados" in r.text and "retirar na loja" in r.text
    r = say(bot, "rua das flores 120, pajuçara")
    assert r.text.startswith("Como vai pagar?")
    r = say(bot, "que horas vocês fecham?")
    assert r.intent == "hours" and "19h" in r.text
    assert r.text.endswith("Voltando ao seu pedido: Como vai pagar? Aceitamos: Pix, dinheiro, cartão de débito e "
                           "cartão de crédito.")
    r = say(bot, "vou pagar no pix")
    assert r.intent == "order_summary" and "Entrega: grátis" in r.text and "Total: R$ 316,85" in r.text
    assert [t for _, t in r.buttons] == ["Confirmar pedido", "Alterar", "Cancelar"]
    r = say(bot, "Confirmar pedido")
    assert "Pedido 0001" in r.text and len(r.follow_up) == 1
    pix = decode(r.follow_up[0])
    assert pix["crc_ok"] and pix["amount"] == Decimal("316.85") and pix["txid"] == "0001"
    assert pix["key"] == "pagamentos@mercadaosaojoao.com.br"
    assert r.messages()[-1] == r.follow_up[0]                  # the code in a message of its own
    assert "já está registrado" in say(bot, "Confirmar pedido").text
    order = store.get(conn, 1)
    assert order["status"] == "new" and order["total"] == "316.85" and order["fee"] == "0.00"
    assert order["address"] == "Rua das Flores, 120, Pajuçara" and order["payment"] == "Pix"
    assert [(i["sku"], i["quantity"], i["unit_price"], i["total"]) for i in order["items"]] == [
        ("2001", "8", "25.90", "207.20"), ("2007", "5", "5.19", "25.95"), ("2006", "2", "19.90", "39.80"),
        ("2003", "10", "4.39", "43.90")]
    assert conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 1
    assert "Pedido 0001* foi recebido" in say(bot, "cadê meu pedido?").text


def test_prices_are_frozen_when_the_catalog_changes(bot, conn, tmp_path):
    for m in ["2 arroz e 3 leite", "pedido", "retirar", "dinheiro", "troco pra 100", "confirmar"]:
        r = say(bot, m)
    assert "Pedido 0001" in r.text
    dearer = tmp_path / "catalog.csv"
    dearer.write_text(CATALOG.read_text(encoding="utf-8").replace("27.90", "31.90"), encoding="utf-8")
    knowledge.import_kb(conn, dearer, STORE / "store.toml")
    order = store.get(conn, 1)
    assert order["items"][0]["unit_price"] == "27.90" and order["total"] == "71.37"
    assert order["change_for"] == "100.00"


def test_delivery_fee_below_the_threshold(bot, conn):
    for m in ["2 arroz e 3 leite", "quero fazer o pedido, entrega na rua do sol 100, jaraguá", "cartão de débito"]:
        r = say(bot, m)
    assert "Subtotal: R$ 71,37" in r.text and "Entrega: R$ 6,00" in r.text and "Total: R$ 77,37" in r.text
    say(bot, "confirmar")
    assert store.get(conn, 1)["total"] == "77.37" and store.get(conn, 1)["fee"] == "6.00"


def test_atendente_hands_over_and_keeps_the_cart(bot, conn):
    say(bot, "2 arroz e 3 leite")
    say(bot, "pedido")
    r = say(bot, "atendente")
    assert r.handoff and handoff.mode(conn, "sandbox", CUSTOMER) == "human"
    cart = store.load_cart(conn, "sandbox", CUSTOMER)
    assert cart["stage"] == "checkout" and [i["sku"] for i in cart["items"]] == ["2001", "2007"]


def test_confirmar_without_a_cart_and_status_without_an_order(bot):
    assert "ainda não tem um carrinho" in say(bot, "confirmar").text
    assert say(bot, "cadê meu pedido?").intent != "order_status"          # no order here: the bot's usual answer


def test_a_cart_expires(bot, conn):
    say(bot, "2 arroz e 3 leite")
    say(bot, "pedido")
    clock.advance(25 * 3600)
    assert "carrinho expirou" in say(bot, "retirar").text
    assert store.load_cart(conn, "sandbox", CUSTOMER) is None


def test_other_customers_do_not_share_a_cart(bot, conn):
    say(bot, "2 arroz e 3 leite")
    assert "ainda não tem um carrinho" in say(bot, "confirmar", wa_id="5582911112222").text


def test_order_state_survives_as_json(bot, conn):
    say(bot, "2 arroz e 3 leite")
    row = conn.execute("SELECT state, expires_at FROM carts").fetchone()
    assert json.loads(row["state"])["stage"] == "cart"
    assert row["expires_at"] == pytest.approx(clock.now() + 24 * 3600)


def test_a_native_cart_goes_into_the_checkout(bot, conn):
    cart = ([("2001", Decimal(2)), ("2007", Decimal(3)), ("9999", Decimal(1))], ["?"])
    r = bot.answer(Question(text="", wa_id=CUSTOMER, cart=cart))
    assert r.intent == "order_native_cart"
    assert "2 itens do carrinho não estão no nosso catálogo agora (9999, ?)" in r.text
    assert "2x Arroz Branco 5kg" in r.text and "Total: R$ 71,37" in r.text
    assert r.text.endswith("É para *entrega* ou para *retirar na loja*?")
    assert "Como vai pagar?" in say(bot, "retirar").text
    assert "Resumo do pedido" in say(bot, "pix").text
    assert "Pedido 0001" in say(bot, "confirmar").text
    assert [i["sku"] for i in store.get(conn, 1)["items"]] == ["2001", "2007"]
    nothing = bot.answer(Question(text="", wa_id="5582900000009", cart=([("9999", Decimal(1))], [])))
    assert "Não consegui montar o pedido" in nothing.text


def test_native_cart_reader():
    from chatbot.orders.checkout import native_cart
    sample = json.loads((Path(__file__).parent / "data" / "whatsapp" / "webhooks" / "order.json").read_text())
    message = sample["entry"][0]["changes"][0]["value"]["messages"][0]
    assert native_cart(json.dumps(message)) == ([("7890000000024", Decimal(10)), ("7890000000079", Decimal(2))], [])
    bad = {"order": {"product_items": [{"product_retailer_id": "1", "quantity": 0},
                                       {"product_retailer_id": "2", "quantity": "3"}, {"quantity": 1},
                                       {"product_retailer_id": "3", "quantity": 10 ** 20}, "x"]}}
    assert native_cart(json.dumps(bad)) == ([], ["1", "2", "?", "3", "?"])
    assert native_cart(json.dumps({"text": {"body": "oi"}})) is None and native_cart("not json") is None


def test_a_native_cart_through_the_worker(tmp_path):
    from chatbot import db
    from chatbot.whatsapp import inbox, webhook
    from chatbot.worker import Worker
    from conftest import make_cfg
    cfg = make_cfg(tmp_path, whatsapp={"verify_token": "v", "max_message_age_minutes": 0})
    conn = db.connect(cfg.db_path)
    knowledge.import_kb(conn, CATALOG, STORE / "store.toml")
    body = json.loads((Path(__file__).parent / "data" / "whatsapp" / "webhooks" / "order.json").read_text())
    items = body["entry"][0]["changes"][0]["value"]["messages"][0]["order"]["product_items"]
    items[0]["product_retailer_id"], items[1]["product_retailer_id"] = "2001", "2007"
    inbox.store_batch(conn, webhook.parse(json.dumps(body).encode()))
    w = Worker(cfg, conn=conn, bot=build_bot(cfg, conn, preload=False), owner="test-worker")
    assert w.run_once() == "answered"
    sent = json.loads(conn.execute("SELECT body FROM outbox").fetchone()["body"])
    assert "10x Arroz Branco 5kg" in sent["text"]["body"] and "entrega" in sent["text"]["body"]


def test_a_location_pin_through_the_worker(tmp_path):
    """The location sample is in Fortaleza; the order tests' store is in Maceió (5 km radius)."""
    from chatbot import db
    from chatbot.whatsapp import inbox, webhook
    from chatbot.worker import Worker
    from conftest import make_cfg
    cfg = make_cfg(tmp_path, whatsapp={"verify_token": "v", "max_message_age_minutes": 0})
    conn = db.connect(cfg.db_path)
    knowledge.import_kb(conn, CATALOG, STORE / "store.toml")
    bot = build_bot(cfg, conn, preload=False)
    sample = (Path(__file__).parent / "data" / "whatsapp" / "webhooks" / "location.json").read_bytes()
    wa_id = json.loads(sample)["entry"][0]["changes"][0]["value"]["messages"][0]["from"]
    for m in ("2 arroz e 3 leite", "pedido", "entrega"):
        bot.answer(Question(text=m, wa_id=wa_id, phone_number_id="106540352242922"))
    inbox.store_batch(conn, webhook.parse(sample))
    w = Worker(cfg, conn=conn, bot=bot, owner="test-worker")
    assert w.run_once() == "answered"
    sent = json.loads(conn.execute("SELECT body FROM outbox").fetchone()["body"])
    assert "da loja, e entregamos até 5,0 km" in sent["text"]["body"] and "retirar" in sent["text"]["body"]


def test_the_store_file_keys_for_orders(tmp_path):
    facts, _, errors = knowledge.parse_store(STORE / "store.toml")
    assert errors == [] and facts["store"]["lat"] == -9.6658 and facts["store"]["lon"] == -35.7353
    assert facts["delivery"]["max_km"] == 5.0 and facts["payment"]["pix_key"] == "pagamentos@mercadaosaojoao.com.br"
    bad = tmp_path / "loja.toml"
    bad.write_text((STORE / "store.toml").read_text(encoding="utf-8").replace("lat = -9.6658", "lat = -99.6")
                   .replace("max_km = 5.0", "max_km = -1"), encoding="utf-8")
    _, _, errors = knowledge.parse_store(bad)
    assert any("[store] lat = -99.6: must be between -90 and 90" in e for e in errors)
    assert any("[delivery] max_km must not be negative" in e for e in errors)
