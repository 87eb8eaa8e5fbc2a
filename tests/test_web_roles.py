"""Staff accounts on the web: login with name and password, what each role may
reach, sessions that end on the server (logout, new password, removed user),
per-client throttling on both paths behind trusted proxies, the Origin check
against [web] public_url, and the require_role helper other blueprints use.
Flask's test client on real SQLite files."""
from __future__ import annotations

import pytest
from flask import Blueprint, jsonify

from chatbot import accounts, clock, config
from chatbot.web.app import create_app
from chatbot.web.auth import require_role
from support.configs import ADMIN_TOKEN, make_cfg
from support.seed import NOW, seed
from support.web import BEARER, csrf_of, login

PASSWORD = "correct horse battery"
# Every route that needs more than an operator, and what an operator may use.
ADMIN_ONLY = [("GET", "/dashboard"), ("GET", "/dashboard/fragment"), ("GET", "/stats"),
              ("POST", "/admin/backup"), ("POST", "/test-message"), ("GET", "/users"),
              ("POST", "/users/ana/logout")]
OPERATOR_OK = [("GET", "/conversations"), ("GET", "/conversations/5585988880001"), ("GET", "/inbox"),
               ("GET", "/inbox.json")]


@pytest.fixture
def staff(cfg, conn):
    clock.freeze(NOW)
    seed(conn, NOW)
    for name, role in (("ana", "operator"), ("gil", "manager"), ("rui", "admin")):
        accounts.add(conn, name, role, PASSWORD)
    return conn


def as_user(app, name, password=PASSWORD):
    c = app.test_client()
    resp = login(c, token=password, name=name)
    return c, resp


def test_login_with_name_and_password_lands_on_the_role_s_home(app, staff):
    c, resp = as_user(app, "ana")
    assert resp.status_code == 303 and resp.headers["Location"] == "/inbox"
    page = c.get("/inbox", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "ana · atendente" in page and ">Painel<" not in page and ">Usuários<" not in page
    c, resp = as_user(app, "rui")
    assert resp.headers["Location"] == "/dashboard"
    assert ">Usuários<" in c.get("/dashboard", headers={"Accept": "text/html"}).get_data(as_text=True)


def test_names_are_case_insensitive_and_wrong_passwords_say_nothing_more(app, staff):
    assert as_user(app, "ANA")[1].status_code == 303
    wrong = as_user(app, "ana", "not the password")[1]
    nobody = as_user(app, "nobody", "not the password")[1]
    assert wrong.status_code == nobody.status_code == 401
    assert "Usuário ou senha incorretos." in wrong.get_data(as_text=True)
    assert "Usuário ou senha incorretos." in nobody.get_data(as_text=True)


@pytest.mark.parametrize("method,path", ADMIN_ONLY)
@pytest.mark.parametrize("name", ["ana", "gil"])
def test_operators_and_managers_cannot_reach_admin_routes(app, staff, name, method, path, cfg):
    c, _ = as_user(app, name)
    token = csrf_of_conversations(c)
    resp = c.open(path, method=method, data={"csrf_token": token, "text": "oi"})
    assert resp.status_code == 403
    assert resp.get_json() == {"error": "forbidden"}
    assert not list(cfg.backup_dir.glob("*.tar.gz"))
    html = c.open(path, method=method, data={"csrf_token": token}, headers={"Accept": "text/html"})
    assert html.status_code == 403 and "não tem acesso" in html.get_data(as_text=True)


@pytest.mark.parametrize("method,path", OPERATOR_OK)
def test_every_role_reaches_the_conversations(app, staff, method, path):
    for name in ("ana", "gil", "rui"):
        c, _ = as_user(app, name)
        assert c.open(path, method=method).status_code == 200, name
    assert app.test_client().open(path, method=method, headers=BEARER).status_code == 200


@pytest.mark.parametrize("method,path", ADMIN_ONLY + OPERATOR_OK)
def test_admins_reach_everything_and_nobody_without_a_session(app, staff, method, path):
    anon = app.test_client().open(path, method=method, data={"text": "oi"})
    assert anon.status_code == 401
    c, _ = as_user(app, "rui")
    resp = c.open(path, method=method, data={"csrf_token": csrf_of(c), "text": "oi", "timeout": "1"})
    assert resp.status_code not in (401, 403)


def csrf_of_conversations(client) -> str:
    import re
    page = client.get("/conversations", headers={"Accept": "text/html"}).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_forms_posted_with_a_user_session_need_its_csrf_token(app, staff):
    c, _ = as_user(app, "rui")
    assert c.post("/users/ana/logout").status_code == 403
    assert c.post("/users/ana/logout", data={"csrf_token": "forged"}).status_code == 403
    assert c.post("/logout").status_code == 403
    assert c.get("/stats").status_code == 200        # still logged in


def test_a_password_change_ends_that_user_s_sessions_only(app, staff, conn):
    ana, _ = as_user(app, "ana")
    ana2, _ = as_user(app, "ana")
    rui, _ = as_user(app, "rui")
    assert accounts.set_password(conn, "ana", "a brand new password") == 2
    assert ana.get("/conversations").status_code == 401
    assert ana2.get("/conversations").status_code == 401
    assert rui.get("/conversations").status_code == 200
    assert as_user(app, "ana")[1].status_code == 401
    assert as_user(app, "ana", "a brand new password")[1].status_code == 303


def test_removing_a_user_ends_their_sessions(app, staff, conn):
    ana, _ = as_user(app, "ana")
    assert accounts.remove(conn, "ana") == 1
    assert ana.get("/conversations").status_code == 401
    assert conn.execute("SELECT COUNT(*) FROM web_sessions WHERE user_id IS NOT NULL").fetchone()[0] == 0


def test_a_role_change_applies_on_the_next_request(app, staff, conn):
    ana, _ = as_user(app, "ana")
    assert ana.get("/stats").status_code == 403
    accounts.set_role(conn, "ana", "admin")
    assert ana.get("/stats").status_code == 200


def test_an_admin_ends_another_user_s_sessions_from_the_users_page(app, staff):
    ana, _ = as_user(app, "ana")
    rui, _ = as_user(app, "rui")
    page = rui.get("/users", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "ana" in page and "encerrar sessões" in page and "scrypt" not in page
    resp = rui.post("/users/ana/logout", data={"csrf_token": csrf_of(rui)})
    assert resp.get_json() == {"user": "ana", "ended": 1}
    assert ana.get("/conversations").status_code == 401
    assert rui.post("/users/nobody/logout", data={"csrf_token": csrf_of(rui)}).status_code == 404
    listing = app.test_client().get("/users", headers=BEARER).get_json()["users"]
    assert {u["name"]: u["sessions"] for u in listing} == {"ana": 0, "gil": 0, "rui": 1}
    assert "password_hash" not in listing[0]


def test_sessions_expire_after_12_hours_and_survive_a_restart(staff, cfg):
    c, _ = as_user(create_app(cfg), "ana")
    cookie = c.get_cookie("chatbot_session").value
    again = create_app(cfg).test_client()
    again.set_cookie("chatbot_session", cookie)
    assert again.get("/conversations").status_code == 200
    clock.advance(12 * 3600 + 1)
    assert again.get("/conversations").status_code == 401


def test_require_role_guards_another_blueprint(cfg, staff):
    bp = Blueprint("catalog_test", __name__)

    @bp.get("/catalog-test")
    @require_role("manager")
    def catalog():
        return jsonify({"ok": True})

    app = create_app(cfg)
    app.register_blueprint(bp)
    assert app.test_client().get("/catalog-test").status_code == 401
    assert as_user(app, "ana")[0].get("/catalog-test").status_code == 403
    assert as_user(app, "gil")[0].get("/catalog-test").status_code == 200
    assert as_user(app, "rui")[0].get("/catalog-test").status_code == 200
    assert app.test_client().get("/catalog-test", headers=BEARER).status_code == 200


# -- throttling per client, proxies --------------------------------------------------------

def _from(addr):
    return {"environ_base": {"REMOTE_ADDR": addr}}


def test_wrong_bearer_tokens_are_throttled_per_client(app, staff):
    c = app.test_client()
    wrong = {"Authorization": "Bearer " + "x" * 40}
    for _ in range(10):
        assert c.get("/stats", headers=wrong, **_from("192.0.2.7")).status_code == 401
    assert c.get("/stats", headers=BEARER, **_from("192.0.2.7")).status_code == 429
    assert c.get("/stats", headers=BEARER, **_from("192.0.2.8")).status_code == 200
    clock.advance(601)
    assert c.get("/stats", headers=BEARER, **_from("192.0.2.7")).status_code == 200


def test_without_trusted_proxies_a_forged_forwarded_for_changes_nothing(app, staff):
    c = app.test_client()
    for i in range(10):
        c.get("/stats", headers={"Authorization": "Bearer nope", "X-Forwarded-For": f"198.51.100.{i}"})
    resp = c.get("/stats", headers=dict(BEARER, **{"X-Forwarded-For": "198.51.100.99"}))
    assert resp.status_code == 429


def test_behind_one_trusted_proxy_each_client_is_throttled_alone(tmp_path):
    app = create_app(make_cfg(tmp_path, web={"trusted_proxies": 1}))
    c = app.test_client()
    # The proxy appends the address it saw; what the client itself put first is not believed.
    for _ in range(10):
        login(c, token="guess", headers={"X-Forwarded-For": "203.0.113.1, 198.51.100.5"})
    assert login(c, headers={"X-Forwarded-For": "198.51.100.5"}).status_code == 429
    assert login(c, headers={"X-Forwarded-For": "203.0.113.1, 198.51.100.6"}).status_code == 303


def test_trusted_proxies_give_scheme_and_host_for_the_origin_check(tmp_path):
    app = create_app(make_cfg(tmp_path, web={"trusted_proxies": 1}))
    c = app.test_client()
    fwd = {"X-Forwarded-For": "198.51.100.5", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "chat.loja.example"}
    ok = login(c, headers=dict(fwd, Origin="https://chat.loja.example"))
    assert ok.status_code == 303


def test_public_url_makes_forms_work_when_the_proxy_rewrites_host(tmp_path):
    app = create_app(make_cfg(tmp_path, web={"public_url": "https://chat.loja.example"}))
    c = app.test_client()        # Host is "localhost", as nginx's proxy_set_header Host $proxy_host makes it
    assert login(c, headers={"Origin": "https://evil.example"}).status_code == 400
    assert login(c, headers={"Origin": "http://chat.loja.example"}).status_code == 400
    assert login(c, headers={"Origin": "https://chat.loja.example"}).status_code == 303
    token = csrf_of(c)
    refused = c.post("/admin/backup", data={"csrf_token": token}, headers={"Origin": "http://localhost"})
    assert refused.status_code == 403
    resp = c.post("/logout", data={"csrf_token": token}, headers={"Origin": "https://chat.loja.example"})
    assert resp.status_code == 303 and c.get("/stats").status_code == 401


@pytest.mark.parametrize("value", ["chat.loja.example", "ftp://x", "https://chat.loja.example/painel",
                                   "https://"])
def test_public_url_must_be_a_site(tmp_path, value):
    with pytest.raises(config.ConfigError, match="public_url"):
        make_cfg(tmp_path, web={"public_url": value})


def test_a_short_admin_token_is_refused_at_start(tmp_path):
    cfg = make_cfg(tmp_path, admin={"token": "x" * 31})
    with pytest.raises(config.ConfigError, match="at least 32"):
        create_app(cfg)
    create_app(make_cfg(tmp_path, admin={"token": "x" * 32}))
    create_app(make_cfg(tmp_path, admin={"token": ""}))      # no token: accounts only


def test_chatbot_web_with_a_short_token_exits_2_with_one_line(tmp_path):
    from support.servers import run
    path = tmp_path / "chatbot.toml"
    path.write_text(f'[paths]\nstate_dir = "{tmp_path / "state"}"\n[llm]\nenabled = false\n')
    proc = run("chatbot-web", path, env={"CHATBOT_ADMIN_TOKEN": "short-token"}, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "at least 32" in lines[0] and "short-token" not in proc.stderr
    assert "Traceback" not in proc.stderr


def test_tokens_install_sh_makes_are_long_enough():
    import subprocess

    from support.servers import ROOT
    script = (ROOT / "install.sh").read_text()
    assert "secrets.token_urlsafe(32)" in script
    out = subprocess.run(["python3", "-c", "import secrets; print(secrets.token_urlsafe(32))"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert len(out) >= config.MIN_ADMIN_TOKEN
    assert len(ADMIN_TOKEN) >= config.MIN_ADMIN_TOKEN


def test_password_checks_run_one_at_a_time(app, staff, monkeypatch):
    from chatbot.web import admin, throttle
    monkeypatch.setattr(admin, "_other_lane", throttle.Lane(queue=0, patience=0.2))
    assert admin._other_lane.enter()      # another login is hashing
    try:
        resp = as_user(app, "ana")[1]
        assert resp.status_code == 429
    finally:
        admin._other_lane.leave()
    assert as_user(app, "ana")[1].status_code == 303
