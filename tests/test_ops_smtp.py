"""Alert e-mails through a real SMTP server (aiosmtpd on a free port):
plain, STARTTLS with login, implicit TLS with login; the server down."""
from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from chatbot import clock, db
from chatbot.commands.jobs import check_alerts
from chatbot.ops import alerts, notify
from support.configs import make_cfg, toml_of
from support.servers import free_port, run, server_context
from support.smtp import Inbox

# aiosmtpd cannot tell that an implicit-TLS connection is encrypted (see smtp_server).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

PASSWORD = "smtp-pass-Zq81-secret"
USER = "alerts@loja.example"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server(request, cert):
    """Yields (inbox, port, mode); mode from the test's parametrization."""
    mode = getattr(request, "param", "plain")
    inbox, port = Inbox(), free_port()
    kw = dict(hostname="127.0.0.1", port=port)
    if mode == "starttls":
        kw.update(tls_context=server_context(cert), require_starttls=True, auth_required=True,
                  authenticator=authenticator)
    elif mode == "ssl":
        # aiosmtpd does not notice implicit TLS, so it must be told AUTH is fine here.
        kw.update(ssl_context=server_context(cert), auth_required=True, authenticator=authenticator,
                  auth_require_tls=False)
    controller = Controller(inbox, **kw)
    controller.start()
    yield inbox, port, mode
    controller.stop()


def smtp_cfg(tmp_path, port, mode, cert, **alerts_extra):
    smtp = {"host": "127.0.0.1", "port": port, "security": "none" if mode == "plain" else mode,
            "sender": "chatbot@loja.example", "recipients": ["gerente@loja.example"], "timeout_seconds": 5.0}
    if mode != "plain":
        smtp.update(username=USER, password=PASSWORD, ca_file=str(cert[0]))
    # Only the rule under test may fire: no worker or timers run here.
    a = {"check_web": False, "hostname": "caixa-01", "pending_minutes": 10.0, "worker_stale_seconds": 1e9,
         "job_grace_minutes": 1e9, **alerts_extra}
    return make_cfg(tmp_path, smtp=smtp, alerts=a)


@pytest.mark.parametrize("smtp_server", ["plain", "starttls", "ssl"], indirect=True)
def test_firing_and_resolved_mails_arrive(tmp_path, smtp_server, cert):
    inbox, port, mode = smtp_server
    clock.freeze(1_750_000_000)
    # The root filesystem's usage is far above 1%: the rule fires (after its pending time). Not the
    # state dir's: ./test.sh --quick keeps that in memory, on a filesystem next to empty.
    cfg = smtp_cfg(tmp_path, port, mode, cert, disk_percent=1.0, disk_clear_percent=0.5, disk_path="/")
    conn = db.connect(cfg.db_path)
    first = alerts.run_check(conn, cfg)
    assert [t["event"] for t in first["transitions"] if t["name"] == "disk"] == ["pending"]
    assert inbox.messages == []                      # pending: nobody is told yet
    clock.advance(15 * 60)
    second = alerts.run_check(conn, cfg)
    assert second["notifications"] == {"sent": 1, "failed": 0, "expired": 0, "errors": []}
    (fired,) = inbox.messages
    assert fired["Subject"].startswith("[chatbot FIRING] disk usage ")
    assert fired["Subject"].endswith("% on caixa-01")
    assert fired["To"] == "gerente@loja.example" and fired["From"] == "chatbot@loja.example"
    body = fired.get_content()
    assert "FIRING: disk usage" in body and "fires at 1%, clears below 0%" in body
    assert "What it means:" in body and "What to do:" in body and "chatbot-cleanup" in body

    # The same condition 15 minutes later: no second mail (repeat is 4 h).
    clock.advance(15 * 60)
    alerts.run_check(conn, cfg)
    assert len(inbox.messages) == 1

    # Thresholds back to normal: exactly one RESOLVED mail, then silence.
    cfg2 = smtp_cfg(tmp_path, port, mode, cert, disk_percent=99.9, disk_clear_percent=99.0, disk_path="/")
    clock.advance(15 * 60)
    alerts.run_check(conn, cfg2)
    clock.advance(15 * 60)
    alerts.run_check(conn, cfg2)
    assert len(inbox.messages) == 2
    resolved = inbox.messages[1]
    assert resolved["Subject"].startswith("[chatbot RESOLVED] disk usage ")
    assert "The condition has cleared" in resolved.get_content()
    assert "after 30 min" in resolved.get_content()
    assert conn.execute("SELECT count(*) FROM notification_attempts WHERE ok=1").fetchone()[0] == 2


@pytest.mark.parametrize("smtp_server", ["starttls"], indirect=True)
def test_wrong_password_is_one_line_and_never_shows_the_password(tmp_path, smtp_server, cert):
    inbox, port, mode = smtp_server
    cfg = smtp_cfg(tmp_path, port, mode, cert)
    import dataclasses
    bad = dataclasses.replace(cfg, smtp=dataclasses.replace(cfg.smtp, password="wrong-" + PASSWORD))
    with pytest.raises(notify.NotifyError) as info:
        notify.send_email(bad, "s", "b")
    assert "rejected the login as 'alerts@loja.example' (535)" in str(info.value)
    assert PASSWORD not in str(info.value)


@pytest.mark.parametrize("smtp_server", ["starttls"], indirect=True)
def test_check_alerts_test_notice_via_cli(tmp_path, smtp_server, cert, runner):
    inbox, port, _ = smtp_server
    path = tmp_path / "chatbot.toml"
    path.write_text(toml_of({"paths": {"state_dir": str(tmp_path / "state")}, "llm": {"enabled": False},
                             "alerts": {"check_web": False, "hostname": "caixa-01"},
                             "smtp": {"host": "127.0.0.1", "port": port, "security": "starttls", "username": USER,
                                      "ca_file": str(cert[0]), "recipients": ["gerente@loja.example"]}}))
    result = runner.invoke(check_alerts, ["--config", str(path), "--test", "--json"], catch_exceptions=False,
                           env={"CHATBOT_SMTP_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    (msg,) = inbox.messages
    assert msg["Subject"] == "[chatbot TEST] notification test from caixa-01"


def test_smtp_down_fails_the_run_in_one_line_and_retries_next_run(tmp_path, cert):
    """Nothing listens on the port: check-alerts exits 1 with one error line
    (no traceback, no password); the notice goes out once the server is up."""
    port = free_port()
    cfg_dict = {"paths": {"state_dir": str(tmp_path / "state")}, "llm": {"enabled": False},
                "alerts": {"check_web": False, "hostname": "caixa-01", "memory_percent": 0.5,
                           "worker_stale_seconds": 1e9, "job_grace_minutes": 1e9,
                           "memory_clear_percent": 0.1, "pending_minutes": 0.0},
                "smtp": {"host": "127.0.0.1", "port": port, "security": "none", "username": "",
                         "recipients": ["gerente@loja.example"], "timeout_seconds": 3.0}}
    path = tmp_path / "chatbot.toml"
    path.write_text(toml_of(cfg_dict))
    env = {"CHATBOT_SMTP_PASSWORD": PASSWORD, "JOURNAL_STREAM": "8:1234"}
    down = run("chatbot-check-alerts", path, env=env)
    assert down.returncode == 1
    assert "Traceback" not in down.stderr and PASSWORD not in down.stderr + down.stdout
    errors = [ln for ln in down.stderr.splitlines() if ln.startswith("<3>")]
    assert len(errors) == 1, down.stderr
    assert "check-alerts failed after" in errors[0] and f"cannot connect to SMTP server 127.0.0.1:{port}" in errors[0]

    conn = db.connect(tmp_path / "state" / "chatbot.db")
    failed = notify.failed_notifications(conn, 0)
    assert [(f["alert"], f["kind"], f["status"], f["attempts"]) for f in failed] == [("memory", "firing", "failed", 1)]

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        up = run("chatbot-check-alerts", path, env=env)
    finally:
        controller.stop()
    assert up.returncode == 0, up.stderr
    subjects = [m["Subject"] for m in inbox.messages]
    # The waiting notice first; then the news that the previous check failed
    # (the operator may have missed mail while the server was down).
    assert subjects[0].startswith("[chatbot FIRING] memory usage ") and subjects[0].endswith(" on caixa-01")
    assert subjects[1:] == ["[chatbot FIRING] chatbot-check-alerts failed on caixa-01"]
    assert "cannot connect to SMTP server" in inbox.messages[1].get_content()
    assert notify.failed_notifications(conn, 0) == []
    attempts = conn.execute("SELECT ok FROM notification_attempts ORDER BY id").fetchall()
    assert [a[0] for a in attempts] == [0, 1, 1]
