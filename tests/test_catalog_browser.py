"""The staff pages in a real headless Chromium (Debian's, through Playwright)
at a phone's viewport, against the real waitress: log in, upload a catalog
as Excel on Windows saves it, read the preview, confirm, and the bot quotes
the new price; a file with a broken row changes nothing; an unanswered
question becomes a FAQ entry the bot answers with. Screenshots go to
tests/artifacts/ (docs/atendimento-*.png are copies)."""
from __future__ import annotations

import time

import pytest

from chatbot import accounts, db
from chatbot.bot.pipeline import answer_text, build_bot
from chatbot.bot.store import knowledge
from chatbot.web.app import create_app
from support.browser import PHONE, fits_the_phone, shot, watch
from support.catalog import STORE, csv_bytes, customer_asks, edit, rows_of
from support.servers import ThreadedWaitress

pytestmark = pytest.mark.slow
MANAGER_PASSWORD = "precos da semana 2026"


@pytest.fixture
def site(cfg):
    conn = db.connect(cfg.db_path)
    knowledge.import_kb(conn, STORE / "catalog.csv", STORE / "store.toml", sources_dir=cfg.kb_sources_dir)
    accounts.add(conn, "gerente", "manager", MANAGER_PASSWORD)
    srv = ThreadedWaitress(create_app(cfg)).start()
    yield srv, conn
    srv.stop()
    conn.close()


def log_in(page, url: str) -> None:
    """As the store's manager does: their own name and password (issue 13: the manager role)."""
    page.goto(url + "/login?next=/admin/catalog")
    page.fill("#name", "gerente")
    page.fill("#password", MANAGER_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/catalog")


def ask(cfg, text: str) -> str:
    conn = db.connect(cfg.db_path)
    try:
        return answer_text(build_bot(cfg, conn, preload=False), text)[0].text
    finally:
        conn.close()


def test_upload_preview_confirm_and_the_bot_quotes_the_new_price(browser, site, cfg, tmp_path):  # noqa: F811
    srv, conn = site
    assert "R$ 7,89" in ask(cfg, "quanto ta o feijao carioca?")
    page = browser.new_page(**PHONE)
    seen = watch(page)
    log_in(page, srv.url)
    page.goto(srv.url + "/admin/catalog")
    fits_the_phone(page)
    shot(page, "atendimento-catalogo.png")

    rows = edit(edit(rows_of(), "1003", price="8.19", name="Feijão Carioca 1kg"), "1004", promo_price="7.99",
                promo_end="31/12/2026")
    path = tmp_path / "catalogo.csv"
    path.write_bytes(csv_bytes(rows, sep=";", encoding="cp1252", decimal_comma=True,
                               columns=knowledge.CATALOG_COLUMNS + ("promo_end",)))
    page.set_input_files("#catalog", str(path))
    page.click("text=Ver prévia")
    page.wait_for_selector("#apply")
    body = page.inner_text("main")
    assert "Windows-1252" in body and "separador" in body
    assert "R$ 7,89 → R$ 8,19" in body and "R$ 8,39 → R$ 7,99" in body
    fits_the_phone(page)
    shot(page, "atendimento-previa.png")
    assert knowledge.products(conn, "sku=?", ("1003",))[0].price == 7.89     # nothing changed yet

    page.click("#apply")
    page.wait_for_selector("text=Catálogo atualizado")
    shot(page, "atendimento-aplicado.png")
    reply = ask(cfg, "quanto ta o feijao carioca?")
    assert "R$ 8,19" in reply and "R$ 7,89" not in reply, reply
    assert "válida até" in ask(cfg, "quanto ta o feijao preto?")
    assert not seen["console"] and not seen["errors"] and not seen["dialogs"], seen


def test_a_rejected_file_changes_nothing(browser, site, cfg, tmp_path):  # noqa: F811
    srv, conn = site
    version = knowledge.version(conn)
    page = browser.new_page(**PHONE)
    seen = watch(page)
    log_in(page, srv.url)
    page.goto(srv.url + "/admin/catalog")
    path = tmp_path / "catalogo.csv"
    path.write_bytes(csv_bytes(edit(edit(rows_of(), "1003", price="8,1,9"), "1002", sku="1001"), sep=";",
                               encoding="cp1252"))
    page.set_input_files("#catalog", str(path))
    page.click("text=Ver prévia")
    page.wait_for_selector("#rejected-notice")
    body = page.inner_text("main")
    assert "Nada será alterado" in body and "não é um preço" in body and "repetido" in body
    assert page.locator("#apply").count() == 0
    fits_the_phone(page)
    shot(page, "atendimento-recusado.png")
    assert knowledge.version(conn) == version and "R$ 7,89" in ask(cfg, "quanto ta o feijao carioca?")
    assert not seen["console"] and not seen["errors"], seen


def test_an_unanswered_question_becomes_a_faq_entry(browser, site, cfg):  # noqa: F811
    srv, conn = site
    customer_asks(conn, 1, "5585999990001", "Vocês vendem gás de cozinha?", "fallback", "Desculpe")
    customer_asks(conn, 2, "5585999990002", "vcs vendem gas de cozinha", "fallback", "Desculpe")
    page = browser.new_page(**PHONE)
    seen = watch(page)
    log_in(page, srv.url)
    page.goto(srv.url + "/admin/unanswered")
    assert "2 vezes" in page.inner_text("main") and "5585999990001" not in page.content()
    fits_the_phone(page)
    shot(page, "atendimento-sem-resposta.png")
    page.click("text=Responder com uma FAQ")
    page.wait_for_url("**/admin/faq?q=*")
    assert page.input_value("#q") == "Vocês vendem gás de cozinha?"
    page.fill("#a", "Vendemos sim! Botijão de 13 kg, entrega no mesmo dia.")
    shot(page, "atendimento-faq.png")
    page.click("text=Salvar resposta")
    page.wait_for_selector("text=da equipe")
    fits_the_phone(page)
    shot(page, "atendimento-faq-salva.png")
    assert ask(cfg, "voces vendem gas de cozinha?") == "Vendemos sim! Botijão de 13 kg, entrega no mesmo dia."
    assert not seen["console"] and not seen["errors"], seen


def test_a_suspicious_price_needs_the_second_confirmation(browser, site, cfg, tmp_path):  # noqa: F811
    srv, conn = site
    page = browser.new_page(**PHONE)
    seen = watch(page)
    log_in(page, srv.url)
    page.goto(srv.url + "/admin/catalog")
    path = tmp_path / "catalogo.csv"
    path.write_bytes(csv_bytes(edit(rows_of(), "1003", price="78.90"), sep=";", encoding="cp1252", decimal_comma=True))
    page.set_input_files("#catalog", str(path))
    page.click("text=Ver prévia")
    page.wait_for_selector("#flags")
    assert "R$ 7,89 → R$ 78,90?" in page.inner_text("#flags")
    shot(page, "atendimento-suspeito.png")
    page.click("#apply")                        # the box is not ticked: the browser does not send the form
    time.sleep(0.5)
    assert "Prévia" in page.title() or page.locator("#apply").count() == 1
    assert knowledge.products(conn, "sku=?", ("1003",))[0].price == 7.89
    page.check("input[name=confirm_suspicious]")
    page.click("#apply")
    page.wait_for_selector("text=Catálogo atualizado")
    assert "R$ 78,90" in ask(cfg, "quanto ta o feijao carioca?")
    assert not seen["console"] and not seen["errors"], seen
