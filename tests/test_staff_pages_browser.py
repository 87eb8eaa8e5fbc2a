"""Issue 22 in a real browser (Debian's chromium through Playwright) against
the real waitress, the real worker and the Graph API stand-in: a manager keeps
a quick reply on a desktop; an operator on a phone opens a conversation at
its newest message, inserts the quick reply by typing "/", sends it without a
reload (the stand-in gets it once), sees the counter warn before 4,096
characters, is told of a new customer while on this conversation, and
transfers it to a colleague, whose desktop page (list and conversation side
by side) says so. Screenshots land in tests/artifacts/ (copies in docs/)."""
from __future__ import annotations

import requests

import pytest

from chatbot import accounts
from chatbot.whatsapp import sendtest
from support.browser import ARTIFACTS, PHONE, watch
from support.configs import APP_SECRET
from support.inbox_site import CUSTOMER, PW, running_shop, sends_to_customer
from support.waiting import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def shop(tmp_path, graph):
    with running_shop(tmp_path, graph) as site:
        yield site

DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "pt-BR"}
OTHER = "5585999990202"
PIX = "Nossa chave *Pix* é o CNPJ 12.345.678/0001-90.\nMande o comprovante por aqui."


def says(srv, text, number=CUSTOMER, name="Joana Cliente"):
    body, _ = sendtest.build_payload(text, number, "106540352242922", name=name)
    resp = requests.post(srv.url + "/webhook", data=body, timeout=10,
                         headers={"X-Hub-Signature-256": sendtest.sign(body, APP_SECRET),
                                  "Content-Type": "application/json"})
    assert resp.status_code == 200


def log_in(browser, srv, name, device):  # noqa: F811
    page = browser.new_page(**device)
    seen = watch(page)
    page.goto(srv.url + "/login")
    page.fill("#name", name)
    page.fill("#password", PW)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page, seen


def shot(page, name):  # tests/artifacts/staff_<name>, copied to docs/
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"staff_{name}"))


def test_a_team_works_a_conversation_on_phone_and_desktop(browser, shop):  # noqa: F811
    srv, conn, graph = shop
    accounts.add(conn, "bia", "operator", PW)
    accounts.add(conn, "gil", "manager", PW)

    # The manager keeps a quick reply (desktop).
    gil, gil_seen = log_in(browser, srv, "gil", DESKTOP)
    gil.goto(srv.url + "/respostas-rapidas")
    gil.fill("#qr-shortcut", "pix")
    gil.fill("#qr-body", PIX)
    gil.click("#nova button[type=submit]")
    gil.wait_for_selector("#qr-1")
    assert "Pix" in gil.locator("#qr-1 strong").all_inner_texts()[-1]
    shot(gil, "quick_replies.png")

    # A customer asks for a person; many earlier messages so the thread must scroll.
    for i in range(12):
        says(srv, f"mensagem antiga {i}")
    says(srv, "quero falar com um atendente, *urgente*")
    wait_until(lambda: len(sends_to_customer(graph)) >= 13, 30)

    ana, ana_seen = log_in(browser, srv, "ana", PHONE)
    ana.wait_for_selector("li.conv.waiting")
    ana.click("li.conv.waiting a")
    ana.wait_for_selector("#reply-text")
    ana.evaluate("window.__sameDocument = 'yes'")
    # Opens at the newest message, the reply box on screen at the bottom; formatting rendered.
    assert ana.evaluate("(() => { const t = document.getElementById('thread'); return t.scrollHeight >"
                        " t.clientHeight && t.scrollTop + t.clientHeight >= t.scrollHeight - 4 })()")
    box = ana.locator("#composer").bounding_box()
    assert box["y"] + box["height"] <= 844 + 1 and box["y"] > 500
    assert ana.locator(".bubble.in strong", has_text="urgente").count() == 1
    assert ana.locator("#tel").get_attribute("href") == f"tel:+{CUSTOMER}"
    assert ana.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # "/" offers the quick reply; Enter inserts it; the counter warns near 4,096.
    ana.type("#reply-text", "/pi")
    ana.wait_for_selector("#quick-menu li")
    assert "/pix" in ana.locator("#quick-menu").inner_text()
    shot(ana, "quick_reply_menu.png")
    ana.press("#reply-text", "Enter")
    assert ana.input_value("#reply-text") == PIX
    ana.fill("#reply-text", "a" * 4000)
    ana.dispatch_event("#reply-text", "input")
    assert "faltam 96" in ana.locator("#counter").inner_text()
    ana.fill("#reply-text", "a" * 4100)
    ana.dispatch_event("#reply-text", "input")
    assert "passa do limite" in ana.locator("#counter").inner_text() and ana.is_disabled("#send")
    ana.fill("#reply-text", "/pi")
    ana.dispatch_event("#reply-text", "input")
    ana.wait_for_selector("#quick-menu li")
    ana.click("#quick-menu li")
    ana.click("#send")
    wait_until(lambda: PIX in sends_to_customer(graph))
    ana.wait_for_selector(".bubble.staff", timeout=10_000)
    assert ana.evaluate("window.__sameDocument") == "yes"          # no reload
    assert ana.input_value("#reply-text") == ""
    assert sends_to_customer(graph).count(PIX) == 1
    shot(ana, "conversation.png")

    # A new customer is announced while Ana is on this conversation.
    says(srv, "quero falar com um atendente", number=OTHER, name="Rui")
    ana.wait_for_selector("#notify:not([hidden])", timeout=15_000)
    assert "Novo cliente aguardando" in ana.locator("#notify").inner_text()
    assert ana.title().startswith("(1) ")
    assert ana.evaluate("window.__sameDocument") == "yes"
    shot(ana, "new_customer_banner.png")

    # Bia is on her desktop; Ana transfers the conversation to her.
    bia, bia_seen = log_in(browser, srv, "bia", DESKTOP)
    bia.wait_for_selector("#inbox")
    assert bia.evaluate("navigator.serviceWorker.getRegistration('/').then(r => !!r)")
    ana.click("#tools summary")
    ana.select_option("#transfer-to", "bia")
    ana.click("#transfer")
    ana.wait_for_url("**ok=transferida")
    bia.wait_for_selector("#notify:not([hidden])", timeout=15_000)
    assert "ana passou uma conversa para você" in bia.locator("#notify").inner_text()
    bia.click("#notify a")
    bia.wait_for_selector("#reply-text")
    lst, pane = bia.locator(".conv-list").bounding_box(), bia.locator("#conv-pane").bounding_box()
    assert lst["width"] > 250 and pane["x"] >= lst["x"] + lst["width"] - 1          # side by side
    assert bia.locator(".conv-list li.current").count() == 1
    shot(bia, "conversation_desktop.png")
    # Ana's page says the conversation is Bia's before she replies.
    ana.wait_for_selector("#held-banner:not([hidden])", timeout=10_000)
    assert "bia" in ana.locator("#held-banner").inner_text() and ana.is_disabled("#send")

    # "resposta errada" on a bot reply: the manager sees the question with the wrong answer beside it.
    ana.locator(".bubble.out:not(.staff) form.wrong button").first.click()
    ana.wait_for_url("**ok=errada")
    gil.goto(srv.url + "/admin/unanswered")
    assert "Resposta errada do robô" in gil.locator("main").inner_text()
    shot(gil, "unanswered_wrong_answer.png")
    gil.locator(".unanswered-actions button", has_text="feito").first.click()
    gil.wait_for_url("**/admin/unanswered")

    # An admin creates an account with an accent and a space, as a manager (gerente).
    accounts.add(conn, "rui", "admin", PW)
    rui, rui_seen = log_in(browser, srv, "rui", DESKTOP)
    rui.goto(srv.url + "/users")
    rui.fill("#new-name", "João Silva")
    rui.select_option("#new-role", "manager")
    rui.fill("#new-password", "senha do joão 2026")
    rui.click("#novo button[type=submit]")
    rui.wait_for_url("**/users?ok=criado")
    row = rui.locator("tr", has_text="João Silva")
    assert row.locator("select option[selected]").inner_text() == "gerente"
    shot(rui, "users.png")
    for seen in (gil_seen, ana_seen, bia_seen, rui_seen):
        assert seen == {"console": [], "errors": [], "dialogs": []}
