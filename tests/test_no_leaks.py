"""Nothing leaks: the access token, app secret, verify token, admin token and
SMTP password never appear in logs, error pages, /stats, /health, /metrics,
the backup's manifest or any --json output; customers' numbers appear only
masked in logs; the database and backups are not readable by other users.

Everything runs for real: chatbot-web and chatbot-worker as processes with the
secrets in their environment (as systemd's EnvironmentFile= gives them), the
Graph API stand-in answering one send with 190, the jobs as processes, and an
SMTP server that refuses the login."""
import json
import stat
import tarfile

import pytest
import requests

from chatbot import db
from chatbot.whatsapp import sendtest
from support.configs import toml_of
from support.servers import command, free_port, run, wait_http
from support.waiting import wait_drained

SECRETS = {
    "WHATSAPP_APP_SECRET": "leakcheck-app-secret-Q1w2E3",
    "WHATSAPP_ACCESS_TOKEN": "EAAGleakcheckACCESStokenZ9y8X7",
    "WHATSAPP_VERIFY_TOKEN": "leakcheck-verify-token-P0o9",
    "CHATBOT_ADMIN_TOKEN": "leakcheck-admin-token-M5n6B7v8-q9w0e1r2t3",
    "CHATBOT_SMTP_PASSWORD": "leakcheck-smtp-password-K4j3",
}
CUSTOMER = "5585999912345"


def no_secret_in(where: str, text: str) -> None:
    for name, value in SECRETS.items():
        assert value not in text, f"{name} leaked into {where}"
        # Pieces of it too (a token cut by a formatter or a traceback).
        assert value[:16] not in text, f"part of {name} leaked into {where}"


@pytest.mark.slow
def test_secrets_and_numbers_never_leak(tmp_path, graph):
    port, smtp_port = free_port(), free_port()
    cfg_path = tmp_path / "chatbot.toml"
    cfg_path.write_text(toml_of({
        "paths": {"state_dir": str(tmp_path / "state")},
        "web": {"host": "127.0.0.1", "port": port, "secure_cookies": False},
        "whatsapp": {"api_base_url": graph.url, "max_message_age_minutes": 0},
        "llm": {"enabled": False},
        # Nothing listens there: the alert mail fails, and its error must not carry the password.
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none", "username": "ops",
                 "recipients": ["ops@example.com"]},
        "alerts": {"pending_minutes": 0.0},
    }))
    env = dict(SECRETS)
    logs = {n: tmp_path / f"{n}.log" for n in ("web", "worker")}
    procs = {n: command(f"chatbot-{n}", cfg_path, env=env, stdout=open(logs[n], "w"), stderr=-2)
             for n in ("web",)}
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/health")
    procs["worker"] = command("chatbot-worker", cfg_path, env=env, stdout=open(logs["worker"], "w"), stderr=-2)
    outputs: dict[str, str] = {}
    try:
        # Traffic: a server error (retried), two replies sent, then the token expires (190).
        graph.script = ["500-bare", "ok", "ok", 190]
        for _i, text in enumerate(["oi", "aceita pix?", "qual o horário?"]):
            body, _ = sendtest.build_payload(text, CUSTOMER, "106540352242922")
            r = requests.post(base + "/webhook", data=body, timeout=10,
                              headers={"X-Hub-Signature-256": sendtest.sign(body, SECRETS["WHATSAPP_APP_SECRET"])})
            assert r.status_code == 200
        # A forged signature and a wrong verify token: the error answers and logs.
        outputs["403 webhook"] = requests.post(base + "/webhook", data=b"{}", timeout=10,
                                               headers={"X-Hub-Signature-256": "sha256=00"}).text
        outputs["403 verify"] = requests.get(base + "/webhook", params={"hub.mode": "subscribe",
                                             "hub.verify_token": "nope", "hub.challenge": "1"}, timeout=10).text
        conn = db.connect(tmp_path / "state" / "chatbot.db")
        wait_drained(conn, 60)
        auth = {"Authorization": "Bearer " + SECRETS["CHATBOT_ADMIN_TOKEN"]}
        for path, headers in [("/health", {}), ("/metrics", {}), ("/stats?hours=24", auth),
                              ("/dashboard", auth), ("/conversations", auth), (f"/conversations/{CUSTOMER}", auth),
                              ("/stats", {"Authorization": "Bearer wrong"}), ("/no-such-page", {}),
                              ("/admin/backup", auth)]:   # GET on a POST route: 405
            r = requests.get(base + path, headers=headers, timeout=30)
            outputs[f"GET {path} ({r.status_code})"] = r.text + json.dumps(dict(r.headers))
        r = requests.post(base + "/login", data={"token": "wrong-" + SECRETS["CHATBOT_ADMIN_TOKEN"][:4]}, timeout=10)
        outputs[f"POST /login ({r.status_code})"] = r.text
        r = requests.post(base + "/admin/backup", headers=auth, timeout=120)
        assert r.status_code == 200, r.text
        outputs["POST /admin/backup"] = r.text

        # The jobs and commands, with --json.
        for cmd in (["chatbot-collect-metrics", "--json"], ["chatbot-check-alerts", "--json"],
                    ["chatbot-check-alerts", "--test", "--json"], ["chatbot-backup", "--json"],
                    ["chatbot-healthcheck", "--json"], ["chatbot-cleanup", "--json", "--vacuum", "never"],
                    ["chatbot", "inbox", "list", "--json"],
                    ["chatbot", "send-test", "oi", "--json", "--from", CUSTOMER]):
            res = run(cmd[0], cfg_path, *cmd[1:], env=env, timeout=180)
            outputs[" ".join(cmd)] = res.stdout + res.stderr
        assert "190" in outputs["chatbot-check-alerts --json"]   # the token alert did fire
    finally:
        for p in procs.values():
            p.terminate()
            p.wait(30)

    for name, path in logs.items():
        outputs[f"{name} log"] = path.read_text(errors="replace")
    # The Graph API did get the token: the check above is not vacuous.
    assert any(r["headers"].get("Authorization") == "Bearer " + SECRETS["WHATSAPP_ACCESS_TOKEN"]
               for r in graph.requests)
    for where, text in outputs.items():
        no_secret_in(where, text)
    for where in ("web log", "worker log", "chatbot-check-alerts --json", "chatbot-collect-metrics --json"):
        assert CUSTOMER not in outputs[where], f"a full customer number in {where}"
    assert "*********2345" in outputs["worker log"]

    # Backups: the manifest holds no secret, and nobody else may read an archive or the database.
    state = tmp_path / "state"
    archives = sorted((state / "backups").glob("*.tar.gz"))
    assert archives
    for archive in archives:
        with tarfile.open(archive) as tar:
            manifest = [m for m in tar.getmembers() if m.name.endswith("manifest.json")]
            assert manifest
            no_secret_in(f"manifest of {archive.name}", tar.extractfile(manifest[0]).read().decode())
        assert stat.S_IMODE(archive.stat().st_mode) & 0o077 == 0, oct(archive.stat().st_mode)
    for f in state.glob("chatbot.db*"):
        assert stat.S_IMODE(f.stat().st_mode) & 0o007 == 0, (f, oct(f.stat().st_mode))
