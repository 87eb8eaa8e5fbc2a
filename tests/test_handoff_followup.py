"""Nobody left waiting in silence, driven by a fake clock: the handoff e-mail
through a real SMTP server (aiosmtpd), the pickup note inside and outside
opening hours, the idle timeout back to the bot with a note, and the old
[bot] handoff_timeout_minutes key still read with a deprecation line."""
from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from chatbot import clock, config, db, operators
from chatbot.bot import handoff
from chatbot.bot.store import knowledge
from chatbot.ops import handoff_followup
from chatbot.worker import Worker
from support.configs import make_cfg, toml_of
from support.human import CUSTOMER, PNID, customer_writes, staff_sends
from support.servers import free_port
from support.smtp import Inbox
from support.waiting import wait_until
from support.worker import live_cfg

FORTALEZA = dt.timezone(dt.timedelta(hours=-3))
# A Tuesday: the demo store opens 07:00-21:00.
TUESDAY_10H = dt.datetime(2026, 3, 3, 10, 0, tzinfo=FORTALEZA).timestamp()
TUESDAY_23H = dt.datetime(2026, 3, 3, 23, 0, tzinfo=FORTALEZA).timestamp()
SATURDAY_23H = dt.datetime(2026, 3, 7, 23, 30, tzinfo=FORTALEZA).timestamp()


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller
    box, port = Inbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def chat_hook():
    got = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a):
            pass
    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", got
    server.shutdown()


def setup(tmp_path, graph, **handoff_cfg):
    cfg = live_cfg(tmp_path, graph.url, whatsapp={"mark_read": False}, handoff=handoff_cfg,
                   web={"public_url": "https://chat.loja.example", "secure_cookies": False})
    conn = db.connect(cfg.db_path)
    knowledge.import_kb(conn, *knowledge.demo_sources())
    return cfg, conn, Worker(cfg, conn=db.connect(cfg.db_path), owner="w")


def test_a_handoff_is_mailed_once_to_staff_with_a_link(tmp_path, graph, smtp, chat_hook):
    box, port = smtp
    url, posted = chat_hook
    cfg, conn, w = setup(tmp_path, graph, notify_emails=["atendimento@loja.example"], notify_webhook_url=url)
    cfg = config.from_dict({**_dict(cfg), "smtp": {"host": "127.0.0.1", "port": port, "security": "none",
                                                   "sender": "chatbot@loja.example"}}, env={})
    clock.freeze(TUESDAY_10H)
    customer_writes(conn, "quero falar com um atendente, o arroz veio estragado")
    assert Worker(cfg, conn=conn, owner="w").run_once() == "answered"     # the bot's "a person will answer"
    assert handoff_followup.tick(conn, cfg)["notified"] == 1
    assert handoff_followup.tick(conn, cfg)["notified"] == 0               # once per handoff
    assert box.arrived.wait(5) and len(box.messages) == 1
    mail = box.messages[0]
    text = mail.get_content()
    assert box.envelopes[0][1] == ["atendimento@loja.example"]
    assert "aguarda uma pessoa" in mail["Subject"] and "*******7777" in mail["Subject"]
    assert CUSTOMER not in text and CUSTOMER not in mail["Subject"]             # the number masked
    hid = conn.execute("SELECT id FROM handoffs").fetchone()[0]
    assert f"https://chat.loja.example/handoffs/{hid}" in text
    assert "arroz veio estragado" in text and "Motivo:" in text
    assert posted and posted[0]["url"].endswith(f"/handoffs/{hid}") and CUSTOMER not in json.dumps(posted[0])


def test_a_mail_server_down_is_retried_later_not_lost(tmp_path, graph):
    cfg, conn, w = setup(tmp_path, graph, notify_emails=["a@loja.example"])
    cfg = config.from_dict({**_dict(cfg), "smtp": {"host": "127.0.0.1", "port": free_port(), "security": "none",
                                                   "timeout_seconds": 2.0}}, env={})
    customer_writes(conn, "atendente")
    with db.transaction(conn):
        handoff.start(conn, PNID, CUSTOMER, "human_request", "atendente", 240)
    handoff_followup._next_try.clear()
    assert handoff_followup.tick(conn, cfg)["notified"] == 0
    assert conn.execute("SELECT notified_at FROM handoffs").fetchone()[0] is None


def _dict(cfg) -> dict:
    import dataclasses
    out = {}
    for f in dataclasses.fields(cfg):
        if f.name in ("path", "notes"):
            continue
        out[f.name] = dataclasses.asdict(getattr(cfg, f.name))
    return out


@pytest.mark.parametrize("now,expect", [
    (TUESDAY_10H, "vai responder por aqui assim que possível"),
    (TUESDAY_23H, "Abrimos amanhã às 7h"),
    (SATURDAY_23H, "Abrimos amanhã às 7h"),          # Sunday opens 07:00 too
])
def test_nobody_answers_in_pickup_minutes_the_customer_gets_one_honest_note(tmp_path, graph, now, expect):
    cfg, conn, w = setup(tmp_path, graph, pickup_minutes=10)
    clock.freeze(now)
    customer_writes(conn, "atendente")
    with db.transaction(conn):
        handoff.start(conn, PNID, CUSTOMER, "human_request", "atendente", 240)
    clock.advance(9 * 60)
    assert handoff_followup.tick(conn, cfg)["pickup"] == 0
    clock.advance(2 * 60)
    assert handoff_followup.tick(conn, cfg)["pickup"] == 1
    assert handoff_followup.tick(conn, cfg)["pickup"] == 0
    assert w.send_staff_message() == "sent"
    notes = [s["body"]["text"]["body"] for s in staff_sends(graph)]
    assert len(notes) == 1 and expect in notes[0]
    assert conn.execute("SELECT operator FROM outbox").fetchone()[0] == "sistema"


def test_a_person_who_answers_in_time_means_no_pickup_note(tmp_path, graph):
    cfg, conn, w = setup(tmp_path, graph, pickup_minutes=10)
    customer_writes(conn, "atendente")
    with db.transaction(conn):
        handoff.start(conn, PNID, CUSTOMER, "human_request", "atendente", 240)
    operators.reply(conn, (PNID, CUSTOMER), "ana", "Oi! Sou a Ana.", 240)
    clock.freeze(clock.now() + 3600)
    assert handoff_followup.tick(conn, cfg)["pickup"] == 0


def test_an_idle_human_conversation_goes_back_to_the_bot_with_a_note(tmp_path, graph):
    cfg, conn, w = setup(tmp_path, graph, timeout_minutes=30, pickup_minutes=0)
    customer_writes(conn, "oi")
    operators.reply(conn, (PNID, CUSTOMER), "ana", "Olá!", 30)
    assert w.send_staff_message() == "sent"
    clock.freeze(clock.now() + 29 * 60)
    assert handoff_followup.tick(conn, cfg)["timed_out"] == 0
    assert operators.state(conn, (PNID, CUSTOMER))["held_by"] == "ana"
    clock.advance(2 * 60)
    assert handoff_followup.tick(conn, cfg)["timed_out"] == 1
    assert operators.state(conn, (PNID, CUSTOMER))["mode"] == "bot"
    assert w.send_staff_message() == "sent"
    assert "voltou para o atendimento automático" in staff_sends(graph)[-1]["body"]["text"]["body"]
    assert handoff.history(conn)[0]["ended_by"] == "timeout"


def test_the_old_timeout_key_still_works_with_a_deprecation_line(tmp_path):
    cfg = make_cfg(tmp_path, bot={"handoff_timeout_minutes": 45})
    assert cfg.handoff.timeout_minutes == 45
    assert any("deprecated" in n and "[handoff] timeout_minutes" in n for n in cfg.notes)
    new = make_cfg(tmp_path, handoff={"timeout_minutes": 20})
    assert new.handoff.timeout_minutes == 20 and not new.notes


def test_the_deprecation_line_reaches_the_log(tmp_path):
    from support.servers import run
    path = tmp_path / "c.toml"
    path.write_text(toml_of({"paths": {"state_dir": str(tmp_path / "s")}, "bot": {"handoff_timeout_minutes": 45},
                             "llm": {"enabled": False}}))
    proc = run("chatbot", path, "users", "list", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "[bot] handoff_timeout_minutes is deprecated; use [handoff] timeout_minutes" in proc.stderr


def test_a_mail_server_that_hangs_does_not_hold_the_worker(tmp_path, graph):
    import socket
    import time as _time
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)                      # accepts, never greets: smtplib waits for its timeout
    cfg, conn, _ = setup(tmp_path, graph, notify_emails=["a@loja.example"])
    cfg = config.from_dict({**_dict(cfg), "smtp": {"host": "127.0.0.1", "port": silent.getsockname()[1],
                                                   "security": "none", "timeout_seconds": 1.5}}, env={})
    w = Worker(cfg, conn=conn, owner="w")
    customer_writes(conn, "atendente")
    with db.transaction(conn):
        handoff.start(conn, PNID, CUSTOMER, "human_request", "atendente", 240)
    handoff_followup._next_try.clear()
    started = _time.monotonic()
    w.follow_up_handoffs()
    assert _time.monotonic() - started < 1.0
    wait_until(lambda: not handoff_followup._announcing.locked(), 10, 0.1, "the notices' thread never ended")
    assert conn.execute("SELECT notified_at FROM handoffs").fetchone()[0] is None      # failed: retried later
    silent.close()


# -- issue 23, 4: a CR/LF in a profile name ------------------------------------------------------

def _customer_named(conn, wa_id: str, name: str, text: str = "quero falar com um atendente"):
    """A customer's message as the webhook stored it before names were cleaned (the name as Meta sent it)."""
    from chatbot.whatsapp import inbox
    from chatbot.whatsapp import webhook as wh
    from conftest import load_sample
    batch = wh.parse(load_sample("webhooks/text.json"))
    m = batch.messages[0]
    m.body, m.sent_at, m.wa_id, m.wamid, m.contact_name = text, clock.now(), wa_id, f"wamid.{wa_id}", name
    inbox.store_batch(conn, batch)
    with db.transaction(conn):
        handoff.start(conn, PNID, wa_id, "human_request", text, 240)


def test_a_profile_name_with_a_line_break_is_one_line_when_the_webhook_reads_it():
    from chatbot.whatsapp import webhook as wh
    from conftest import load_sample
    raw = json.loads(load_sample("webhooks/text.json"))
    raw["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"] = "Ana\r\nBcc: todos@loja.example\x00"
    name = wh.parse(json.dumps(raw).encode()).messages[0].contact_name
    assert name == "Ana Bcc: todos@loja.example"


def test_a_name_with_cr_lf_costs_no_other_handoff_its_notice(tmp_path, graph, smtp, chat_hook):
    """Before: the Subject's ValueError ended the round at that row, every round, for 6 hours."""
    box, port = smtp
    url, posted = chat_hook
    cfg, conn, w = setup(tmp_path, graph, notify_emails=["atendimento@loja.example"], notify_webhook_url=url)
    cfg = config.from_dict({**_dict(cfg), "smtp": {"host": "127.0.0.1", "port": port, "security": "none",
                                                   "sender": "chatbot@loja.example"}}, env={})
    clock.freeze(TUESDAY_10H)
    handoff_followup._next_try.clear()
    _customer_named(conn, "5585911110001", "Ana\r\nBcc: todos@loja.example")
    _customer_named(conn, "5585911110002", "<!channel> Bruno <https://phish.example|clique>")
    _customer_named(conn, "5585911110003", "Carla")
    assert handoff_followup.tick(conn, cfg)["notified"] == 3
    import time as _time
    deadline = _time.monotonic() + 5
    while len(box.messages) < 3 and _time.monotonic() < deadline:
        _time.sleep(0.05)
    subjects = sorted(m["Subject"] for m in box.messages)
    assert len(subjects) == 3 and all("\n" not in s and "\r" not in s for s in subjects), subjects
    assert any("Ana Bcc: todos@loja.example" in s for s in subjects)
    assert all(env[1] == ["atendimento@loja.example"] for env in box.envelopes)     # no header injected
    texts = [p["text"] for p in posted]
    assert any("&lt;!channel&gt; Bruno &lt;https://phish.example|clique&gt;" in t for t in texts), texts
    assert not any("<!channel>" in t for t in texts)


def test_one_row_that_fails_does_not_stop_the_round(tmp_path, graph, smtp, monkeypatch):
    box, port = smtp
    cfg, conn, w = setup(tmp_path, graph, notify_emails=["atendimento@loja.example"])
    cfg = config.from_dict({**_dict(cfg), "smtp": {"host": "127.0.0.1", "port": port, "security": "none",
                                                   "sender": "chatbot@loja.example"}}, env={})
    clock.freeze(TUESDAY_10H)
    handoff_followup._next_try.clear()
    _customer_named(conn, "5585911110001", "Ana")
    _customer_named(conn, "5585911110002", "Bruno")
    real = handoff_followup._notice

    def broken_for_ana(conn_, cfg_, row):
        if row["wa_id"].endswith("0001"):
            raise RuntimeError("something unforeseen in this row")
        return real(conn_, cfg_, row)
    monkeypatch.setattr(handoff_followup, "_notice", broken_for_ana)
    assert handoff_followup.tick(conn, cfg)["notified"] == 1
    assert handoff_followup.tick(conn, cfg)["notified"] == 0          # the failed row waits its retry time
    told = dict(conn.execute("SELECT wa_id, notified_at IS NOT NULL FROM handoffs").fetchall())
    assert told == {"5585911110001": 0, "5585911110002": 1}


def test_the_pickup_note_says_the_team_was_told_only_when_it_was(tmp_path, graph):
    """No mail server answers: the customer is not told "nossa equipe já foi avisada"."""
    cfg, conn, w = setup(tmp_path, graph, notify_emails=["a@loja.example"], pickup_minutes=10)
    cfg = config.from_dict({**_dict(cfg), "smtp": {"host": "127.0.0.1", "port": free_port(), "security": "none",
                                                   "timeout_seconds": 2.0}}, env={})
    clock.freeze(TUESDAY_10H)
    handoff_followup._next_try.clear()
    customer_writes(conn, "atendente")
    with db.transaction(conn):
        handoff.start(conn, PNID, CUSTOMER, "human_request", "atendente", 240)
    assert handoff_followup.tick(conn, cfg)["notified"] == 0
    clock.advance(11 * 60)
    assert handoff_followup.tick(conn, cfg)["pickup"] == 1
    assert w.send_staff_message() == "sent"
    note = staff_sends(graph)[-1]["body"]["text"]["body"]
    assert "já foi avisada" not in note and "está registrado" in note and "assim que possível" in note
