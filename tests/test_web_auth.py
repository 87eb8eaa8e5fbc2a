"""The admin token guards every admin endpoint: bearer header, login form,
server-side session cookie, CSRF on form posts; 401s that carry no data; no
secrets in any answer; security headers. Flask's test client on real SQLite
files. (User accounts and roles: test_web_roles.py.)"""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from chatbot import clock, db
from chatbot.web.app import create_app
from support.configs import ADMIN_TOKEN, make_cfg
from support.seed import NOW, seed
from support.web import BEARER, OPERATOR, PRIVATE, csrf_of, login


@pytest.fixture
def seeded(cfg, conn):
    clock.freeze(NOW)
    seed(conn, NOW)
    return conn


@pytest.mark.parametrize("method,path", OPERATOR)
def test_every_operator_endpoint_answers_401_without_the_token(client, seeded, method, path):
    resp = client.open(path, method=method, data={"text": "oi"})
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert resp.get_json() == {"error": "unauthorized"}
    assert "Set-Cookie" not in resp.headers or "admin" not in resp.headers["Set-Cookie"]


@pytest.mark.parametrize("method,path", OPERATOR)
def test_a_wrong_token_is_401_and_leaks_nothing(client, seeded, method, path):
    resp = client.open(path, method=method, headers={"Authorization": f"Bearer {ADMIN_TOKEN}x",
                                                      "Accept": "text/html"})
    assert resp.status_code == 401
    body = resp.get_data(as_text=True).replace(path, "")     # the login form echoes where to go next
    for private in PRIVATE:
        assert private not in body


def test_a_browser_gets_the_login_form_with_401_and_no_data(client, seeded):
    resp = client.get("/dashboard", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert resp.status_code == 401
    body = resp.get_data(as_text=True)
    assert 'name="password"' in body and 'name="next" value="/dashboard"' in body
    for private in PRIVATE:
        assert private not in body


def test_the_bearer_token_opens_every_page(client, seeded):
    for path in ("/dashboard", "/dashboard/fragment", "/stats", "/conversations", "/conversations/5585988880001"):
        assert client.get(path, headers=BEARER).status_code == 200, path
    assert client.get("/", headers=BEARER).status_code == 303


def test_a_wrong_bearer_never_falls_back_to_the_session_cookie(client, seeded):
    assert login(client).status_code == 303
    assert client.get("/stats").status_code == 200
    assert client.get("/stats", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_with_no_admin_token_and_no_users_nobody_gets_in(tmp_path):
    app = create_app(make_cfg(tmp_path, admin={"token": ""}))
    c = app.test_client()
    assert c.get("/stats", headers={"Authorization": "Bearer "}).status_code == 401
    assert c.get("/stats", headers={"Authorization": "Bearer x"}).status_code == 401
    assert login(c, token="").status_code == 401
    assert login(c, token="anything", name="admin").status_code == 401
    assert c.get("/stats").status_code == 401


def test_login_form_sets_a_session_cookie_that_opens_the_dashboard(client, seeded):
    resp = login(client)
    assert resp.status_code == 303 and resp.headers["Location"] == "/dashboard"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = client.get("/dashboard", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Painel" in page.get_data(as_text=True)


def test_the_cookie_is_secure_by_default(tmp_path):
    app = create_app(make_cfg(tmp_path, web={"secure_cookies": True}))
    resp = login(app.test_client(), base_url="https://localhost")
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("__Host-chatbot=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie


def test_the_cookie_is_a_random_id_the_database_keeps_only_hashed(client, seeded, cfg):
    login(client)
    value = client.get_cookie("chatbot_session").value
    assert ADMIN_TOKEN not in value and len(value) >= 40
    rows = db.connect(cfg.db_path).execute("SELECT * FROM web_sessions").fetchall()
    assert len(rows) == 1 and rows[0]["user_id"] is None
    dump = repr([tuple(r) for r in rows])
    assert value not in dump and ADMIN_TOKEN not in dump


def test_a_wrong_token_in_the_form_is_refused_then_throttled(client, seeded):
    for _ in range(9):
        assert login(client, token="guess").status_code == 401
    assert "Token inválido" in login(client, token="guess").get_data(as_text=True)
    resp = login(client)          # even the right token waits once the address is throttled
    assert resp.status_code == 429
    assert client.get("/stats", headers=BEARER).status_code == 429     # on the Bearer path too
    clock.advance(601)
    assert login(client).status_code == 303


def test_login_without_its_csrf_token_is_refused(client, seeded):
    client.get("/login")
    resp = client.post("/login", data={"token": ADMIN_TOKEN})
    assert resp.status_code == 400
    assert client.get("/stats").status_code == 401


@pytest.mark.parametrize("target,expected", [
    ("/conversations", "/conversations"), ("/stats?hours=168", "/stats?hours=168"),
    ("//evil.example/x", "/dashboard"), ("https://evil.example/", "/dashboard"), ("/\\evil.example", "/dashboard"),
    ("javascript:alert(1)", "/dashboard"), ("/login", "/dashboard"), ("", "/dashboard"),
    ("/%0d%0aSet-Cookie:x=1", "/%0d%0aSet-Cookie:x=1")])
def test_login_redirects_only_to_a_path_on_this_site(client, seeded, target, expected):
    resp = login(client, next_path=target)
    assert resp.status_code == 303
    assert resp.headers["Location"] == expected


def test_form_posts_with_the_cookie_need_the_csrf_token(client, seeded, cfg):
    login(client)
    assert client.post("/test-message", data={"text": "oi", "timeout": "1"}).status_code == 403
    assert client.post("/admin/backup").status_code == 403
    token = csrf_of(client)
    assert client.post("/admin/backup", data={"csrf_token": "x" + token}).status_code == 403
    cross = client.post("/admin/backup", data={"csrf_token": token}, headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403
    ok = client.post("/admin/backup", data={"csrf_token": token}, headers={"Accept": "text/html"})
    assert ok.status_code == 200 and "Backup concluído" in ok.get_data(as_text=True)
    assert list(cfg.backup_dir.glob("chatbot-backup-*.tar.gz"))


def test_logout_ends_the_session_on_the_server(client, seeded, app):
    login(client)
    captured = client.get_cookie("chatbot_session").value
    token = csrf_of(client)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/stats").status_code == 401
    thief = app.test_client()           # a copy of the cookie taken before the logout
    thief.set_cookie("chatbot_session", captured)
    assert thief.get("/stats").status_code == 401


def test_the_session_expires_after_12_hours(client, seeded):
    login(client)
    assert client.get("/stats").status_code == 200
    clock.advance(12 * 3600 + 1)
    assert client.get("/stats").status_code == 401


def test_a_new_admin_token_ends_token_logins(tmp_path):
    cfg1 = make_cfg(tmp_path)
    c1 = create_app(cfg1).test_client()
    login(c1)
    cookie = c1.get_cookie("chatbot_session")
    assert create_app(cfg1).test_client().get("/stats").status_code == 401      # no cookie, no entry
    same = create_app(cfg1).test_client()          # a restart with the same token keeps the session
    same.set_cookie("chatbot_session", cookie.value)
    assert same.get("/stats").status_code == 200
    app2 = create_app(make_cfg(tmp_path, admin={"token": "a-completely-new-token-999-0123456789"}))
    c2 = app2.test_client()
    c2.set_cookie("chatbot_session", cookie.value)
    assert c2.get("/stats").status_code == 401
    why = db.connect(cfg1.db_path).execute("SELECT revoked_why FROM web_sessions").fetchone()[0]
    assert why == "admin token changed"


def test_security_headers(client, seeded):
    for resp in (client.get("/dashboard", headers=dict(BEARER, Accept="text/html")), client.get("/login"),
                 client.get("/dashboard", headers={"Accept": "text/html"})):
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["X-Frame-Options"] == "DENY"
    assert client.get("/stats", headers=BEARER).headers["Cache-Control"] == "no-store"
    assert client.get("/metrics").headers["X-Content-Type-Options"] == "nosniff"


class Elements(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_pages_have_no_inline_script_style_or_handler(client, seeded):
    """What lets the CSP forbid inline code; the hostile texts seeded stay text."""
    for path in ("/dashboard", "/conversations", "/conversations/5585988880001", "/conversations/5585988880005",
                 "/login"):
        tags = Elements(client.get(path, headers=dict(BEARER, Accept="text/html")).get_data(as_text=True)).tags
        # every script is a file; a JSON data block (type="application/json") is data, not code
        assert all(a.get("src") or a.get("type") == "application/json"
                   for t, a in tags if t == "script"), path
        assert not [t for t, a in tags if t == "style" or "style" in a], path
        assert not [(t, a) for t, a in tags if any(k.startswith("on") for k in a)], path
        assert not [t for t, a in tags if t == "img"], path


def test_secrets_never_reach_stats_health_or_pages(tmp_path):
    secrets = {"access_token": "EAAG-secret-access-token-1234", "app_secret": "secret-app-secret-5678"}
    cfg = make_cfg(tmp_path, whatsapp=secrets, smtp={"host": "localhost", "password": "smtp-pass-abcdef"})
    app = create_app(cfg)
    conn = db.connect(cfg.db_path)
    seed(conn, clock.now())
    with db.transaction(conn):    # free text that quotes configuration values
        conn.execute("INSERT INTO job_runs (job, started_at, finished_at, status, message) VALUES"
                     " ('backup', ?, ?, 'failed', ?)", (clock.now(), clock.now(),
                                                       "login failed with smtp-pass-abcdef"))
        conn.execute("INSERT INTO api_errors (ts, code, http_status, message, retryable) VALUES (?,190,401,?,0)",
                     (clock.now(), "token EAAG-secret-access-token-1234 expired"))
        conn.execute("INSERT INTO events (ts, success, error, intent) VALUES (?, 0, ?, 'x')",
                     (clock.now(), "signature with secret-app-secret-5678"))
    c = app.test_client()
    bodies = [c.get(p, headers=BEARER).get_data(as_text=True)
              for p in ("/stats", "/health", "/metrics", "/conversations")]
    bodies.append(c.get("/dashboard", headers=dict(BEARER, Accept="text/html")).get_data(as_text=True))
    for body in bodies:
        for value in cfg.secrets():
            assert value not in body
    assert "login failed with ***" in bodies[0]


def test_error_answers_are_one_line_without_secrets(tmp_path):
    cfg = make_cfg(tmp_path, whatsapp={"access_token": "EAAG-secret-access-token-1234",
                                       "app_secret": "secret-app-secret-5678"})
    app = create_app(cfg)

    def boom():
        raise RuntimeError("failed with EAAG-secret-access-token-1234")
    app.add_url_rule("/boom", view_func=boom)
    c = app.test_client()
    for accept in ("text/html", "application/json"):
        resp = c.get("/boom", headers={"Accept": accept})
        assert resp.status_code == 500
        body = resp.get_data(as_text=True)
        assert "EAAG" not in body and "Traceback" not in body and "RuntimeError" not in body
    db.connect(cfg.db_path).execute("DROP TABLE conversations")        # a damaged database
    resp = c.get("/conversations", headers=BEARER)
    assert resp.status_code == 503
    assert resp.get_json() == {"error": "Banco de dados indisponível: no such table: conversations"}
