"""Two lanes (issue 16): template answers never wait behind the LLM, the LLM
lane writes ``[llm] concurrency`` replies at once, one customer's replies stay
in order across lanes, and a generation past its deadline becomes the safe
fallback. Against a real OpenAI-compatible stand-in that sleeps."""
import collections
import signal
import threading
import time
import uuid
from pathlib import Path

import pytest

from chatbot import db
from chatbot.bot.answering import replies
from chatbot.bot.store import knowledge
from chatbot.whatsapp import inbox, sendtest, webhook
from chatbot.worker import Worker
from support.configs import ACCESS_TOKEN, APP_SECRET, live_config, load_sample, make_cfg
from support.llm_stub import LLMStub
from support.servers import command, run, wait_http
from support.waiting import wait_drained, wait_until

STORE = Path(__file__).parent / "data" / "teststore"
HOURS = "qual o horário de sábado?"
# Distinct small talk (each its own cache key), all answered by the LLM.
SMALLTALK = ["qual seu nome?", "quem ganhou o jogo ontem?", "tudo bem com você?", "me conta uma piada",
             "você gosta de futebol?", "qual sua cor favorita?", "o que acha do tempo hoje?",
             "você é um robô?", "qual sua música preferida?", "você dorme?"]


@pytest.fixture
def llm():
    stub = LLMStub(delay=1.0).start()
    yield stub
    stub.stop()


def lanes_cfg(tmp_path, graph, llm, mark_read=False, **llm_extra):
    return make_cfg(tmp_path,
                    whatsapp={"app_secret": APP_SECRET, "access_token": ACCESS_TOKEN, "api_base_url": graph.url,
                              "max_message_age_minutes": 0, "mark_read": mark_read},
                    worker={"poll_interval_seconds": 0.02},
                    llm={"enabled": True, "backend": "openai", "base_url": llm.url, **llm_extra})


def enqueue(conn, body, wa_id):
    batch = webhook.parse(load_sample("webhooks/text.json"))
    m = batch.messages[0]
    m.body, m.wa_id, m.wamid = body, wa_id, f"wamid.{uuid.uuid4().hex}"
    inbox.store_batch(conn, batch)
    return m.wamid


class Running:
    """The worker's run() in a thread, as chatbot-worker runs it."""

    def __init__(self, cfg):
        self.conn = db.connect(cfg.db_path)
        knowledge.import_kb(self.conn, STORE / "catalog.csv", STORE / "store.toml")
        self.worker = Worker(cfg, owner="lanes-test")
        self.thread = threading.Thread(target=self.worker.run)

    def __enter__(self):
        self.thread.start()
        wait_until(lambda: self.worker.heartbeat.beats, 20, 0.01, "the worker never beat")
        if self.worker.bot.warming:       # the guard's word list, loaded once at start
            self.worker.bot.warming.join(30)
        return self

    def __exit__(self, *exc):
        self.worker.stopping.set()
        self.thread.join(30)
        assert not self.thread.is_alive()

    def status(self, wamid):
        return self.conn.execute("SELECT status FROM inbox WHERE wamid=?", (wamid,)).fetchone()[0]

    def wait(self, wamids, timeout, status="answered"):
        return wait_until(lambda: all(self.status(w) == status for w in wamids), timeout, 0.01, what="")


@pytest.mark.slow
def test_a_template_question_behind_slow_llm_questions_is_answered_within_a_second(tmp_path, graph, llm):
    llm.delay = 3.0
    with Running(lanes_cfg(tmp_path, graph, llm)) as r:
        slow = [enqueue(r.conn, q, f"55850000000{i}") for i, q in enumerate(SMALLTALK[:3])]
        wait_until(lambda: llm.in_flight, 10, 0.01, "the LLM was never asked")
        asked = time.monotonic()
        fast = enqueue(r.conn, HOURS, "558500000009")
        assert r.wait([fast], timeout=1.0), "the template answer waited for the LLM"
        took = time.monotonic() - asked
        assert r.wait(slow, timeout=15)
    assert took < 1.0
    assert [s["to"] for s in graph.sends()][0] == "558500000009"
    lanes = dict(r.conn.execute("SELECT wamid, lane FROM inbox").fetchall())
    assert lanes[fast] == "fast" and {lanes[w] for w in slow} == {"llm"}
    print(f"\ntemplate answered {took * 1000:.0f} ms after it arrived, behind 3 generations of 3 s")


@pytest.mark.slow       # two generations of 1.5 s, timed
def test_concurrency_four_writes_eight_slow_replies_in_about_two_generation_times(tmp_path, graph, llm):
    llm.delay = 1.5
    with Running(lanes_cfg(tmp_path, graph, llm, concurrency=4)) as r:
        started = time.monotonic()
        ids = [enqueue(r.conn, q, f"55850000001{i}") for i, q in enumerate(SMALLTALK[:8])]
        assert r.wait(ids, timeout=30)
        took = time.monotonic() - started
    assert llm.max_in_flight == 4
    assert len(graph.sends()) == 8
    # Two generation times (3 s) plus the work around them; one at a time would take 12 s.
    assert took < 3 * llm.delay, took
    print(f"\n8 replies of 1.5 s each with concurrency 4: {took:.2f} s")


@pytest.mark.slow       # two generations of 1 s in a row
def test_one_customers_replies_keep_their_order_across_lanes(tmp_path, graph, llm):
    llm.delay = 1.0
    me, other = "558511111111", "558522222222"
    with Running(lanes_cfg(tmp_path, graph, llm, concurrency=2)) as r:
        first = enqueue(r.conn, SMALLTALK[0], me)       # LLM lane
        second = enqueue(r.conn, HOURS, me)             # fast lane: waits for the first
        third = enqueue(r.conn, SMALLTALK[1], me)       # LLM lane again
        theirs = enqueue(r.conn, "vocês abrem domingo?", other)
        assert r.wait([theirs], timeout=1.0)            # another customer does not wait
        assert r.status(second) == "queued"
        assert r.wait([first, second, third], timeout=15)
    mine = [s["body"]["text"]["body"] for s in graph.sends() if s["to"] == me]
    assert len(mine) == 3
    assert mine[0] == llm.reply and "sábado" in mine[1] and mine[2] == llm.reply
    assert [s["to"] for s in graph.sends()][0] == other


@pytest.mark.slow       # waits out a 3 s generation
def test_a_generation_past_the_deadline_gets_the_fallback_and_the_late_answer_is_dropped(tmp_path, graph, llm):
    llm.delay = 3.0
    with Running(lanes_cfg(tmp_path, graph, llm, timeout_seconds=1.0)) as r:
        started = time.monotonic()
        m = enqueue(r.conn, SMALLTALK[0], "558533333333")
        assert r.wait([m], timeout=10)
        took = time.monotonic() - started
        time.sleep(llm.delay)                           # the late answer arrives meanwhile...
    assert took < 2.5, took
    # ... and is dropped: the customer got the fallback, once.
    assert [s["body"]["text"]["body"] for s in graph.sends()] == [replies.SMALLTALK_FALLBACK]
    ev = r.conn.execute("SELECT source, success FROM events").fetchall()
    assert [tuple(e) for e in ev] == [("fallback", 1)]


@pytest.mark.slow
def test_sigterm_finishes_the_generation_in_hand(tmp_path, graph, llm):
    llm.delay = 2.0
    cfg_path, _ = live_config(tmp_path, graph.url, llm={"enabled": True, "backend": "openai", "base_url": llm.url,
                                                        "concurrency": 2})
    assert run("chatbot", cfg_path, "kb", "import", "--demo").returncode == 0
    conn = db.connect(cfg_path.parent / "state" / "chatbot.db")
    ids = [enqueue(conn, q, f"55850000002{i}") for i, q in enumerate(SMALLTALK[:4])]
    worker = command("chatbot-worker", cfg_path)
    try:
        wait_until(lambda: llm.in_flight >= 2, 20, 0.01, "the LLM lane never ran two at once")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    statuses = collections.Counter(
        conn.execute("SELECT status FROM inbox WHERE wamid=?", (w,)).fetchone()[0] for w in ids)
    assert statuses == {"answered": 2, "queued": 2}, statuses      # two finished, two given back
    assert not conn.execute("SELECT 1 FROM inbox WHERE lease_owner IS NOT NULL").fetchone()
    assert len(graph.sends()) == 2


@pytest.mark.slow
def test_sigkill_in_the_middle_of_both_lanes_loses_nothing_and_doubles_nothing(tmp_path, graph, llm):
    llm.delay = 1.0
    graph.delay = 0.1                                   # kills land mid-send in the fast lane too
    cfg_path, port = live_config(tmp_path, graph.url, worker={"lease_seconds": 120},
                                 llm={"enabled": True, "backend": "openai", "base_url": llm.url,
                                      "concurrency": 3})
    assert run("chatbot", cfg_path, "kb", "import", "--demo").returncode == 0
    web = command("chatbot-web", cfg_path)
    url = f"http://127.0.0.1:{port}/webhook"
    wait_http(url)
    conn = db.connect(cfg_path.parent / "state" / "chatbot.db")
    # One message per customer, so a reply sent twice cannot hide: per round
    # 5 LLM questions first (the fast lane hands them over at once), then 15
    # template ones, so that both lanes have work each time.
    questions = [HOURS, "vocês abrem domingo?", "aceita pix?"] * 10 + SMALLTALK
    rounds = [SMALLTALK[:5] + questions[:15], SMALLTALK[5:] + questions[15:30]]

    def post(batch, first):
        for i, q in enumerate(batch, first):
            body = sendtest.build_payload(q, f"5585{i:09d}", "106540352242922")[0]
            assert sendtest.post(url, body, APP_SECRET) == 200

    post(rounds[0], 0)
    worker = command("chatbot-worker", cfg_path)
    kills = 0
    try:
        for r in range(2):
            if r:
                post(rounds[1], len(rounds[0]))
            wait_until(lambda: conn.execute("SELECT 1 FROM inbox WHERE status='processing' AND lane='llm'").fetchone()
                       and conn.execute("SELECT 1 FROM inbox WHERE status='processing' AND lane='fast'").fetchone(),
                       30, 0.005, "never caught both lanes working")
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            kills += 1
            worker = command("chatbot-worker", cfg_path)
        assert wait_drained(conn, 60) == 0
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)
        web.send_signal(signal.SIGTERM)
        web.wait(30)
    rows = dict(conn.execute("SELECT status, COUNT(*) FROM inbox GROUP BY status").fetchall())
    assert sum(rows.values()) == len(questions)
    assert set(rows) <= {"answered", "unknown"}, rows
    per_customer = collections.Counter(s["to"] for s in graph.sends())
    assert max(per_customer.values()) == 1                # nobody got a reply twice
    # At most one reply in flight per lane thread (1 fast + 3 LLM) per kill is 'unknown'.
    assert rows.get("unknown", 0) <= kills * 4
    issued = {s["wamid"] for s in graph.sends()}
    recorded = {r[0] for r in conn.execute(
        "SELECT o.wamid FROM inbox i JOIN outbox o ON o.inbox_id=i.id WHERE i.status='answered'")}
    assert recorded <= issued and len(recorded) == rows.get("answered", 0)
    print(f"\nboth lanes killed {kills} times: {rows}")


def test_the_llm_lane_shows_typing_while_the_model_writes(tmp_path, graph, llm):
    llm.delay = 0.5
    with Running(lanes_cfg(tmp_path, graph, llm, mark_read=True)) as r:
        m = enqueue(r.conn, SMALLTALK[0], "558544444444")
        assert r.wait([m], timeout=10)
    kinds = ["send" if "to" in (q["body"] or {}) else "typing" for q in graph.requests]
    # read + typing when the fast lane looks at it, typing again as the generation starts, then the reply
    assert kinds == ["typing", "typing", "send"], kinds
    assert all(q["body"]["typing_indicator"] == {"type": "text"} for q in graph.requests[:2])
    assert graph.requests[1]["t"] <= graph.requests[2]["t"] - llm.delay * 0.9


def test_an_llm_lane_message_that_keeps_crashing_is_parked(tmp_path, graph, llm):
    from chatbot import clock
    from chatbot.worker import BOT_ERROR_REPLY
    clock.freeze(2_000_000_000)
    cfg = lanes_cfg(tmp_path, graph, llm)
    conn = db.connect(cfg.db_path)
    knowledge.import_kb(conn, STORE / "catalog.csv", STORE / "store.toml")
    w = Worker(cfg, conn=conn, owner="w")
    m = enqueue(conn, SMALLTALK[0], "558555555555")
    assert w.run_once("fast") == "to-llm-lane"
    for _ in range(cfg.worker.max_attempts):       # the LLM lane dies on it every time
        assert inbox.claim(conn, "gone", 60, lane="llm") is not None
        clock.advance(61)
        inbox.recover_expired(conn)
    assert w.run_once("fast") is None               # not the fast lane's
    assert w.run_once("llm") == "failed"
    assert llm.calls == []
    assert [s["body"]["text"]["body"] for s in graph.sends()] == [BOT_ERROR_REPLY]
    assert conn.execute("SELECT status FROM inbox WHERE wamid=?", (m,)).fetchone()[0] == "failed"


@pytest.mark.slow
def test_bench_worker_quick_run():
    """bench/bench_worker.py, run by hand for docs/BENCHMARKS.md, still works (a tiny run, no doc written)."""
    import subprocess
    import sys
    bench = Path(__file__).resolve().parents[1] / "bench" / "bench_worker.py"
    out = subprocess.run([sys.executable, str(bench), "--quick"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "| 0.5 | single lane (before, baseline) |" in out.stdout
    assert "| stand-in | 0.5 s | 4 |" in out.stdout
