"""The real processes: chatbot-web (waitress) and chatbot-worker as
subprocesses, `chatbot send-test` through them, and a clean SIGTERM."""
import signal

import pytest

from chatbot import db
from chatbot.whatsapp import sendtest
from support.configs import APP_SECRET, live_config, toml_of
from support.servers import command, free_port, run, wait_http
from support.waiting import wait_until


@pytest.fixture
def stack(tmp_path, graph):
    cfg_path, port = live_config(tmp_path, graph.url, whatsapp={"phone_number_ids": ["106540352242922"],
                                                                "max_message_age_minutes": 60})
    web = command("chatbot-web", cfg_path)
    worker = command("chatbot-worker", cfg_path)
    wait_http(f"http://127.0.0.1:{port}/webhook")
    yield cfg_path, web, worker, tmp_path / "state" / "chatbot.db", port
    for p in (web, worker):
        if p.poll() is None:
            p.kill()
        p.wait(10)


def test_send_test_gets_the_reply_through_the_real_path(stack, graph):
    cfg_path, web, worker, dbfile, _ = stack
    r = run("chatbot", cfg_path, "send-test", "Vocês abrem domingo?", "--from", "5585999990000",
            "--timeout", "60")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip()
    sends = graph.sends()
    assert len(sends) == 1
    assert sends[0]["to"] == "5585999990000"
    assert sends[0]["path"] == "/v21.0/106540352242922/messages"
    assert sends[0]["body"]["text"]["body"] == r.stdout.strip()


def test_the_worker_yields_the_cpu_to_the_web_service(stack):
    """[worker] cpu_scheduling = "idle" (the default): the kernel runs it only
    when nothing else wants the CPU, so webhook acknowledgements come first."""
    import os
    _, web, worker, _, _ = stack
    wait_until(lambda: worker.poll() is not None or os.sched_getscheduler(worker.pid) == os.SCHED_IDLE, 30)
    assert worker.poll() is None
    assert os.sched_getscheduler(web.pid) == os.SCHED_OTHER


def test_send_test_without_service_is_one_line(tmp_path):
    cfg_path = tmp_path / "chatbot.toml"
    cfg_path.write_text(toml_of({"paths": {"state_dir": str(tmp_path / "s")}, "web": {"port": free_port()}}))
    r = run("chatbot", cfg_path, "send-test", "oi", "--timeout", "2")
    assert r.returncode == 1
    assert "cannot reach chatbot-web" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.slow
def test_sigterm_stops_both_cleanly_and_loses_nothing(stack, graph):
    cfg_path, web, worker, dbfile, port = stack
    graph.delay = 0.05
    for i in range(20):
        body, _ = sendtest.build_payload(f"mensagem {i}", f"55859000{i:05d}", "106540352242922")
        assert sendtest.post(f"http://127.0.0.1:{port}/webhook", body, APP_SECRET) == 200
    # Mid-flight: some answered, some still waiting.
    conn = db.connect(dbfile)
    wait_until(lambda: conn.execute("SELECT COUNT(*) FROM inbox WHERE status='answered'").fetchone()[0] >= 3,
               60, 0.01, "the worker answered nothing")
    worker.send_signal(signal.SIGTERM)
    web.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0
    assert web.wait(30) in (0, -signal.SIGTERM)
    assert conn.execute("SELECT COUNT(*) FROM inbox WHERE status='processing'").fetchone()[0] == 0
    # Restart the worker: it finishes the rest, and nothing is sent twice.
    again = command("chatbot-worker", cfg_path, "--exit-when-idle", "2")
    assert again.wait(120) == 0
    rows = conn.execute("SELECT status, COUNT(*) FROM inbox GROUP BY status").fetchall()
    assert dict((r[0], r[1]) for r in rows) == {"answered": 20}
    tos = [s["to"] for s in graph.sends()]
    assert len(tos) == len(set(tos)) == 20
