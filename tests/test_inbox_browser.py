"""The human side in a real browser (Debian's chromium through Playwright, a
phone's viewport) against the real waitress, the real worker with the real
bot and the Graph API stand-in: an operator logs in with name and password;
a handoff posted through the signed webhook appears on /inbox without a
reload (title badge); the operator answers and the stand-in receives exactly
that text, once; the operator gives the conversation back and the bot
answers the customer's next message. Screenshots land in tests/artifacts/
(docs/inbox.png and docs/conversation.png are copies of them)."""
from __future__ import annotations

import time

import pytest

from support.browser import ARTIFACTS, PHONE, watch
from support.inbox_site import CUSTOMER, PW, customer_says, running_shop, sends_to_customer
from support.waiting import wait_until

pytestmark = pytest.mark.slow

@pytest.fixture
def shop(tmp_path, graph):
    with running_shop(tmp_path, graph) as site:
        yield site


def test_an_operator_answers_a_handoff_from_a_phone(browser, shop):  # noqa: F811
    srv, conn, graph = shop
    page = browser.new_page(**PHONE)
    seen = watch(page)
    page.goto(srv.url + "/login")
    page.fill("#name", "ana")
    page.fill("#password", PW)
    page.click("button[type=submit]")
    page.wait_for_url("**/inbox")
    page.evaluate("window.__sameDocument = 'yes'")
    assert "Ninguém esperando agora" in page.locator("#inbox").inner_text()

    # A handoff through the signed webhook shows up within 10 s, no reload.
    customer_says(srv, "quero falar com um atendente, o arroz veio com bicho")
    page.wait_for_selector("li.conv.waiting", timeout=10_000)
    assert page.evaluate("window.__sameDocument") == "yes"
    assert page.title().startswith("(1) ")
    row = page.locator("li.conv.waiting").inner_text()
    assert "Joana Cliente" in row and "reclamação" in row and "esperando há" in row
    wait_until(lambda: len(sends_to_customer(graph)) == 1, 15, 0.1)          # the bot's "uma pessoa continua"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS_DIR() / "inbox.png"), full_page=True)

    # The conversation: the operator answers; the stand-in gets exactly that text, once.
    page.click("li.conv.waiting a")
    page.wait_for_selector("#reply-text")
    assert "janela de 24 h" in page.locator("#conv-window").inner_text()
    assert page.locator("#takeover").count() == 1 and "Responder como ana" in page.locator("#composer").inner_text()
    answer = "Oi, Joana! Sou a Ana. Sinto muito pelo arroz: pode mandar uma foto do lote?"
    page.evaluate("window.__sameDocument = 'conversation'")
    page.fill("#reply-text", answer)
    page.click("#send")
    wait_until(lambda: answer in sends_to_customer(graph), 15, 0.1)
    assert page.evaluate("window.__sameDocument") == "conversation"        # sent without a reload
    time.sleep(1.0)
    assert sends_to_customer(graph).count(answer) == 1
    # The customer writes while Ana holds it: it shows up live; the bot stays silent.
    customer_says(srv, "mando sim, um minuto")
    page.wait_for_selector("text=mando sim, um minuto", timeout=10_000)
    page.wait_for_selector(".bubble.staff .tick", timeout=10_000)     # delivery tick once sent
    assert len(sends_to_customer(graph)) == 2
    assert "ana" in page.locator(".bubble.staff").first.inner_text()
    page.reload()
    assert page.locator("#takeover").count() == 0           # she holds it now: no "Assumir"
    assert "com ana" in page.locator("#conv-mode").inner_text()
    page.screenshot(path=str(ARTIFACTS_DIR() / "conversation.png"), full_page=True)

    # Give it back to the bot with a closing message; the bot answers the next question.
    page.click("#tools summary")
    page.fill("#release-text", "Obrigada, Joana! Vamos trocar o produto.")
    page.click("#release")
    page.wait_for_url(f"**/conversations/{CUSTOMER}?ok=devolvida")
    assert "com o robô" in page.locator("#conv-mode").inner_text()
    wait_until(lambda: "Obrigada, Joana! Vamos trocar o produto." in sends_to_customer(graph), 15, 0.1)
    customer_says(srv, "vocês abrem domingo?")
    wait_until(lambda: len(sends_to_customer(graph)) == 4, 15, 0.1)
    assert "domingo" in sends_to_customer(graph)[-1].lower()
    assert seen == {"console": [], "errors": [], "dialogs": []}


def ARTIFACTS_DIR():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
