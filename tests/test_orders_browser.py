"""/pedidos in a real browser (Debian's chromium through Playwright) at a phone's size, against the
real waitress, the real worker with the real bot and the Graph API stand-in, on the order tests'
store: an operator logs in; a customer checks out over the signed webhook and the new order
appears on /pedidos without a reload (title badge); the operator opens it, marks an item missing,
and the customer gets the new total, once. Then the picking list, and the order page on a desktop.
Screenshots land in tests/artifacts/ (docs/pedidos*.png are copies of them)."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import requests

from chatbot import accounts, db
from chatbot.bot.store import knowledge
from chatbot.web.app import create_app
from chatbot.whatsapp import sendtest
from chatbot.worker import Worker
from support.browser import ARTIFACTS, watch
from support.configs import APP_SECRET
from support.servers import ThreadedWaitress
from support.worker import live_cfg

pytestmark = pytest.mark.slow

STORE = Path(__file__).parent / "data" / "orderstore"
PW = "senha da ana 2026"
CUSTOMER = "5582955554444"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "pt-BR"}


@pytest.fixture
def shop(tmp_path, graph):
    cfg = live_cfg(tmp_path, graph.url, whatsapp={"mark_read": False})
    conn = db.connect(cfg.db_path)
    knowledge.import_kb(conn, STORE / "catalog.csv", STORE / "store.toml")
    accounts.add(conn, "ana", "operator", PW)
    srv = ThreadedWaitress(create_app(cfg)).start()
    worker = Worker(cfg, owner="orders-browser-worker")
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    yield srv, conn, graph
    worker.stopping.set()
    thread.join(15)
    srv.stop()
    conn.close()


def texts(graph) -> list[str]:
    out = []
    for s in graph.sends():
        if s["to"] == CUSTOMER:
            b = s["body"]
            out.append(b["text"]["body"] if b["type"] == "text" else b["interactive"]["body"]["text"])
    return out


def wait_for(cond, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return False


def customer_says(srv, graph, text: str) -> str:
    """Send over the signed webhook and wait for the bot's reply (its first message)."""
    before = len(texts(graph))
    body, _ = sendtest.build_payload(text, CUSTOMER, "106540352242922", name="Dona Cida")
    resp = requests.post(srv.url + "/webhook", data=body, timeout=10,
                         headers={"X-Hub-Signature-256": sendtest.sign(body, APP_SECRET),
                                  "Content-Type": "application/json"})
    assert resp.status_code == 200
    assert wait_for(lambda: len(texts(graph)) > before)
    time.sleep(0.3)                     # the reply's other messages
    return texts(graph)[before]


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_an_operator_sees_a_new_order_and_marks_an_item_missing(browser, shop):  # noqa: F811
    srv, conn, graph = shop
    page = browser.new_page(**PHONE)
    seen = watch(page)
    page.goto(srv.url + "/login")
    page.fill("#name", "ana")
    page.fill("#password", PW)
    page.click("button[type=submit]")
    page.wait_for_url("**/inbox")
    page.click("text=Pedidos")
    page.wait_for_url("**/pedidos")
    page.evaluate("window.__sameDocument = 'yes'")
    assert page.locator("li.conv.order").count() == 0

    assert "Total: R$ 119,06" in customer_says(srv, graph, "quero 2 arroz, 3 leite, 1 óleo, 2 café e 1 sabão em pó")
    customer_says(srv, graph, "Fazer pedido")
    customer_says(srv, graph, "entrega na rua do sol 100, jaraguá")
    customer_says(srv, graph, "dinheiro")
    customer_says(srv, graph, "troco pra 150")
    assert "Pedido 0001" in customer_says(srv, graph, "Confirmar pedido")

    page.wait_for_selector("li.conv.order.new", timeout=10_000)          # no reload
    assert page.evaluate("window.__sameDocument") == "yes"
    assert page.title().startswith("(1) ")
    row = page.locator("#status-new li.order").inner_text()
    assert "Pedido 0001" in row and "R$ 125,06" in row and "Dona Cida" in row and "entrega" in row
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "pedidos.png")

    page.click("#status-new li.order a")
    page.wait_for_url("**/pedidos/1")
    assert "Rua do Sol, 100, Jaraguá" in page.locator("main").inner_text()
    assert "troco para R$ 150,00" in page.locator("main").inner_text()
    assert page.locator("a:has-text('ver no mapa')").get_attribute("href").startswith("https://www.google.com/maps")
    page.select_option("#item", label="1x Óleo de Soja 900ml")
    page.click("#mark-missing")
    page.wait_for_url("**/pedidos/1?ok=itens")
    assert page.locator("#order-total").inner_text() == "R$ 118,07"
    assert "em falta" in page.locator("tr.item.missing").inner_text()
    assert wait_for(lambda: any("Novo total: *R$ 118,07*" in t for t in texts(graph)))
    time.sleep(1.0)
    assert sum("Novo total" in t for t in texts(graph)) == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "pedido.png")

    page.click("button:has-text('Confirmar pedido')")
    page.wait_for_url("**/pedidos/1?ok=Confirmado")
    assert page.locator("#order-status").inner_text() == "Confirmado"
    assert wait_for(lambda: any("foi confirmado pela loja" in t for t in texts(graph)))

    page.goto(srv.url + "/pedidos/1/separacao")
    listing = page.locator("main").inner_text()
    assert "Mercearia" in listing and "Laticínios" in listing and "Limpeza" in listing
    assert "Óleo de Soja" not in listing                                 # missing: not picked
    shot(page, "pedido-separacao.png")

    desk = browser.new_page(viewport={"width": 1280, "height": 900}, locale="pt-BR")
    desk_seen = watch(desk)
    desk.context.add_cookies(page.context.cookies())
    desk.goto(srv.url + "/pedidos/1")
    shot(desk, "pedido-desktop.png")
    assert seen == desk_seen == {"console": [], "errors": [], "dialogs": []}
