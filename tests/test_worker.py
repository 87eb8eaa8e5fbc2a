"""The worker against a real local Graph API stand-in: replies, retries by
error code, ambiguous sends parked, stale and non-text messages."""
import json

import pytest

from chatbot import clock, db
from chatbot.bot.types import Reply
from chatbot.whatsapp import inbox, webhook
from chatbot.worker import BOT_ERROR_REPLY, NOT_TEXT_REPLY, Worker
from support.configs import ACCESS_TOKEN, load_sample, make_cfg
from support.servers import free_port
from support.worker import FixedBot, enqueue, live_cfg, status_of


@pytest.fixture
def setup(tmp_path, graph):
    cfg = live_cfg(tmp_path, graph.url)
    conn = db.connect(cfg.db_path)
    bot = FixedBot()
    return cfg, conn, bot, Worker(cfg, conn=conn, bot=bot, owner="test-worker")


def test_reply_sent_with_mark_read_first(setup, graph):
    cfg, conn, bot, w = setup
    m = enqueue(conn)
    assert w.run_once() == "answered"
    paths = [r["path"] for r in graph.requests]
    assert paths == ["/v21.0/106540352242922/messages"] * 2
    assert graph.requests[0]["body"]["status"] == "read"
    assert graph.requests[0]["body"]["typing_indicator"] == {"type": "text"}
    assert graph.requests[1]["headers"]["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    sent = graph.requests[1]["body"]
    assert sent == json.loads(load_sample("graph-api/send_text_request.json"))
    row = status_of(conn, m.wamid)
    assert row["status"] == "answered"
    out = inbox.outbox_for(conn, row["id"])
    assert out["wamid"] == graph.sends()[0]["wamid"] and out["state"] == "sent"
    ev = conn.execute("SELECT intent, source, success FROM events").fetchone()
    assert tuple(ev) == ("hours", "template", 1)
    assert bot.seen[0].text == "Bom dia! Vocês abrem domingo?"


@pytest.mark.parametrize("kind", [500, "500-bare", 429, 130429, 131056])
def test_retryable_errors_are_retried_then_sent_once(setup, graph, kind):
    cfg, conn, bot, w = setup
    clock.freeze(2_000_000_000)
    m = enqueue(conn)
    graph.script = [kind]
    assert w.run_once() == "queued"
    assert w.run_once() is None              # backoff: not yet
    clock.advance(cfg.worker.retry_max_seconds)
    assert w.run_once() == "answered"
    assert len(graph.sends()) == 1
    assert len(bot.seen) == 1                # the reply was composed once, kept for the retry
    assert status_of(conn, m.wamid)["attempts"] == 2
    # One event, reported as the bot first described it.
    assert [tuple(r) for r in conn.execute("SELECT intent, source, success FROM events")] == [("hours", "template", 1)]


@pytest.mark.parametrize("kind, code", [(190, 190), (131047, 131047)])
def test_non_retryable_errors_park_as_failed_without_retry(setup, graph, kind, code):
    cfg, conn, bot, w = setup
    clock.freeze(2_000_000_000)
    m = enqueue(conn)
    graph.script = [kind]
    assert w.run_once() == "failed"
    clock.advance(3600)
    assert w.run_once() is None
    sends = [r for r in graph.requests if "to" in (r["body"] or {})]
    assert len(sends) == 1
    row = status_of(conn, m.wamid)
    assert (row["status"], row["error_code"]) == ("failed", code)
    err = conn.execute("SELECT code, retryable FROM api_errors").fetchone()
    assert tuple(err) == (code, 0)


def test_retries_stop_after_max_attempts(setup, graph):
    cfg, conn, bot, w = setup
    clock.freeze(2_000_000_000)
    m = enqueue(conn)
    graph.script = [500] * 10
    results = []
    for _ in range(cfg.worker.max_attempts):
        results.append(w.run_once())
        clock.advance(cfg.worker.retry_max_seconds)
    assert results[-1] == "failed"
    assert status_of(conn, m.wamid)["status"] == "failed"
    assert len([r for r in graph.requests if "to" in (r["body"] or {})]) == cfg.worker.max_attempts


def test_timeout_after_sending_is_parked_unknown_not_resent(tmp_path, graph):
    graph.delay = 1.0                        # longer than the 0.5 s request timeout
    cfg = live_cfg(tmp_path, graph.url, whatsapp={"mark_read": False, "request_timeout_seconds": 0.5})
    conn = db.connect(cfg.db_path)
    w = Worker(cfg, conn=conn, bot=FixedBot(), owner="w")
    m = enqueue(conn)
    assert w.run_once() == "unknown"
    clock.freeze(clock.now() + 3600)
    assert w.run_once() is None
    row = status_of(conn, m.wamid)
    assert row["status"] == "unknown"
    assert inbox.outbox_for(conn, row["id"])["state"] == "unknown"


def test_refused_connection_is_safe_to_retry(tmp_path):
    cfg = live_cfg(tmp_path, f"http://127.0.0.1:{free_port()}")
    conn = db.connect(cfg.db_path)
    w = Worker(cfg, conn=conn, bot=FixedBot(), owner="w")
    m = enqueue(conn)
    assert w.run_once() == "queued"
    assert status_of(conn, m.wamid)["status"] == "queued"


def test_stale_message_is_acknowledged_not_answered(tmp_path, graph):
    cfg = live_cfg(tmp_path, graph.url, whatsapp={"max_message_age_minutes": 60})
    conn = db.connect(cfg.db_path)
    w = Worker(cfg, conn=conn, bot=FixedBot(), owner="w")
    m = enqueue(conn, sent_at=clock.now() - 2 * 3600)
    fresh = enqueue(conn, sample="webhooks/button_reply.json", sent_at=clock.now())
    assert w.run_once() == "stale"
    assert w.run_once() == "answered"
    assert status_of(conn, m.wamid)["status"] == "stale"
    assert len(graph.sends()) == 1 and graph.sends()[0]["to"] == fresh.wa_id


def test_reaction_is_silent_image_caption_goes_to_the_bot(setup, graph):
    cfg, conn, bot, w = setup
    r = enqueue(conn, sample="webhooks/reaction.json")
    i = enqueue(conn, sample="webhooks/image.json")
    u = enqueue(conn, sample="webhooks/unsupported.json")
    statuses = [w.run_once(), w.run_once(), w.run_once()]
    assert sorted(statuses) == ["answered", "answered", "ignored"]
    assert status_of(conn, r.wamid)["status"] == "ignored"
    assert status_of(conn, i.wamid)["status"] == "answered"
    assert status_of(conn, u.wamid)["status"] == "answered"
    # The photo's caption is its text (issue 21); a type nobody can read gets the honest reply.
    assert [q.text for q in bot.seen] == ["tem esse?"]
    assert [s["body"]["text"]["body"] for s in graph.sends()] == [bot.text, NOT_TEXT_REPLY]


def test_bot_crash_sends_apology_not_silence(tmp_path, graph):
    cfg = live_cfg(tmp_path, graph.url)
    conn = db.connect(cfg.db_path)
    w = Worker(cfg, conn=conn, bot=FixedBot(RuntimeError("boom")), owner="w")
    enqueue(conn)
    assert w.run_once() == "answered"
    assert graph.sends()[0]["body"]["text"]["body"] == BOT_ERROR_REPLY


def test_silent_reply_closes_as_handoff(setup, graph):
    cfg, conn, bot, w = setup
    bot.text = None
    m = enqueue(conn)
    assert w.run_once() == "handoff"
    assert graph.sends() == []
    assert status_of(conn, m.wamid)["status"] == "handoff"


def test_sandbox_records_instead_of_sending(tmp_path, graph):
    cfg = make_cfg(tmp_path, whatsapp={"api_base_url": graph.url})
    conn = db.connect(cfg.db_path)
    w = Worker(cfg, conn=conn, bot=FixedBot(), owner="w")
    m = enqueue(conn, sent_at=clock.now())
    assert w.run_once() == "answered"
    assert graph.requests == []
    out = inbox.outbox_for(conn, status_of(conn, m.wamid)["id"])
    assert out["wamid"].startswith("sandbox.")
    assert json.loads(out["body"])["text"]["body"] == "Abrimos domingo das 7h às 13h."


def test_replies_to_one_customer_go_out_in_order(setup, graph):
    cfg, conn, bot, w = setup
    bot.text = "ok"
    for i in range(5):
        b = webhook.parse(load_sample("webhooks/text.json"))
        b.messages[0].wamid = f"wamid.order.{i}"
        b.messages[0].body = f"pergunta {i}"
        inbox.store_batch(conn, b)
    while w.run_once():
        pass
    assert [q.text for q in bot.seen] == [f"pergunta {i}" for i in range(5)]


LONG_REPLY = "\n".join(f"• {n}x Produto número {n}: R$ 1,00 cada = R$ {n},00" for n in range(1, 140)) \
    + "\n💰 *Total: R$ 9.730,00*"


def test_a_reply_longer_than_one_message_goes_out_as_two_in_order_total_last(setup, graph):
    cfg, conn, bot, w = setup
    bot.text = LONG_REPLY
    assert len(LONG_REPLY) > 4096
    m = enqueue(conn)
    assert w.run_once() == "answered"
    bodies = [s["body"]["text"]["body"] for s in graph.sends()]
    assert len(bodies) == 2 and all(len(b) <= 4096 for b in bodies)
    assert "\n".join(bodies) == LONG_REPLY                  # nothing lost, nothing cut mid-line
    assert bodies[-1].endswith("Total: R$ 9.730,00*")
    assert all("follow_up" not in s["body"] for s in graph.sends())
    row = status_of(conn, m.wamid)
    assert row["status"] == "answered"
    assert inbox.outbox_for(conn, row["id"])["wamid"] == graph.sends()[0]["wamid"]


def test_messages_of_their_own_follow_in_order_and_the_buttons_go_on_the_last(setup, graph):
    """A placed order: the confirmation, then the Pix code alone; a quote: the list, then the
    question with its reply buttons (Meta takes at most 1,024 characters with buttons)."""
    cfg, conn, bot, w = setup
    pix = "00020126360014br.gov.bcb.pix0114+55829999900005204000053039865406161.705802BR"
    bot.answer = lambda q: Reply(text=LONG_REPLY, intent="quote", follow_up=[pix, "Fazer o pedido?"],
                                 buttons=[("order:start", "Fazer pedido"), ("handoff", "Falar com atendente")])
    m = enqueue(conn)
    assert w.run_once() == "answered"
    sent = [s["body"] for s in graph.sends()]
    assert [s["type"] for s in sent] == ["text", "text", "text", "interactive"]
    assert sent[2]["text"]["body"] == pix
    assert sent[3]["interactive"]["body"]["text"] == "Fazer o pedido?"
    assert [b["reply"]["title"] for b in sent[3]["interactive"]["action"]["buttons"]] == \
        ["Fazer pedido", "Falar com atendente"]
    assert status_of(conn, m.wamid)["status"] == "answered"


def test_second_message_failing_parks_unknown_and_never_resends_the_first(setup, graph):
    cfg, conn, bot, w = setup
    clock.freeze(2_000_000_000)
    bot.text = LONG_REPLY
    m = enqueue(conn)
    graph.script = ["ok", 500]
    assert w.run_once() == "unknown"
    clock.advance(3600)
    assert w.run_once() is None
    assert len(graph.sends()) == 1                           # the first part only, once
    row = status_of(conn, m.wamid)
    assert row["status"] == "unknown" and "message 2 of 2 not sent" in row["error"]
