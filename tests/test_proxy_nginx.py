"""Behind a real reverse proxy: Debian's nginx terminates TLS (a self-signed
certificate on loopback) in front of a real chatbot-web, with the config
docs/OPERATIONS.md shows (nginx's default `Host $proxy_host`, so the service
sees Host 127.0.0.1:PORT and only [web] public_url tells it its own site).

Clients are told apart the way they are in production: by the address nginx
sees. Each client here connects from its own loopback address (127.0.0.2,
127.0.0.3, ...), nginx appends it to X-Forwarded-For, and chatbot-web
(trusted_proxies = 1) believes that last hop only.

Checked through the proxy: login with a user's name and password and with the
admin token, the Secure __Host- cookie, the backup and logout forms (CSRF and
Origin), logout ending the session on the server, failed logins and wrong
Bearer tokens throttled per client (a forged X-Forwarded-For does not
escape), the webhook signature over the proxied body, /metrics' allow-list
seeing the real client and its bearer token ([web] metrics_token), and sandbox
mode refusing unsigned posts that came through the proxy.
"""
from __future__ import annotations

import contextlib
import re
import shutil
import signal
import subprocess
import time

import pytest
import requests
from requests.adapters import HTTPAdapter

from chatbot import accounts, db
from chatbot.whatsapp import sendtest
from support.configs import ADMIN_TOKEN, APP_SECRET, toml_of
from support.servers import command, free_port, wait_http

pytestmark = pytest.mark.slow

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
PASSWORD = "senha do caixa 01"
METRICS_TOKEN = "prometheus-scrape-token-0123456789abcdef"

# The server block documented in docs/OPERATIONS.md ("Behind nginx"), with the
# test's certificate, ports and paths filled in.
SERVER_BLOCK = """
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_certificate     {cert};
        ssl_certificate_key {key};
        client_max_body_size 2m;

        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_read_timeout 90s;
        }}
    }}
"""


def nginx_conf(d, port, upstream, cert) -> str:
    return f"""
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 128; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
{SERVER_BLOCK.format(port=port, upstream=upstream, cert=cert[0], key=cert[1])}
}}
"""


class FromAddress(HTTPAdapter):
    """Connect from a given loopback address: one "client" per address."""

    def __init__(self, addr: str):
        self.addr = addr
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.addr, 0)
        super().init_poolmanager(*args, **kwargs)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory, cert):
    with behind_nginx(tmp_path_factory.mktemp("proxy"), cert, {"whatsapp": {"app_secret": APP_SECRET}}) as p:
        yield p


@contextlib.contextmanager
def behind_nginx(tmp, cert, sections: dict, trusted_proxies: int = 1):
    """A real chatbot-web (``sections`` added to its config) behind nginx with the documented server block."""
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light); the real-proxy test needs it")
    upstream, port = free_port(), free_port()
    public = f"https://localhost:{port}"
    cfg_path = tmp / "chatbot.toml"
    cfg_path.write_text(toml_of({
        "paths": {"state_dir": str(tmp / "state")},
        "web": {"host": "127.0.0.1", "port": upstream, "trusted_proxies": trusted_proxies, "public_url": public,
                "metrics_allow": ["127.0.0.5"], "metrics_token": METRICS_TOKEN},
        "llm": {"enabled": False}, **sections}))
    conn = db.connect(tmp / "state" / "chatbot.db")
    accounts.add(conn, "caixa01", "operator", PASSWORD)
    accounts.add(conn, "gerente", "admin", PASSWORD)
    web_log = open(tmp / "web.log", "w")
    web = command("chatbot-web", cfg_path, env={"CHATBOT_ADMIN_TOKEN": ADMIN_TOKEN},
                  stdout=web_log, stderr=subprocess.STDOUT)
    ngx_dir = tmp / "nginx"
    ngx_dir.mkdir()
    (ngx_dir / "nginx.conf").write_text(nginx_conf(ngx_dir, port, upstream, cert))
    ngx = subprocess.Popen([NGINX, "-p", str(ngx_dir), "-c", str(ngx_dir / "nginx.conf"), "-e",
                            str(ngx_dir / "error.log")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_http(f"http://127.0.0.1:{upstream}/health", timeout=30)
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(public + "/health", verify=str(cert[0]), timeout=2)
                break
            except requests.RequestException:
                if ngx.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start: " + ngx.stderr.read().decode()
                                       + (ngx_dir / "error.log").read_text()) from None
                time.sleep(0.1)
        yield {"url": public, "cert": str(cert[0]), "conn": conn, "state": tmp / "state", "log": tmp / "web.log",
               "upstream": f"http://127.0.0.1:{upstream}"}
    finally:
        ngx.terminate()
        ngx.wait(10)
        web.send_signal(signal.SIGTERM)
        web.wait(30)
        web_log.close()
        conn.close()


def client(p, addr: str) -> requests.Session:
    s = requests.Session()
    s.mount("https://", FromAddress(addr))
    s.verify = p["cert"]
    s.trust_env = False          # REQUESTS_CA_BUNDLE and proxy variables would override verify and the route
    return s


def csrf(s, url) -> str:
    page = s.get(url, headers={"Accept": "text/html"}, timeout=10).text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def login(p, s, secret, name=None, origin=None):
    token = csrf(s, p["url"] + "/login")
    form = {"csrf_token": token, "password": secret}
    if name:
        form["name"] = name
    return s.post(p["url"] + "/login", data=form, allow_redirects=False, timeout=30,
                  headers={"Origin": origin or p["url"], "Accept": "text/html"})


def test_login_forms_and_logout_through_the_proxy(proxied):
    p = proxied
    s = client(p, "127.0.0.2")
    resp = login(p, s, PASSWORD, name="gerente")
    assert resp.status_code == 303 and resp.headers["Location"] == "/dashboard"
    set_cookie = resp.headers["Set-Cookie"]
    assert "__Host-chatbot=" in set_cookie and "Secure" in set_cookie and "HttpOnly" in set_cookie
    dash = s.get(p["url"] + "/dashboard", headers={"Accept": "text/html"}, timeout=30)
    assert dash.status_code == 200 and "gerente · administrador" in dash.text
    token = csrf(s, p["url"] + "/dashboard")
    # The backup form: refused from another site, done from ours.
    evil = s.post(p["url"] + "/admin/backup", data={"csrf_token": token}, timeout=60,
                  headers={"Origin": "https://evil.example", "Accept": "application/json"})
    assert evil.status_code == 403
    ok = s.post(p["url"] + "/admin/backup", data={"csrf_token": token}, timeout=120,
                headers={"Origin": p["url"], "Accept": "application/json"})
    assert ok.status_code == 200 and ok.json()["path"].startswith(str(p["state"]))
    captured = s.cookies.get("__Host-chatbot")
    out = s.post(p["url"] + "/logout", data={"csrf_token": token}, allow_redirects=False, timeout=10,
                 headers={"Origin": p["url"]})
    assert out.status_code == 303
    assert s.get(p["url"] + "/stats", timeout=10).status_code == 401
    assert captured
    replay = client(p, "127.0.0.2")          # the cookie as someone copied it before the logout
    assert replay.get(p["url"] + "/stats", headers={"Cookie": f"__Host-chatbot={captured}"},
                      timeout=10).status_code == 401


def test_operators_log_in_and_the_admin_token_still_works(proxied):
    p = proxied
    s = client(p, "127.0.0.6")
    resp = login(p, s, PASSWORD, name="caixa01")
    assert resp.status_code == 303 and resp.headers["Location"] == "/inbox"
    assert s.get(p["url"] + "/inbox", timeout=10).status_code == 200
    assert s.get(p["url"] + "/stats", timeout=10).status_code == 403
    t = client(p, "127.0.0.6")
    assert login(p, t, ADMIN_TOKEN).status_code == 303
    assert t.get(p["url"] + "/stats", timeout=30).status_code == 200
    bearer = client(p, "127.0.0.6").get(p["url"] + "/stats", timeout=30,
                                          headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert bearer.status_code == 200


def test_failed_logins_are_throttled_per_client_through_the_proxy(proxied):
    """A name's wrong passwords from one client make that name wait at that client's address
    (web/throttle.py); the client is the one nginx names, whatever it claims, and another client
    logs in as the same user at once."""
    p = proxied
    a, b = client(p, "127.0.0.3"), client(p, "127.0.0.4")
    for _ in range(3):
        assert login(p, a, "not the password", name="caixa01").status_code == 401
    assert login(p, a, PASSWORD, name="caixa01").status_code == 429
    # A client cannot step out of it by claiming to be someone else.
    a.headers["X-Forwarded-For"] = "198.51.100.77"
    assert login(p, a, PASSWORD, name="caixa01").status_code == 429
    # Another client, same user: not affected.
    assert login(p, b, PASSWORD, name="caixa01").status_code == 303


def test_wrong_bearer_tokens_are_throttled_per_client_through_the_proxy(proxied):
    p = proxied
    c, d = client(p, "127.0.0.7"), client(p, "127.0.0.8")
    for _ in range(10):
        r = c.get(p["url"] + "/stats", headers={"Authorization": "Bearer " + "w" * 40}, timeout=10)
        assert r.status_code == 401
    right = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert c.get(p["url"] + "/stats", headers=right, timeout=10).status_code == 429
    assert d.get(p["url"] + "/stats", headers=right, timeout=30).status_code == 200
    log = p["log"].read_text()
    assert "wrong Bearer token from 127.0.0.7" in log and ADMIN_TOKEN not in log


def test_the_webhook_signature_holds_through_the_proxy(proxied):
    p = proxied
    s = client(p, "127.0.0.9")
    body, wamid = sendtest.build_payload("vocês abrem domingo?", "5585999990042", "sandbox")
    good = s.post(p["url"] + "/webhook", data=body, timeout=10,
                  headers={"X-Hub-Signature-256": sendtest.sign(body, APP_SECRET),
                           "Content-Type": "application/json"})
    assert good.status_code == 200
    assert p["conn"].execute("SELECT COUNT(*) FROM inbox WHERE wamid=?", (wamid,)).fetchone()[0] == 1
    forged = s.post(p["url"] + "/webhook", data=body.replace(b"domingo", b"sabado"), timeout=10,
                    headers={"X-Hub-Signature-256": sendtest.sign(body, APP_SECRET),
                             "Content-Type": "application/json"})
    assert forged.status_code == 403


def test_metrics_allow_sees_the_real_client_and_wants_its_token_through_the_proxy(proxied):
    """Issue 10 item 11: behind a local proxy every client is 127.0.0.1 to the service,
    unless trusted_proxies says where the real one is; and the token is asked for as well."""
    p = proxied
    bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    scrape = client(p, "127.0.0.5").get(p["url"] + "/metrics", headers=bearer, timeout=30)
    assert scrape.status_code == 200 and "chatbot_build_info" in scrape.text
    assert client(p, "127.0.0.5").get(p["url"] + "/metrics", timeout=30).status_code in (401, 403)
    wrong = {"Authorization": "Bearer not-the-metrics-token-at-all-0000000000"}
    assert client(p, "127.0.0.5").get(p["url"] + "/metrics", headers=wrong, timeout=30).status_code in (401, 403)
    assert client(p, "127.0.0.10").get(p["url"] + "/metrics", headers=bearer, timeout=30).status_code == 403


@pytest.mark.parametrize("trusted_proxies", [1, 0])
def test_sandbox_refuses_unsigned_posts_that_came_through_the_proxy(tmp_path, cert, trusted_proxies):
    """Issue 23, 6: with no app secret, chatbot-web on 127.0.0.1 behind the documented nginx took
    anyone's unsigned post (every client connects from 127.0.0.1). Now they are refused; a program
    on the host itself (chatbot send-test) still posts straight to chatbot-web."""
    with behind_nginx(tmp_path, cert, {}, trusted_proxies) as p:
        body, wamid = sendtest.build_payload("oi, aqui é a Mariana", "5585999990077", "sandbox")
        via_proxy = client(p, "127.0.0.9").post(p["url"] + "/webhook", data=body, timeout=10,
                                                 headers={"Content-Type": "application/json"})
        assert via_proxy.status_code == 403
        assert p["conn"].execute("SELECT COUNT(*) FROM inbox").fetchone()[0] == 0
        direct = requests.post(p["upstream"] + "/webhook", data=body, timeout=10,
                               headers={"Content-Type": "application/json"})
        assert direct.status_code == 200
        assert p["conn"].execute("SELECT COUNT(*) FROM inbox WHERE wamid=?", (wamid,)).fetchone()[0] == 1
