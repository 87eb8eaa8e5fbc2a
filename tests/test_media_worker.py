"""What the bot does with each type, through the real worker, the real bot on
the test store, the Graph API stand-in and a transcription stand-in speaking
the OpenAI audio API: voice notes answered like text (a dictated list gets
the typed list's quote), photos and documents honestly, locations with the
delivery facts, reactions and stickers in silence, lists where they save
typing, and an interactive reply Meta refuses sent again as text."""
import json

import pytest

from chatbot import clock, db
from chatbot.bot import handoff
from chatbot.bot.answering import nontext
from chatbot.bot.pipeline import build_bot
from chatbot.bot.store import knowledge
from chatbot.whatsapp import inbox, media, reactions, webhook
from chatbot.worker import Worker
from support.configs import ACCESS_TOKEN, load_sample, make_cfg
from support.media_samples import CUSTOMER, DICTATED, PNID, STORE, message, ogg_opus, png, store_file
from support.media_samples import webhook as hook
from support.waiting import wait_until
from support.whisper_stub import WhisperStub


@pytest.fixture
def whisper():
    stub = WhisperStub().start()
    yield stub
    stub.stop()


def make(tmp_path, graph, whisper=None, **extra):
    wa = {"app_secret": "s", "access_token": ACCESS_TOKEN, "api_base_url": graph.url,
          "request_timeout_seconds": 2.0, "max_message_age_minutes": 0}
    graph.token = ACCESS_TOKEN
    if whisper is not None:
        extra.setdefault("transcription", {}).update(backend="openai", base_url=whisper.url, timeout_seconds=2.0)
    cfg = make_cfg(tmp_path, whatsapp=wa, worker={"retry_base_seconds": 1.0, "max_attempts": 3},
                   bot={"store_timezone": "America/Bahia"}, **extra)
    conn = db.connect(cfg.db_path)
    knowledge.import_kb(conn, STORE / "catalog.csv", store_file(tmp_path))
    bot = build_bot(cfg, conn, preload=False)
    return cfg, conn, Worker(cfg, conn=conn, bot=bot, owner="media-test")


def arrive(conn, *msgs):
    inbox.store_batch(conn, webhook.parse(hook(*msgs)))


def drain(w, lane=None, n=20):
    out = []
    for _ in range(n):
        st = w.run_once(lane)
        if st is None:
            break
        out.append(st)
    return out


def said(graph):
    """What each accepted send said, as text."""
    out = []
    for s in graph.sends():
        b = s["body"]
        out.append((b.get("text") or {}).get("body") or ((b.get("interactive") or {}).get("body") or {}).get("text"))
    return out


def test_dictated_list_gets_the_same_quote_as_the_typed_list(tmp_path, graph, whisper):
    cfg, conn, w = make(tmp_path, graph, whisper)
    voice = ogg_opus(9.0)
    whisper.knows(voice, DICTATED)
    graph.add_media("aud-1", voice, "audio/ogg; codecs=opus")
    arrive(conn, message("audio"))
    assert w.run_once("fast") == "to-llm-lane"           # a voice note takes the slow lane
    assert w.run_once("llm") == "answered"
    arrive(conn, message("text", n=2, body=DICTATED))
    assert drain(w) == ["answered"]
    # each quote is the list, then the question with the order buttons (issue 20's cart)
    spoken, _, typed, _ = said(graph)
    assert spoken == typed and "R$" in spoken
    req = whisper.requests[0]
    assert req["model"] == "whisper-1" and req["language"] == "pt" and req["response_format"] == "json"
    assert req["file"][0] == "voice.ogg" and req["file"][1] == voice
    row = media.for_inbox(conn, 1)
    assert row["transcript"] == DICTATED and row["state"] == "stored" and row["duration_seconds"] == pytest.approx(9)
    # read + typing went out as Meta documents it, before the reply
    reads = [r["body"] for r in graph.requests if isinstance(r["body"], dict) and r["body"].get("status") == "read"]
    assert reads and set(reads[0]) == set(json.loads(load_sample("graph-api/mark_read_typing_request.json")))


def test_voice_note_without_an_engine_gets_an_honest_reply(tmp_path, graph):
    cfg, conn, w = make(tmp_path, graph)
    arrive(conn, message("audio"))
    assert drain(w) == ["answered"]
    assert said(graph) == [nontext.AUDIO_NO_ENGINE + " " + nontext.TYPE_TO_TALK]


@pytest.mark.parametrize("mode", ["error", "garbage", "empty", pytest.param("slow", marks=pytest.mark.slow), "down"])
def test_engine_down_slow_or_garbage_gets_an_honest_reply(tmp_path, graph, whisper, mode):
    cfg, conn, w = make(tmp_path, graph, whisper)
    graph.add_media("aud-1", ogg_opus(5.0), "audio/ogg")
    if mode == "slow":
        whisper.delay = 3.0
    elif mode == "down":
        whisper.stop()
    else:
        whisper.mode = mode
    arrive(conn, message("audio"))
    assert drain(w) == ["answered"]
    assert said(graph) == [nontext.AUDIO_FAILED + " " + nontext.TYPE_TO_TALK]
    row = media.for_inbox(conn, 1)
    assert row["state"] == "stored" and row["transcript"] is None and row["transcript_error"]
    if mode == "down":
        whisper.thread.join(0)


def test_two_hour_voice_note_is_not_sent_to_the_engine(tmp_path, graph, whisper):
    cfg, conn, w = make(tmp_path, graph, whisper)
    graph.add_media("aud-1", ogg_opus(2 * 3600), "audio/ogg")
    arrive(conn, message("audio"))
    assert drain(w) == ["answered"]
    assert whisper.requests == []
    assert said(graph)[0].startswith("Seu áudio é longo demais para eu ouvir (até 5:00)")


def test_voice_note_whose_file_fails_is_retried_then_answered(tmp_path, graph, whisper):
    cfg, conn, w = make(tmp_path, graph, whisper)
    graph.add_media("aud-1", ogg_opus(5.0), "audio/ogg", mode="cut")
    arrive(conn, message("audio"))
    assert w.run_once("fast") == "to-llm-lane"
    assert w.run_once("llm") == "queued"                  # the message waits for its file: retry rules
    row = conn.execute("SELECT * FROM inbox").fetchone()
    assert row["status"] == "queued" and row["next_attempt_at"] > 0 and "media" in row["error"]
    assert graph.sends() == []


def test_photo_with_caption_is_answered_without_caption_honestly(tmp_path, graph):
    cfg, conn, w = make(tmp_path, graph)
    graph.add_media("img-1", png(), "image/jpeg")
    graph.add_media("img-2", png(), "image/jpeg")
    arrive(conn, message("image", n=1, caption="qual o horário de domingo?"))
    arrive(conn, message("image", n=2))
    assert drain(w) == ["answered", "answered"]
    with_caption, without = said(graph)
    assert "domingo" in with_caption.lower() and "08:00" in with_caption or "8h" in with_caption
    assert without == nontext.NO_CAPTION["image"] + " " + nontext.TYPE_TO_TALK
    assert w.fetch_media_once() == "stored" and w.fetch_media_once() == "stored"


def test_photo_during_a_complaint_gets_no_bot_reply(tmp_path, graph):
    cfg, conn, w = make(tmp_path, graph)
    arrive(conn, message("text", n=1, body="a carne que comprei veio estragada, quero reclamar"))
    assert drain(w) == ["answered"]
    assert handoff.mode(conn, PNID, CUSTOMER) == "human"
    clock.advance(60)
    arrive(conn, message("image", n=2), message("document", n=3))
    assert drain(w) == ["handoff", "handoff"]
    assert len(graph.sends()) == 1
    # The photo is noted as the customer's latest word, as a text to the person would be.
    seen = conn.execute("SELECT last_seen FROM conversations WHERE wa_id=?", (CUSTOMER,)).fetchone()[0]
    assert seen == clock.now()


def test_voice_note_to_a_person_is_transcribed_for_staff_and_not_answered(tmp_path, graph, whisper):
    """A person holds the conversation: the bot says nothing, but staff read the voice note too."""
    cfg, conn, w = make(tmp_path, graph, whisper)
    arrive(conn, message("text", n=1, body="a carne que comprei veio estragada, quero reclamar"))
    assert drain(w) == ["answered"] and handoff.mode(conn, PNID, CUSTOMER) == "human"
    voice = ogg_opus(5.0)
    whisper.knows(voice, "olha a foto que eu mandei da carne")
    graph.add_media("aud-2", voice, "audio/ogg; codecs=opus")
    arrive(conn, message("audio", n=2))
    assert w.run_once("fast") == "to-llm-lane" and w.run_once("llm") == "handoff"   # transcribed off the fast lane
    assert len(graph.sends()) == 1                                       # no bot reply to the voice note
    assert media.for_inbox(conn, 2)["transcript"] == "olha a foto que eu mandei da carne"


def test_location_inside_outside_missing_and_impossible(tmp_path, graph):
    cfg, conn, w = make(tmp_path, graph)
    arrive(conn, message("location", n=1),                                   # Ondina, ~1.9 km
           message("location", n=2, latitude=-12.2664, longitude=-38.9663),  # Feira de Santana
           message("location", n=3, latitude=None, longitude=None),
           message("location", n=4, latitude=123.0, longitude=-38.5))
    assert drain(w) == ["answered"] * 4
    inside, outside, missing, impossible = said(graph)
    assert "1,9 km" in inside and "entregamos aí" in inside and "R$ 7,50" in inside and "R$ 60,00" in inside
    assert "fora da nossa área de entrega (até 8 km)" in outside and "retirar na loja" in outside
    assert missing == nontext.LOCATION_BAD       # coordinates present but empty: not a real place
    assert impossible == nontext.LOCATION_BAD
    arrive(conn, {"from": CUSTOMER, "id": "wamid.noloc", "timestamp": "1764100000", "type": "location",
                  "location": {"name": "Casa"}})
    drain(w)
    assert said(graph)[-1] == nontext.LOCATION_ASK


def test_reaction_and_sticker_are_silent_and_thumbs_up_confirms(tmp_path, graph):
    cfg, conn, w = make(tmp_path, graph)
    arrive(conn, message("text", n=1, body="oi"))
    drain(w)
    ours = graph.sends()[0]["wamid"]
    arrive(conn, message("reaction", n=2, message_id=ours, emoji="👍🏽"), message("sticker", n=3),
           message("reaction", n=4, message_id="wamid.never.stored", emoji="❤️"))
    assert drain(w) == ["ignored"] * 3
    assert len(graph.sends()) == 1
    assert reactions.confirmed(conn, ours, CUSTOMER) is True
    assert reactions.known(conn, "wamid.never.stored") is False
    assert reactions.latest(conn, "wamid.never.stored") == "❤️"
    arrive(conn, message("reaction", n=5, message_id=ours, emoji=""))   # taken back
    drain(w)
    assert reactions.confirmed(conn, ours) is False


def test_contacts_order_unsupported_get_a_reply(tmp_path, graph):
    cfg, conn, w = make(tmp_path, graph)
    arrive(conn, message("contacts", n=1), message("order", n=2), message("unsupported", n=3))
    assert drain(w) == ["answered"] * 3
    contacts, order, unsupported = said(graph)
    # a native cart (WhatsApp's `order`) goes into the checkout by SKU (issue 20)
    assert contacts.startswith("Recebi o contato") and "Seu carrinho" in order and "entrega" in order
    assert unsupported == nontext.NOT_TEXT_REPLY


def test_greeting_offers_a_list_and_a_pick_is_understood(tmp_path, graph):
    cfg, conn, w = make(tmp_path, graph)
    arrive(conn, message("text", n=1, body="oi"))
    drain(w)
    sent = graph.sends()[0]["body"]
    shape = json.loads(load_sample("graph-api/send_list_request.json"))
    assert sent["type"] == "interactive" and sent["interactive"]["type"] == "list"
    assert set(sent["interactive"]) == set(shape["interactive"])
    assert set(sent["interactive"]["action"]) == set(shape["interactive"]["action"])
    rows = sent["interactive"]["action"]["sections"][0]["rows"]
    assert [r["title"] for r in rows] == ["Horários", "Entrega", "Ofertas", "Falar com atendente"]
    assert all(len(r["title"]) <= 24 and len(r.get("description", "")) <= 72 for r in rows)
    pick = json.loads(load_sample("webhooks/list_reply.json"))
    pick["entry"][0]["changes"][0]["value"]["messages"][0]["interactive"]["list_reply"] = {
        "id": "menu:entrega", "title": "Entrega"}
    inbox.store_batch(conn, webhook.parse(json.dumps(pick).encode()))
    drain(w)
    assert "Fazemos entregas" in said(graph)[-1] or "entrega" in said(graph)[-1].lower()


def test_promotions_offer_the_sections_as_a_list(tmp_path, graph):
    cfg, conn, w = make(tmp_path, graph)
    arrive(conn, message("text", n=1, body="quais as promoções?"))
    drain(w)
    sent = graph.sends()[0]["body"]
    assert sent["interactive"]["type"] == "list"
    rows = sent["interactive"]["action"]["sections"][0]["rows"]
    assert len(rows) >= 2 and all(r["title"].startswith("Ofertas ") for r in rows)
    title = rows[0]["title"]
    arrive(conn, message("text", n=2, body=title))
    drain(w)
    assert said(graph)[-1] != said(graph)[0]


def test_interactive_refused_goes_out_again_as_plain_text(tmp_path, graph):
    cfg, conn, w = make(tmp_path, graph)
    graph.script = [131009]
    arrive(conn, message("text", n=1, body="oi"))
    assert drain(w) == ["answered"]
    (sent,) = graph.sends()
    assert sent["body"]["type"] == "text"
    assert "Horários" in sent["body"]["text"]["body"] and "Falar com atendente" in sent["body"]["text"]["body"]
    assert conn.execute("SELECT status FROM inbox").fetchone()[0] == "answered"


def test_typing_indicator_is_refreshed_during_a_long_transcription(tmp_path, graph, whisper):
    cfg, conn, w = make(tmp_path, graph, whisper)
    w.typing_every = 0.4
    voice = ogg_opus(4.0)
    whisper.knows(voice, "qual o horário de domingo?")
    whisper.delay = 1.5
    graph.add_media("aud-1", voice, "audio/ogg")
    arrive(conn, message("audio"))
    assert w.run_once("fast") == "to-llm-lane"
    assert w.run_once("llm") == "answered"
    shape = json.loads(load_sample("graph-api/mark_read_typing_request.json"))
    reads = [r for r in graph.requests if isinstance(r["body"], dict) and r["body"].get("status") == "read"]
    assert len(reads) >= 3          # at the start, then refreshed while the engine worked
    assert all(r["body"] == dict(shape, message_id="wamid.media.audio.1") for r in reads)
    assert max(r["t"] for r in reads) < graph.requests[-1]["t"]      # all before the reply


@pytest.mark.slow       # the photo takes 2 s to come, by design
def test_a_slow_download_never_holds_up_an_answer(tmp_path, graph):
    import threading
    import time
    cfg, conn, w = make(tmp_path, graph)
    graph.add_media("img-1", png(200, 200), "image/png")
    graph.download_delay = 1.8                  # the photo takes ~2 s to come (each read waits up to 2 s)
    arrive(conn, message("image", n=1, caption="qual o horário de domingo?"))
    t = threading.Thread(target=w.run, kwargs={"max_idle_seconds": 6}, daemon=True)
    t.start()
    deadline = time.monotonic() + 10
    while not [r for r in graph.requests if r["path"].startswith("/download/")] and time.monotonic() < deadline:
        time.sleep(0.02)
    started = time.monotonic()
    arrive(conn, message("text", n=2, body="vocês entregam no Rio Vermelho?"))
    while len(graph.sends()) < 2 and time.monotonic() - started < 10:
        time.sleep(0.02)
    answered_in = time.monotonic() - started
    assert len(graph.sends()) == 2 and answered_in < 1.2, answered_in   # while the download was still going
    assert media.for_inbox(conn, 1)["state"] == "pending"
    wait_until(lambda: media.for_inbox(conn, 1)["state"] == "stored", 20)
    w.stopping.set()
    t.join(20)


def test_config_keys_are_checked_at_start():
    from chatbot import config
    base = {"llm": {"enabled": False}}
    cfg = config.from_dict(base, env={})
    assert (cfg.media.max_bytes, cfg.media.keep_days, cfg.backup.include_media) == (16 * 1024 * 1024, 90, False)
    assert not cfg.transcription.enabled
    for bad, words in [({"transcription": {"backend": "whisper"}}, "backend"),
                       ({"transcription": {"backend": "openai"}}, "base_url is required"),
                       ({"transcription": {"backend": "openai", "base_url": "http://engine.example.com"}},
                        "plain http"),
                       ({"media": {"max_bytes": 0}}, "[media]"),
                       ({"media": {"keep_days": "90"}}, "expected an integer")]:
        with pytest.raises(config.ConfigError, match=words.replace("[", r"\[")):
            config.from_dict(dict(base, **bad), env={})
