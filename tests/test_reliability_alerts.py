"""Faults that must end in an alert, through the real commands:
- the disk fills up: the backup fails cleanly, and once space is back the
  next `chatbot-check-alerts` run fires "backup failed" (and it resolves
  after a good backup);
- the Graph API token expires (190): no retry storm (one request per
  message) and the alert fires within one `chatbot-check-alerts` run."""
import json

import pytest

from chatbot import db
from chatbot.whatsapp import sendtest
from support.configs import APP_SECRET, live_config, toml_of
from support.disk import fill_disk
from support.servers import command, run, wait_http
from support.waiting import wait_drained


def firing(cfg_path) -> dict:
    res = run("chatbot-check-alerts", cfg_path, "--json")
    assert res.returncode == 0, res.stderr
    return {a["name"]: a for a in json.loads(res.stdout)["firing"]}


@pytest.mark.slow
def test_full_disk_backup_fails_then_alerts_once_space_is_back(tmp_path, small_fs):
    cfg_path = tmp_path / "chatbot.toml"
    cfg_path.write_text(toml_of({"paths": {"state_dir": str(tmp_path / "state"), "backup_dir": str(small_fs)},
                                 "llm": {"enabled": False}, "alerts": {"check_web": False, "pending_minutes": 0.0}}))
    assert run("chatbot-backup", cfg_path).returncode == 0
    older = sorted(small_fs.glob("*.tar.gz"))
    filler = fill_disk(small_fs)
    failed = run("chatbot-backup", cfg_path)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1
    assert sorted(small_fs.glob("*.tar.gz")) == older            # nothing older deleted
    filler.unlink()                                               # space is back
    alerts = firing(cfg_path)
    names = [n for n in alerts if "backup" in n]
    assert names, alerts
    assert alerts[names[0]]["severity"] in ("warning", "critical")
    # A good backup resolves it on the next check.
    assert run("chatbot-backup", cfg_path).returncode == 0
    assert not [n for n in firing(cfg_path) if "backup" in n]


@pytest.mark.slow
def test_token_expired_no_retry_storm_and_alert_within_one_check(tmp_path, graph):
    cfg_path, port = live_config(tmp_path, graph.url, alerts={"check_web": False})
    web = command("chatbot-web", cfg_path)
    worker = command("chatbot-worker", cfg_path)
    try:
        wait_http(f"http://127.0.0.1:{port}/webhook")
        graph.script = [190] * 5
        for i in range(5):
            body, _ = sendtest.build_payload("oi", f"55859000{i:05d}", "106540352242922")
            assert sendtest.post(f"http://127.0.0.1:{port}/webhook", body, APP_SECRET) == 200
        conn = db.connect(tmp_path / "state" / "chatbot.db")
        assert wait_drained(conn, 60) == 0
    finally:
        for p in (web, worker):
            p.terminate()
            p.wait(30)
    sends = [r for r in graph.requests if "to" in (r["body"] or {})]
    assert len(sends) == 5                                        # one request per message, no retry
    assert dict(conn.execute("SELECT status, COUNT(*) FROM inbox GROUP BY status").fetchall()) == {"failed": 5}
    alerts = firing(cfg_path)
    assert "graph_auth" in alerts, alerts
    assert alerts["graph_auth"]["severity"] == "critical"
