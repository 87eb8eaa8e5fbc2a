"""End to end, each type as Meta posts it: a signed webhook of every type
goes through the real waitress, the real worker (bot on the test store,
files from the Graph API stand-in, the voice note through the transcription
stand-in) stores, fetches and answers it, and the conversation page in real
Chromium (a phone's size and a desktop) shows each message as what it is:
the photo's thumbnail opens the full image, the voice note plays with its
transcript under it, the PDF downloads, the location links to a map, the
contact card, the reaction on the message it reacts to, the quoted message
above the reply; an operator answers with a photo quoting the customer's.
Screenshots land in tests/artifacts/ (docs/conversa-midia*.png are copies)."""
from __future__ import annotations

import threading
import time

import pytest

from chatbot import accounts, db
from chatbot.bot.store import knowledge
from chatbot.web.app import create_app
from chatbot.whatsapp import sendtest
from chatbot.worker import Worker
from support.browser import ARTIFACTS, watch
from support.configs import ACCESS_TOKEN, APP_SECRET, make_cfg
from support.media_samples import CUSTOMER, DICTATED, PW, STORE, VOICE, conversation_messages, png, store_file, webhook
from support.servers import ThreadedWaitress
from support.waiting import wait_drained
from support.whisper_stub import WhisperStub

pytestmark = pytest.mark.slow

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "pt-BR"}
PHOTO = png(480, 320, (190, 60, 50), shaded=True)
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "pt-BR"}


@pytest.fixture
def served(tmp_path, graph):
    whisper = WhisperStub().start()
    whisper.knows(VOICE, DICTATED)
    graph.token = ACCESS_TOKEN
    cfg = make_cfg(tmp_path, whatsapp={"app_secret": APP_SECRET, "access_token": ACCESS_TOKEN,
                                       "api_base_url": graph.url, "request_timeout_seconds": 2.0,
                                       "max_message_age_minutes": 0, "mark_read": False},
                   worker={"poll_interval_seconds": 0.05}, bot={"store_timezone": "America/Bahia"},
                   transcription={"backend": "openai", "base_url": whisper.url, "timeout_seconds": 5.0})
    conn = db.connect(cfg.db_path)
    knowledge.import_kb(conn, STORE / "catalog.csv", store_file(tmp_path))
    accounts.add(conn, "ana", "operator", PW)
    srv = ThreadedWaitress(create_app(cfg)).start()
    worker = Worker(cfg, owner="media-browser-worker")
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    # every type, as Meta posts it: signed, through the real web service
    assert sendtest.post(srv.url + "/webhook", webhook(*conversation_messages(graph, PHOTO)), APP_SECRET) == 200
    assert wait_drained(conn, 60) == 0
    deadline = time.monotonic() + 30
    while conn.execute("SELECT COUNT(*) FROM media WHERE state='pending'").fetchone()[0] and \
            time.monotonic() < deadline:
        time.sleep(0.1)
    yield srv, conn, graph
    worker.stopping.set()
    thread.join(15)
    srv.stop()
    whisper.stop()
    conn.close()


def log_in(page, srv):
    page.goto(srv.url + "/login")
    page.fill("#name", "ana")
    page.fill("#password", PW)
    page.click("button[type=submit]")
    page.wait_for_url("**/inbox")


@pytest.mark.parametrize("size, shot", [(PHONE, "conversa-midia-celular.png"), (DESKTOP, "conversa-midia.png")])
def test_every_type_on_the_conversation_page(browser, served, size, shot):  # noqa: F811
    srv, conn, graph = served
    states = dict(conn.execute("SELECT i.msg_type || i.id, m.state FROM media m JOIN inbox i ON i.id=m.inbox_id"))
    assert set(states.values()) == {"stored"}, states
    statuses = dict(conn.execute("SELECT msg_type || id, status FROM inbox"))
    assert statuses["reaction7"] == statuses["sticker8"] == "ignored"
    replies = [s["body"] for s in graph.sends()]
    # every message but the reaction and the sticker got an answer; the native order's answer is its
    # cart, then a question of its own (the checkout, issue 20): one message more
    assert len(replies) == 10, [(r.get("text") or r.get("interactive") or {}) for r in replies]
    page = browser.new_page(**size)
    seen = watch(page)
    log_in(page, srv)
    page.goto(f"{srv.url}/conversations/{CUSTOMER}")
    thumb = page.locator("a.thumb img").first
    thumb.wait_for(state="attached")
    thumb.scroll_into_view_if_needed()      # the page opens at the newest message; the photo loads lazily
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert page.evaluate("(img) => img.complete && img.naturalWidth", thumb.element_handle()) == 480
    assert page.locator("audio[controls]").count() == 1
    assert DICTATED in page.locator(".type-audio").inner_text()
    assert "R$" in page.locator(".type-audio + .bubble.out").inner_text()     # the dictated list got its quote
    assert page.locator("a.download").count() >= 2      # the PDF and the file that was not what it said
    assert "openstreetmap.org" in page.locator(".type-location a").first.get_attribute("href")
    assert "João Entregador" in page.locator(".type-contacts").inner_text()
    assert page.locator(".type-image .reaction").first.inner_text() == "😡"
    assert "a carne veio assim" in page.locator(".quoted").first.inner_text()
    # the thumbnail opens the full-size image in a new tab
    with page.context.expect_page() as new:
        thumb.click()
    full = new.value
    full.wait_for_load_state()
    assert full.url.startswith(srv.url + "/media/")
    # quoting a customer's message from the page
    page.locator(".type-image .quote-link").first.click()
    assert "Citando" in page.locator("#quoting").inner_text()
    # an operator answers with a photo, quoting the customer's photo: uploaded through the form
    page.set_input_files("#attach-file", files=[{"name": "troca.png", "mimeType": "image/png",
                                                  "buffer": png(240, 160, (40, 120, 200), shaded=True)}])
    page.click("#tools summary")                 # attaching is under "Ações", as on WhatsApp's clip
    page.fill("form.attach input[name=caption]", "Pode trazer para troca, sem custo.")
    page.click("form.attach button[type=submit]")
    page.wait_for_url("**ok=enviada**")
    staff = page.locator(".bubble.staff").last
    assert "Pode trazer para troca" in staff.inner_text() and staff.locator("img").count() == 1
    assert "a carne veio assim" in staff.locator(".quoted").inner_text()
    row = conn.execute("SELECT body FROM outbox WHERE inbox_id IS NULL").fetchone()
    assert '"context": {"message_id": "wamid.media.image.1"}' in row[0]
    page.goto(f"{srv.url}/conversations/{CUSTOMER}")
    page.locator(".type-audio").first.wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    assert seen == {"console": [], "errors": [], "dialogs": []}
