"""Issue 22, the staff's side: what the team expects from a chat app, through
Flask's test client on real SQLite files and, for Web Push, a stand-in push
service on loopback that checks the VAPID signature and decrypts the payload.

WhatsApp formatting rendered safely; unread counts and the notifier's feed;
transfer (the colleague is told), takeover with confirmation (the colleague's
reply refused), internal notes never sent, resolve, search; quick replies kept
by managers; who may call each new route."""
from __future__ import annotations

import re

import pytest

from chatbot import accounts, clock, db, operators, push, quickreplies
from chatbot.bot import handoff
from chatbot.web.app import create_app
from chatbot.web.richtext import whatsapp_html
from chatbot.whatsapp import inbox, webhook
from support.configs import load_sample, make_cfg
from support.push_stub import PushStub
from support.web import login

PW = "senha comprida 2026"
CUSTOMER = "5585988887777"       # the wa_id of the text.json sample
PNID = "106540352242922"
KEY = (PNID, CUSTOMER)
NEW_ROUTES = [("GET", "/notify.json", "operator"), ("GET", "/sw.js", "operator"),
              ("POST", "/push/subscribe", "operator"), ("POST", "/push/unsubscribe", "operator"),
              ("POST", f"/conversations/{CUSTOMER}/transfer", "operator"),
              ("POST", f"/conversations/{CUSTOMER}/note", "operator"),
              ("POST", f"/conversations/{CUSTOMER}/resolve", "operator"),
              ("GET", "/respostas-rapidas", "manager"), ("POST", "/respostas-rapidas", "manager"),
              ("POST", "/respostas-rapidas/1", "manager"), ("POST", "/respostas-rapidas/1/delete", "manager"),
              ("POST", "/admin/unanswered/mark", "manager"), ("POST", f"/conversations/{CUSTOMER}/wrong/1", "operator"),
              ("POST", "/users", "admin"), ("POST", "/users/bia/role", "admin"),
              ("POST", "/users/bia/password", "admin"), ("POST", "/users/bia/delete", "admin")]


@pytest.fixture
def shop(tmp_path):
    cfg = make_cfg(tmp_path)
    conn = db.connect(cfg.db_path)
    for name, role in (("ana", "operator"), ("bia", "operator"), ("gil", "manager"), ("rui", "admin")):
        accounts.add(conn, name, role, PW)
    app = create_app(cfg)
    yield cfg, conn, app
    conn.close()


def customer_writes(conn, text="quero falar com atendente", wamid=None, name=None):
    batch = webhook.parse(load_sample("webhooks/text.json"))
    m = batch.messages[0]
    m.body = text
    m.sent_at = clock.now()
    if wamid:
        m.wamid = wamid
    if name:
        m.contact_name = name
    inbox.store_batch(conn, batch)
    return m


def waiting(conn):
    customer_writes(conn)
    with db.transaction(conn):
        handoff.start(conn, PNID, CUSTOMER, "human_request", "quero falar com atendente", 240)


def staff(app, name):
    c = app.test_client()
    assert login(c, token=PW, name=name).status_code == 303
    page = c.get("/inbox", headers={"Accept": "text/html"}).get_data(as_text=True)
    c.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    return c


def post(c, path, **body):
    return c.post(path, json=body, headers={"X-CSRF-Token": c.csrf, "Accept": "application/json"})


# -- formatting -------------------------------------------------------------------------------

def test_whatsapp_formatting_is_escaped_first_then_rendered():
    assert whatsapp_html("*Arroz* _tipo 1_ ~R$ 30~") == "<strong>Arroz</strong> <em>tipo 1</em> <s>R$ 30</s>"
    assert whatsapp_html("<img src=x onerror=alert(1)> *<b>oi</b>*") == \
        "&lt;img src=x onerror=alert(1)&gt; <strong>&lt;b&gt;oi&lt;/b&gt;</strong>"
    assert whatsapp_html("2*3*4 e nome_do_arquivo_x") == "2*3*4 e nome_do_arquivo_x"     # inside words: as is
    assert whatsapp_html("*não\nfecha*") == "*não\nfecha*"                                # one line only
    assert whatsapp_html("```a *b*```") == "<code>a <strong>b</strong></code>"


def test_the_conversation_page_renders_formatting_a_tel_link_and_no_raw_markup(shop):
    cfg, conn, app = shop
    customer_writes(conn, "*urgente*: o arroz <veio> com bicho\nsegunda linha")
    c = staff(app, "ana")
    page = c.get(f"/conversations/{CUSTOMER}", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "<strong>urgente</strong>: o arroz &lt;veio&gt; com bicho\nsegunda linha" in page
    assert f'href="tel:+{CUSTOMER}"' in page
    assert 'id="composer"' in page and 'class="conv-list"' in page       # the list beside it (desktop CSS)
    customer_writes(conn, None, wamid="wamid.foto")
    conn.execute("UPDATE inbox SET msg_type='image' WHERE wamid='wamid.foto'")
    page = c.get(f"/conversations/{CUSTOMER}/thread").get_data(as_text=True)
    assert "📷 Foto" in page and "[image]" not in page


# -- unread and the notifier's feed --------------------------------------------------------------

def test_unread_counts_and_the_feed_every_page_polls(shop):
    cfg, conn, app = shop
    waiting(conn)
    ana = staff(app, "ana")
    feed = ana.get("/notify.json").get_json()
    assert (feed["waiting"], feed["unread"], feed["attention"], feed["newest_wa_id"]) == (1, 1, 1, CUSTOMER)
    assert 'class="unread"' in ana.get("/inbox/fragment").get_data(as_text=True)
    ana.get(f"/conversations/{CUSTOMER}", headers={"Accept": "text/html"})          # opened: read
    assert ana.get("/notify.json").get_json()["unread"] == 0
    customer_writes(conn, "alô?", wamid="wamid.two")
    assert operators.unread(conn, KEY, "ana") == 1 and operators.unread(conn, KEY, "bia") == 2
    # Another feature adds its own counts without touching the notifier.
    app.extensions.setdefault("chatbot.feed", []).append(lambda conn, user: {"orders": 3})
    assert ana.get("/notify.json").get_json()["orders"] == 3


# -- working as a team ---------------------------------------------------------------------------

def test_transfer_to_a_named_colleague_who_is_told(shop):
    cfg, conn, app = shop
    waiting(conn)
    ana, bia = staff(app, "ana"), staff(app, "bia")
    bia.get(f"/conversations/{CUSTOMER}", headers={"Accept": "text/html"})         # Bia had read it all before
    read_at = conn.execute("SELECT read_at FROM conversation_reads WHERE user_name='bia'").fetchone()[0]
    bia.get(f"/conversations/{CUSTOMER}/thread")                                     # polling: nothing new, no write
    assert conn.execute("SELECT read_at FROM conversation_reads WHERE user_name='bia'").fetchone()[0] == read_at
    assert post(ana, f"/conversations/{CUSTOMER}/takeover").status_code == 200
    assert post(ana, f"/conversations/{CUSTOMER}/transfer", to="ninguem").status_code == 400
    resp = post(ana, f"/conversations/{CUSTOMER}/transfer", to="bia")
    assert resp.status_code == 200 and resp.get_json()["held_by"] == "bia"
    told = bia.get("/notify.json").get_json()["transfers"]
    assert told == [{"wa_id": CUSTOMER, "by": "ana"}]
    bia.get(f"/conversations/{CUSTOMER}", headers={"Accept": "text/html"})
    assert bia.get("/notify.json").get_json()["transfers"] == []          # seen
    # Ana's reply is refused now: the conversation is Bia's.
    resp = post(ana, f"/conversations/{CUSTOMER}/reply", text="oi")
    assert resp.status_code == 409 and resp.get_json()["error"] == "held_by_other"
    assert "bia" in resp.get_json()["message"]


def test_taking_over_from_a_colleague_asks_for_confirmation_and_they_are_warned(shop):
    cfg, conn, app = shop
    waiting(conn)
    ana, bia = staff(app, "ana"), staff(app, "bia")
    assert post(ana, f"/conversations/{CUSTOMER}/takeover").status_code == 200
    resp = post(bia, f"/conversations/{CUSTOMER}/takeover")
    assert resp.status_code == 409 and resp.get_json()["error"] == "held"
    assert operators.state(conn, KEY)["held_by"] == "ana"
    page = bia.get(f"/conversations/{CUSTOMER}", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Sim, assumir no lugar de ana" in page
    assert post(bia, f"/conversations/{CUSTOMER}/takeover", confirm="1").get_json()["held_by"] == "bia"
    # Ana's page (its thread, polled) says who holds it; her reply is refused before anything is queued.
    thread = ana.get(f"/conversations/{CUSTOMER}/thread").get_data(as_text=True)
    assert 'data-held-by="bia"' in thread
    page = ana.get(f"/conversations/{CUSTOMER}", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "bia está atendendo esta conversa" in page
    before = conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    assert post(ana, f"/conversations/{CUSTOMER}/reply", text="oi").status_code == 409
    assert conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == before


def test_internal_notes_are_never_sent_and_resolve_ends_the_wait(shop):
    cfg, conn, app = shop
    waiting(conn)
    ana = staff(app, "ana")
    assert post(ana, f"/conversations/{CUSTOMER}/note", text="").status_code == 400
    resp = post(ana, f"/conversations/{CUSTOMER}/note", text="cliente *VIP*, trocar o arroz sem nota")
    assert resp.status_code == 201
    assert conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0          # nothing for the customer
    thread = ana.get(f"/conversations/{CUSTOMER}/thread").get_data(as_text=True)
    assert "nota interna de ana" in thread and "<strong>VIP</strong>" in thread
    assert post(ana, f"/conversations/{CUSTOMER}/resolve").get_json()["resolved"] is True
    st = operators.state(conn, KEY)
    assert st["mode"] == "bot" and st["resolved_by"] == "ana"
    assert operators.inbox(conn)["waiting"] == [] and ana.get("/notify.json").get_json()["waiting"] == 0
    ended = conn.execute("SELECT ended_by FROM handoffs").fetchone()[0]
    assert ended == "resolved:ana"


def test_search_by_name_number_or_words(shop):
    cfg, conn, app = shop
    customer_writes(conn, "o feijão 100% carioca chegou?", name="Joana Cliente")
    ana = staff(app, "ana")
    for q in ("joana", "988887777", "feijão", "100%"):
        page = ana.get("/inbox", query_string={"q": q}, headers={"Accept": "text/html"}).get_data(as_text=True)
        assert "1 conversa encontrada" in page, q
    page = ana.get("/inbox", query_string={"q": "50%"}, headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "0 conversas encontradas" in page      # % is a character here, not a wildcard


# -- quick replies -------------------------------------------------------------------------------

def test_quick_replies_are_kept_by_managers_and_offered_in_the_reply_box(shop):
    cfg, conn, app = shop
    customer_writes(conn)
    gil, ana = staff(app, "gil"), staff(app, "ana")
    assert post(ana, "/respostas-rapidas", shortcut="pix", body="x").status_code == 403
    assert post(gil, "/respostas-rapidas", shortcut="com espaço", body="x").status_code == 400
    resp = post(gil, "/respostas-rapidas", shortcut="/pix", body="Nossa chave *Pix* é o CNPJ 12.345.678/0001-90.")
    assert resp.status_code == 201
    assert post(gil, "/respostas-rapidas", shortcut="PIX", body="outra").status_code == 400     # one /pix
    assert [q["shortcut"] for q in quickreplies.listing(conn)] == ["pix"]
    page = ana.get(f"/conversations/{CUSTOMER}", headers={"Accept": "text/html"}).get_data(as_text=True)
    data = re.search(r'<script type="application/json" id="quick-data">(.*?)</script>', page, re.S).group(1)
    assert '"shortcut": "pix"' in data and "<" not in data
    qid = quickreplies.listing(conn)[0]["id"]
    assert post(gil, f"/respostas-rapidas/{qid}/delete").status_code == 200
    assert quickreplies.listing(conn) == []


# -- who may call ----------------------------------------------------------------------------

@pytest.mark.parametrize("method,path,role", NEW_ROUTES)
def test_who_may_call_each_new_route(shop, method, path, role):
    cfg, conn, app = shop
    customer_writes(conn)
    anon = app.test_client()
    resp = anon.open(path, method=method, headers={"Accept": "application/json"})
    assert resp.status_code == 401
    if role in ("manager", "admin"):
        ana = staff(app, "ana")
        resp = ana.open(path, method=method, json={}, headers={"X-CSRF-Token": ana.csrf, "Accept": "application/json"})
        assert resp.status_code == 403
    # Without the CSRF token a logged-in post is refused.
    if method == "POST":
        gil = staff(app, "gil")
        assert gil.post(path, json={}, headers={"Accept": "application/json"}).status_code == 403


# -- Web Push --------------------------------------------------------------------------------

def test_a_push_reaches_the_device_signed_and_encrypted(shop):
    cfg, conn, app = shop
    assert push.make_keys(push.key_path(cfg)) is True and push.make_keys(push.key_path(cfg)) is False
    with PushStub() as service:
        phone_ana, phone_bia = service.device("ana-phone"), service.device("bia-phone")
        ana, bia = staff(app, "ana"), staff(app, "bia")
        assert post(ana, "/push/subscribe", **phone_ana.subscription).status_code == 201
        assert post(bia, "/push/subscribe", **phone_bia.subscription).status_code == 201
        assert post(ana, "/push/subscribe", endpoint="javascript:alert(1)", keys={}).status_code == 400
        customer_writes(conn, name="Joana Cliente")
        with db.transaction(conn):
            handoff.start(conn, PNID, CUSTOMER, "human_request", "quero falar com atendente", 240)
        assert push.announce(conn, cfg) == 2                        # both phones ring
        assert push.announce(conn, cfg) == 0                        # once
        got = {m["device"]: m for m in service.received}
        assert got["ana-phone"]["payload"]["title"] == "Cliente aguardando atendimento"
        assert "Joana Cliente" in got["ana-phone"]["payload"]["body"]
        assert got["ana-phone"]["k"] == push.public_key(cfg) and got["ana-phone"]["claims"]["sub"]
        assert service.refused == []
        # A transfer rings the colleague's phone only.
        post(ana, f"/conversations/{CUSTOMER}/transfer", to="bia")
        assert push.announce(conn, cfg) == 1
        last = service.received[-1]
        assert last["device"] == "bia-phone" and last["payload"]["title"] == "Conversa transferida para você"
        # A device that is gone (410) is forgotten.
        service.gone.add("ana-phone")
        customer_writes(conn, "de novo", wamid="wamid.again")
        with db.transaction(conn):
            handoff.end(conn, "wa_id=?", (CUSTOMER,), "operator")
            handoff.start(conn, PNID, CUSTOMER, "complaint", "de novo", 240)
        push.announce(conn, cfg)
        assert push.devices(conn, "ana") == 0 and push.devices(conn, "bia") == 1


def test_the_stand_in_refuses_a_push_signed_with_another_key(shop, tmp_path, monkeypatch):
    cfg, conn, app = shop
    push.make_keys(push.key_path(cfg))
    with PushStub() as service:
        phone = service.device("p")
        push.subscribe(conn, "ana", phone.subscription)
        waiting(conn)
        real = push.key_path(cfg).read_bytes()
        # Same public key announced in k=, but signed by another private key: refused.
        other = tmp_path / "other.pem"
        push.make_keys(other)
        from py_vapid import Vapid02
        forged, genuine = Vapid02.from_file(str(other)), Vapid02.from_file(str(push.key_path(cfg)))
        forged._public_key = genuine.public_key
        monkeypatch.setattr(push, "_vapid", lambda cfg: forged)
        assert push.announce(conn, cfg) == 0
        assert service.refused == ["bad VAPID signature"] and push.key_path(cfg).read_bytes() == real


# -- users on the web -----------------------------------------------------------------------

def test_admins_keep_accounts_on_the_web_with_names_and_roles_in_portuguese(shop):
    cfg, conn, app = shop
    rui, gil = staff(app, "rui"), staff(app, "gil")
    assert post(gil, "/users", name="x y", role="operator", password=PW).status_code == 403
    resp = post(rui, "/users", name="João Silva", role="gerente", password=PW)
    assert resp.status_code == 201 and resp.get_json() == {"user": "João Silva", "role": "manager"}
    assert post(rui, "/users", name="João Silva", role="operator", password=PW).get_json()["error"] == \
        "Já existe um usuário com esse nome."
    assert post(rui, "/users", name="Zé", role="operator", password="curta").status_code == 400
    page = rui.get("/users", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "João Silva" in page and ">gerente<" in page and ">atendente<" in page and "manager" not in page.split(
        "<tbody>")[1].split("</tbody>")[0].replace('value="manager"', "")
    assert post(rui, "/users/João Silva/role", role="administrador").get_json()["role"] == "admin"
    assert post(rui, "/users/rui/role", role="operator").status_code == 400          # not one's own
    c = app.test_client()
    assert login(c, token=PW, name="João Silva").status_code == 303
    assert post(rui, "/users/João Silva/password", password="nova senha segura").get_json()["ended"] == 1
    assert c.get("/inbox", headers={"Accept": "application/json"}).status_code == 401          # session ended
    assert post(rui, "/users/João Silva/delete").get_json() == {"removed": "João Silva"}
    assert accounts.get(conn, "João Silva") is None
    assert post(rui, "/users/rui/delete").status_code == 400


def form(c, path, **fields):
    return c.post(path, data={**fields, "csrf_token": c.csrf}, headers={"Accept": "text/html"})


def test_a_refused_form_goes_back_to_its_page_with_the_reason(shop):
    """The browser's side of a refusal (web/answers.refused and each blueprint's handler): the
    conversation page with the reason's code, the users' list with the reason in pt-BR."""
    cfg, conn, app = shop
    waiting(conn)
    ana, bia, rui = staff(app, "ana"), staff(app, "bia"), staff(app, "rui")
    assert post(ana, f"/conversations/{CUSTOMER}/takeover").status_code == 200
    resp = form(bia, f"/conversations/{CUSTOMER}/reply", text="oi")
    assert resp.status_code == 303 and resp.location.endswith(f"/conversations/{CUSTOMER}?erro=held_by_other")
    resp = form(ana, f"/conversations/{CUSTOMER}/template", template="nenhum")
    assert resp.status_code == 303 and resp.location.endswith("?erro=no_such_template")
    assert post(ana, f"/conversations/{CUSTOMER}/template", template="nenhum").status_code == 400
    resp = form(ana, "/conversations/5511999999999/reply", text="oi")
    assert resp.status_code == 404 and "Nenhuma conversa com esse número." in resp.get_data(as_text=True)
    resp = form(rui, "/users/ninguem/role", role="operator")
    assert resp.status_code == 404 and "Usuário não encontrado." in resp.get_data(as_text=True)
    resp = form(rui, "/users", name="Zé", role="operator", password="curta")
    assert resp.status_code == 400 and "A senha precisa de pelo menos" in resp.get_data(as_text=True)
    resp = form(rui, "/users/bia/logout")
    assert resp.status_code == 303 and resp.location.endswith("/users?ok=sessoes")


# -- outside the 24-hour window ---------------------------------------------------------------

def test_the_template_picker_shows_its_text_and_the_thread_what_the_customer_read(tmp_path):
    cfg = make_cfg(tmp_path, whatsapp={"templates": {"retomada": {
        "name": "retomada_atendimento", "parameters": ["nome do cliente"],
        "text": "Olá, {{1}}! Podemos continuar seu atendimento por aqui?"}}})
    conn = db.connect(cfg.db_path)
    accounts.add(conn, "ana", "operator", PW)
    app = create_app(cfg)
    customer_writes(conn, "oi", name="Maria Souza")
    conn.execute("UPDATE inbox SET sent_at=sent_at-90000, received_at=received_at-90000")      # window closed
    ana = staff(app, "ana")
    page = ana.get(f"/conversations/{CUSTOMER}", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Olá, [nome do cliente]! Podemos continuar seu atendimento por aqui?" in page
    assert ">nome do cliente</label>" in page and 'value="Maria"' in page
    assert "valor do 1º parâmetro" not in page and "retomada_atendimento" not in page
    resp = post(ana, f"/conversations/{CUSTOMER}/template", template="retomada", values=["Maria"])
    assert resp.status_code == 202
    thread = ana.get(f"/conversations/{CUSTOMER}/thread").get_data(as_text=True)
    assert "Olá, Maria! Podemos continuar seu atendimento por aqui?" in thread and "[modelo:" not in thread
    conn.close()


# -- questions the bot could not answer --------------------------------------------------------

def test_a_wrong_bot_answer_goes_to_the_list_and_feito_or_ignorar_clear_it(shop):
    cfg, conn, app = shop
    m = customer_writes(conn, "vocês têm gás?")
    iid = conn.execute("SELECT id FROM inbox WHERE wamid=?", (m.wamid,)).fetchone()[0]
    conn.execute("INSERT INTO outbox (inbox_id, phone_number_id, wa_id, body, state, created_at, updated_at)"
                 " VALUES (?,?,?,?,?,?,?)", (iid, PNID, CUSTOMER,
                                             '{"type":"text","text":{"body":"Temos *água mineral* 500 ml."}}',
                                             "sent", clock.now(), clock.now()))
    ana, gil = staff(app, "ana"), staff(app, "gil")
    thread = ana.get(f"/conversations/{CUSTOMER}/thread").get_data(as_text=True)
    assert f'action="/conversations/{CUSTOMER}/wrong/{iid}"' in thread and "resposta errada" in thread
    assert post(ana, f"/conversations/{CUSTOMER}/wrong/99999").status_code == 404
    assert post(ana, f"/conversations/{CUSTOMER}/wrong/{iid}").status_code == 201
    groups = gil.get("/admin/unanswered", headers={"Accept": "application/json"}).get_json()["groups"]
    assert [(g["question"], g["wrong_answer"], g["reason"]) for g in groups] == \
        [("vocês têm gás?", "Temos *água mineral* 500 ml.", "resposta errada")]
    page = gil.get("/admin/unanswered", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "<strong>água mineral</strong>" in page and "1 vez" in page and "1 cliente" in page
    assert "vez(es)" not in page and "cliente(s)" not in page
    assert post(ana, "/admin/unanswered/mark", key=groups[0]["key"], state="feito").status_code == 403
    assert post(gil, "/admin/unanswered/mark", key=groups[0]["key"], state="talvez").status_code == 400
    assert post(gil, "/admin/unanswered/mark", key=groups[0]["key"], state="feito").status_code == 200
    assert gil.get("/admin/unanswered", headers={"Accept": "application/json"}).get_json()["groups"] == []


def test_chatbot_push_keys_makes_the_key_once_for_an_existing_install(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from chatbot.commands.main import cli
    from conftest import toml_of
    path = tmp_path / "chatbot.toml"
    path.write_text(toml_of({"paths": {"state_dir": str(tmp_path / "state")}, "llm": {"enabled": False}}))
    monkeypatch.setenv("CHATBOT_CONFIG", str(path))
    runner = CliRunner()
    first = runner.invoke(cli, ["push", "keys"], catch_exceptions=False)
    assert first.exit_code == 0 and first.output.startswith("made VAPID key ")
    pem = (tmp_path / "state" / "push" / "vapid_private.pem")
    assert pem.stat().st_mode & 0o077 == 0o040 and b"PRIVATE KEY" in pem.read_bytes()
    again = runner.invoke(cli, ["push", "keys"], catch_exceptions=False)
    assert again.exit_code == 0 and again.output.startswith("kept the existing VAPID key")
    status = runner.invoke(cli, ["push", "status", "--json"], catch_exceptions=False)
    assert status.exit_code == 0 and '"devices": {}' in status.output
