"""The operator surface over real HTTP: waitress on a free port (in this
process, and as the real chatbot-web command bound from its config file),
requests as the client."""
from __future__ import annotations

import re
import signal
import threading

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from chatbot import db
from chatbot.web.app import create_app
from chatbot.worker import Worker
from support.configs import ADMIN_TOKEN, make_cfg, toml_of
from support.seed import seed
from support.servers import ThreadedWaitress, command, free_port, wait_http
from support.web import OPERATOR, PRIVATE

BEARER = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def server(cfg):
    conn = db.connect(cfg.db_path)
    seed(conn, __import__("time").time())
    srv = ThreadedWaitress(create_app(cfg)).start()
    yield srv
    srv.stop()
    conn.close()


def http() -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    return s


def test_401_on_every_operator_endpoint_and_bearer_opens_them(server):
    s = http()
    for method, path in OPERATOR:
        resp = s.request(method, server.url + path, timeout=10, allow_redirects=False)
        assert resp.status_code == 401, path
        for private in PRIVATE:
            assert private not in resp.text
    for path in ("/dashboard", "/dashboard?hours=168", "/dashboard/fragment", "/stats?hours=168", "/conversations",
                 "/conversations/5585988880001"):
        assert s.get(server.url + path, headers=BEARER, timeout=10).status_code == 200, path


def test_login_session_and_logout_over_http(server):
    s = http()
    login_page = s.get(server.url + "/dashboard", headers={"Accept": "text/html"}, timeout=10)
    assert login_page.status_code == 401
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text).group(1)
    resp = s.post(server.url + "/login", data={"token": ADMIN_TOKEN, "csrf_token": csrf, "next": "/conversations"},
                  timeout=10, allow_redirects=False)
    assert resp.status_code == 303 and resp.headers["Location"] == "/conversations"
    page = s.get(server.url + "/dashboard", headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and "Mensagens" in page.text
    # what dashboard.js fetches every 30 s with the same cookie
    frag = s.get(server.url + "/dashboard/fragment?hours=24", headers={"Accept": "text/html"}, timeout=10)
    assert frag.status_code == 200 and "<svg" in frag.text and "<html" not in frag.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert s.post(server.url + "/logout", data={"csrf_token": token}, timeout=10,
                  allow_redirects=False).status_code == 303
    assert s.get(server.url + "/stats", timeout=10).status_code == 401


def test_hostile_text_escaped_over_http(server):
    s = http()
    convs = s.get(server.url + "/conversations?format=json", headers=BEARER, timeout=10).json()["conversations"]
    pages = [s.get(server.url + path, headers=dict(BEARER, Accept="text/html"), timeout=10).text
             for path in ["/conversations", *(f"/conversations/{c['wa_id']}" for c in convs)]]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html     # never as markup...
    escaped = [html for html in pages if "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in html]
    assert escaped                                                          # ...but shown as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[0]


def test_metrics_and_health_over_http(server):
    s = http()
    text = s.get(server.url + "/metrics", timeout=10).text
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    assert fams["chatbot_messages_handled"].samples and fams["chatbot_reply_latency_seconds"].type == "histogram"
    health = s.get(server.url + "/health", timeout=10)
    assert health.status_code in (200, 503)
    assert health.json()["status"] in ("healthy", "warning", "critical", "unhealthy")
    assert (health.status_code == 200) == (health.json()["status"] in ("healthy", "warning"))


def test_test_message_and_backup_over_http(server, cfg):
    w = Worker(cfg, owner="http-test-worker")
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    try:
        resp = http().post(server.url + "/test-message", headers=BEARER, timeout=60,
                           json={"text": "Qual o horário de domingo?", "from": "+5585999990000"})
    finally:
        w.stopping.set()
        t.join(10)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "answered" and resp.json()["from"] == "5585999990000"
    resp = http().post(server.url + "/admin/backup", headers=BEARER, timeout=120)
    assert resp.status_code == 200 and resp.json()["path"].startswith(str(cfg.backup_dir))


@pytest.mark.slow
def test_chatbot_web_binds_where_the_config_says(tmp_path):
    port = free_port()
    cfg_dict = {"paths": {"state_dir": str(tmp_path / "state")}, "admin": {"token": ADMIN_TOKEN},
                "llm": {"enabled": False}, "web": {"host": "127.0.0.1", "port": port, "metrics_allow": ["10.0.0.0/8"]}}
    path = tmp_path / "chatbot.toml"
    path.write_text(toml_of(cfg_dict))
    make_cfg(tmp_path)         # the same config reads (keys valid)
    proc = command("chatbot-web", path)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/health", timeout=30)
        s = http()
        assert s.get(url + "/stats", timeout=10).status_code == 401
        assert s.get(url + "/stats", headers=BEARER, timeout=10).status_code == 200
        assert s.get(url + "/metrics", timeout=10).status_code == 403          # 127.0.0.1 is not allowed
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
