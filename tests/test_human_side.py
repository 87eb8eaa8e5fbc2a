"""The human side through its JSON API and the real worker against the Graph
API stand-in: takeover, replies sent exactly once with the operator's name
on the event, retries, ambiguous sends parked, release back to the bot, the
24-hour window refused before sending, templates and 131047, authorization
and CSRF on every new route. Real SQLite files, Flask's test client."""
from __future__ import annotations

import re

import pytest

from chatbot import accounts, clock, db, operators
from chatbot.bot import handoff
from chatbot.bot.store import knowledge
from chatbot.web.app import create_app
from chatbot.whatsapp import inbox, operator_outbox, webhook
from chatbot.worker import Worker
from support.configs import load_sample
from support.human import CUSTOMER, PNID, customer_writes, staff_sends
from support.web import BEARER, login
from support.worker import live_cfg

PW = "senha do atendente"
ROUTES = [("GET", "/inbox"), ("GET", "/inbox.json"), ("GET", "/inbox/fragment"),
          ("GET", f"/conversations/{CUSTOMER}"), ("GET", f"/conversations/{CUSTOMER}/thread"),
          ("POST", f"/conversations/{CUSTOMER}/reply"), ("POST", f"/conversations/{CUSTOMER}/takeover"),
          ("POST", f"/conversations/{CUSTOMER}/release"), ("POST", f"/conversations/{CUSTOMER}/template"),
          ("GET", "/handoffs/1")]


@pytest.fixture
def world(tmp_path, graph):
    cfg = live_cfg(tmp_path, graph.url, whatsapp={"mark_read": False, "templates": {
        "retomada": {"name": "retomada_atendimento", "language": "pt_BR", "parameters": ["nome"]}}})
    conn = db.connect(cfg.db_path)
    accounts.add(conn, "ana", "operator", PW)
    knowledge.import_kb(conn, *knowledge.demo_sources())
    app = create_app(cfg)
    worker = Worker(cfg, conn=db.connect(cfg.db_path), owner="w")       # the real bot, templates only
    return cfg, conn, app, worker


def operator(app):
    c = app.test_client()
    assert login(c, token=PW, name="ana").status_code == 303
    page = c.get("/inbox", headers={"Accept": "text/html"}).get_data(as_text=True)
    c.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1) if "csrf_token" in page else None
    return c


def csrf_from(c, path):
    page = c.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_operator_reply_is_sent_once_with_the_operator_s_name(world, graph):
    cfg, conn, app, w = world
    customer_writes(conn)
    with db.transaction(conn):
        handoff.start(conn, PNID, CUSTOMER, "human_request", "quero falar com atendente", 240)
    c = app.test_client()
    got = c.get(f"/conversations/{CUSTOMER}", headers=BEARER).get_json()
    assert got["mode"] == "human" and got["held_by"] is None and got["window"]["open"]
    resp = c.post(f"/conversations/{CUSTOMER}/reply", json={"text": "Oi, aqui é a Ana. Como posso ajudar?"},
                  headers=BEARER)
    assert resp.status_code == 202
    oid = resp.get_json()["outbox_id"]
    row = conn.execute("SELECT state, operator FROM outbox WHERE id=?", (oid,)).fetchone()
    assert tuple(row) == ("queued", "admin (token)")
    assert w.send_staff_message() == "sent"
    assert w.send_staff_message() is None               # nothing more: never twice
    sent = staff_sends(graph)
    assert [s["body"]["text"]["body"] for s in sent] == ["Oi, aqui é a Ana. Como posso ajudar?"]
    assert sent[0]["to"] == CUSTOMER
    ev = conn.execute("SELECT operator, source, success FROM events WHERE source='operator'").fetchone()
    assert tuple(ev) == ("admin (token)", "operator", 1)
    got = c.get(f"/conversations/{CUSTOMER}", headers=BEARER).get_json()
    staff = [m for m in got["messages"] if m["who"] == "staff"]
    assert staff[0]["operator"] == "admin (token)" and staff[0]["state"] == "sent" and staff[0]["delivery"] == "sent"
    assert got["held_by"] == "admin (token)"


def test_while_a_person_holds_it_the_bot_stays_silent_and_after_release_answers(world, graph):
    cfg, conn, app, w = world
    customer_writes(conn, "oi", wamid="wamid.first")
    c = operator(app)
    token = csrf_from(c, f"/conversations/{CUSTOMER}")
    resp = c.post(f"/conversations/{CUSTOMER}/takeover", data={"csrf_token": token}, headers={"Accept": "text/html"})
    assert resp.status_code == 303
    assert c.get(f"/conversations/{CUSTOMER}", headers={"Accept": "application/json"}).get_json()["held_by"] == "ana"
    assert w.run_once() == "handoff"                  # the customer's message: the bot is silent
    assert not graph.sends()
    resp = c.post(f"/conversations/{CUSTOMER}/release", json={"message": "Obrigada! Qualquer coisa, é só chamar."},
                  headers={"X-CSRF-Token": token})
    assert resp.status_code == 200 and resp.get_json()["mode"] == "bot"
    assert w.send_staff_message() == "sent"
    customer_writes(conn, "vocês abrem domingo?", wamid="wamid.second")
    assert w.run_once() == "answered"
    bodies = [s["body"]["text"]["body"] for s in graph.sends()]
    assert bodies[0] == "Obrigada! Qualquer coisa, é só chamar." and len(bodies) == 2
    assert "domingo" in bodies[1].lower()            # the bot's own answer about Sunday
    assert handoff.history(conn)[0]["ended_by"] == "operator:ana"


@pytest.mark.slow       # waits out a 2 s request timeout
def test_retryable_errors_are_retried_and_ambiguous_ones_parked(world, graph):
    cfg, conn, app, w = world
    customer_writes(conn)
    c = app.test_client()
    graph.script = [130429]
    oid = c.post(f"/conversations/{CUSTOMER}/reply", json={"text": "primeira"}, headers=BEARER).get_json()["outbox_id"]
    assert w.send_staff_message() == "queued"
    assert w.send_staff_message() is None                 # waiting out its backoff
    clock.freeze(clock.now() + 60)
    assert w.send_staff_message() == "sent"
    assert conn.execute("SELECT attempts FROM outbox WHERE id=?", (oid,)).fetchone()[0] == 2
    graph.delay = 3.0                                 # longer than the 2 s request timeout: may have arrived
    c.post(f"/conversations/{CUSTOMER}/reply", json={"text": "segunda"}, headers=BEARER)
    assert w.send_staff_message() == "unknown"
    graph.delay = 0
    clock.freeze(clock.now() + 3600)
    assert w.send_staff_message() is None                 # never again on a guess
    conv = c.get(f"/conversations/{CUSTOMER}", headers=BEARER).get_json()
    assert conv["parked"] == 1
    page = c.get(f"/conversations/{CUSTOMER}", headers=dict(BEARER, Accept="text/html")).get_data(as_text=True)
    assert "sem confirmação" in page


def test_a_worker_killed_mid_send_leaves_the_message_parked(world):
    cfg, conn, app, w = world
    customer_writes(conn)
    oid = app.test_client().post(f"/conversations/{CUSTOMER}/reply", json={"text": "oi"},
                                 headers=BEARER).get_json()["outbox_id"]
    row = inbox.claim_staff(conn, "dead-worker", cfg.worker.lease_seconds)   # committed 'sending', then death
    assert row["id"] == oid
    assert operator_outbox.recover_expired(conn) == 0     # its lease still runs
    clock.freeze(clock.now() + cfg.worker.lease_seconds + 1)
    assert operator_outbox.recover_expired(conn) == 1
    assert conn.execute("SELECT state FROM outbox WHERE id=?", (oid,)).fetchone()[0] == "unknown"
    assert w.send_staff_message() is None


def test_outside_the_24_hour_window_free_text_is_refused_before_sending(world, graph):
    cfg, conn, app, w = world
    customer_writes(conn)
    clock.freeze(clock.now() + 24 * 3600 + 60)
    c = app.test_client()
    conv = c.get(f"/conversations/{CUSTOMER}", headers=BEARER).get_json()
    assert conv["window"]["open"] is False and conv["window"]["seconds_left"] == 0
    resp = c.post(f"/conversations/{CUSTOMER}/reply", json={"text": "oi"}, headers=BEARER)
    assert resp.status_code == 409 and resp.get_json()["error"] == "outside_window"
    assert "24 horas" in resp.get_json()["message"]
    assert conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    resp = c.post(f"/conversations/{CUSTOMER}/template", json={"template": "retomada", "values": ["Maria"]},
                  headers=BEARER)
    assert resp.status_code == 202
    assert w.send_staff_message() == "sent"
    tpl = staff_sends(graph)[0]["body"]["template"]
    assert tpl["name"] == "retomada_atendimento" and tpl["components"][0]["parameters"][0]["text"] == "Maria"
    assert c.post(f"/conversations/{CUSTOMER}/template", json={"template": "nope"}, headers=BEARER).status_code == 400
    assert c.post(f"/conversations/{CUSTOMER}/template", json={"template": "retomada"},
                  headers=BEARER).status_code == 400


def test_131047_marks_the_conversation_as_needing_a_template(world, graph):
    cfg, conn, app, w = world
    customer_writes(conn)
    c = app.test_client()
    graph.script = [131047]
    c.post(f"/conversations/{CUSTOMER}/reply", json={"text": "oi"}, headers=BEARER)
    assert w.send_staff_message() == "failed"
    conv = c.get(f"/conversations/{CUSTOMER}", headers=BEARER).get_json()
    assert conv["needs_template"] is True
    page = c.get(f"/conversations/{CUSTOMER}", headers=dict(BEARER, Accept="text/html")).get_data(as_text=True)
    assert "só recebe um modelo aprovado" in page and "precisa de template" not in page


def test_the_inbox_lists_waiting_held_and_recent(world):
    cfg, conn, app, w = world
    customer_writes(conn, "oi", wamid="wamid.a")
    with db.transaction(conn):
        handoff.start(conn, PNID, CUSTOMER, "complaint", "veio estragado", 240)
    data = app.test_client().get("/inbox.json", headers=BEARER).get_json()
    assert [c["wa_id"] for c in data["waiting"]] == [CUSTOMER] and data["waiting"][0]["reason"] == "complaint"
    assert data["waiting"][0]["last_text"] == "oi" and data["held"] == []
    operators.takeover(conn, (PNID, CUSTOMER), "ana", 240)
    data = app.test_client().get("/inbox.json", headers=BEARER).get_json()
    assert data["waiting"] == [] and data["held"][0]["held_by"] == "ana"


@pytest.mark.parametrize("method,path", ROUTES)
def test_nobody_without_a_session_or_token_can_do_anything(world, method, path):
    cfg, conn, app, w = world
    customer_writes(conn)
    resp = app.test_client().open(path, method=method, json={"text": "oi"})
    assert resp.status_code == 401
    assert conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0


@pytest.mark.parametrize("method,path", [r for r in ROUTES if r[0] == "POST"])
def test_every_form_checks_csrf(world, method, path):
    cfg, conn, app, w = world
    customer_writes(conn)
    c = operator(app)
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        resp = c.open(path, method=method, json={"text": "oi", "template": "retomada", "values": ["x"]},
                      headers=headers)
        assert resp.status_code == 403
    token = csrf_from(c, f"/conversations/{CUSTOMER}")
    evil = c.open(path, method=method, json={"text": "oi"},
                  headers={"X-CSRF-Token": token, "Origin": "https://evil.example"})
    assert evil.status_code == 403
    assert conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    ok = c.open(path, method=method, json={"text": "oi", "template": "retomada", "values": ["x"]},
                headers={"X-CSRF-Token": token})
    assert ok.status_code in (200, 202)


@pytest.mark.parametrize("method,path", ROUTES)
def test_operators_reach_every_new_route(world, method, path):
    cfg, conn, app, w = world
    customer_writes(conn)
    with db.transaction(conn):
        handoff.start(conn, PNID, CUSTOMER, "human_request", "atendente", 240)
    c = operator(app)
    token = csrf_from(c, f"/conversations/{CUSTOMER}")
    resp = c.open(path, method=method, json={"text": "oi", "template": "retomada", "values": ["x"]},
                  headers={"X-CSRF-Token": token})
    assert resp.status_code in (200, 202, 303), resp.get_data(as_text=True)


def test_unknown_numbers_are_404(world):
    cfg, conn, app, w = world
    c = app.test_client()
    assert c.get("/conversations/5585000000000", headers=BEARER).status_code == 404
    assert c.post("/conversations/5585000000000/reply", json={"text": "x"}, headers=BEARER).status_code == 404
    assert c.post("/conversations/not-a-number/takeover", headers=BEARER).status_code == 404


def test_figures_on_the_dashboard_and_metrics(world, graph):
    from prometheus_client.parser import text_string_to_metric_families
    cfg, conn, app, w = world
    customer_writes(conn)
    with db.transaction(conn):
        handoff.start(conn, PNID, CUSTOMER, "human_request", "atendente", 240)
    c = app.test_client()
    people = c.get("/stats", headers=BEARER).get_json()["people"]
    assert people["waiting"] == 1 and people["held"] == 0 and people["first_reply_p50_seconds"] is None
    clock.freeze(clock.now() + 90)
    c.post(f"/conversations/{CUSTOMER}/reply", json={"text": "oi"}, headers=BEARER)
    c.post(f"/conversations/{CUSTOMER}/release", json={}, headers=BEARER)
    people = c.get("/stats", headers=BEARER).get_json()["people"]
    assert people["waiting"] == 0 and people["first_reply_count"] == 1
    assert 89 <= people["first_reply_p50_seconds"] <= 91
    assert list(people["resolved_by_people_per_day"].values())[-1] == 1
    page = c.get("/dashboard", headers=dict(BEARER, Accept="text/html")).get_data(as_text=True)
    assert "1ª resposta humana" in page and "Resolvidas por pessoas" in page
    metrics = {s.name: s for fam in text_string_to_metric_families(c.get("/metrics").get_data(as_text=True))
               for s in fam.samples}
    assert metrics["chatbot_handoffs_waiting"].value == 0
    assert metrics["chatbot_handoffs_resolved_by_people_today"].value == 1
    assert 89 <= metrics["chatbot_first_human_reply_seconds"].value <= 91


def test_a_photo_sent_to_the_person_holding_it_gets_no_bot_reply(world, graph):
    cfg, conn, app, w = world
    customer_writes(conn, "oi")
    operators.takeover(conn, (PNID, CUSTOMER), "ana", 240)
    assert w.run_once() == "handoff"
    inbox.store_batch(conn, webhook.parse(load_sample("webhooks/image.json")))      # same customer
    assert w.run_once() == "handoff"
    assert graph.sends() == []
    thread = app.test_client().get(f"/conversations/{CUSTOMER}", headers=BEARER).get_json()["messages"]
    assert thread[-1]["who"] == "customer" and thread[-1]["type"] == "image"
    operators.release(conn, (PNID, CUSTOMER), "ana")
    inbox.store_batch(conn, webhook.parse(load_sample("webhooks/audio.json")))      # same customer
    assert w.run_once() == "answered"                 # with the bot again: the usual "texto, por favor"


def test_a_lone_surrogate_from_staff_is_stored_as_a_replacement_character_never_a_500(world, graph):
    """Issue 23, 8: "\\ud800" is valid JSON but not UTF-8; SQLite refused it and the route gave 500."""
    cfg, conn, app, w = world
    customer_writes(conn)
    c = app.test_client()
    resp = c.post(f"/conversations/{CUSTOMER}/reply", json={"text": "Oi \ud800 tudo bem?"}, headers=BEARER)
    assert resp.status_code == 202, resp.status_code
    resp = c.post(f"/conversations/{CUSTOMER}/template", json={"template": "retomada", "values": ["Ma\udc00ria"]},
                  headers=BEARER)
    assert resp.status_code == 202, resp.status_code
    resp = c.post(f"/conversations/{CUSTOMER}/release", json={"message": "Tchau \udfff!"}, headers=BEARER)
    assert resp.status_code == 200, resp.status_code
    assert w.send_staff_message() == "sent" and w.send_staff_message() == "sent" and w.send_staff_message() == "sent"
    sent = staff_sends(graph)
    assert sent[0]["body"]["text"]["body"] == "Oi \ufffd tudo bem?"
    assert sent[1]["body"]["template"]["components"][0]["parameters"][0]["text"] == "Ma\ufffdria"
    assert sent[2]["body"]["text"]["body"] == "Tchau \ufffd!"
