"""The tutorial's interfaces, tried as its reader would (plus the admin token),
over the real waitress in this process with a real worker thread and real
backups: POST /test-message with ``message``, POST /admin/backup's
``status``/``backup_path``, the last backups and each job's next run in
/stats and on the dashboard."""
from __future__ import annotations

import re
import threading
from datetime import datetime, timezone

import pytest
import requests

from chatbot import clock, db
from chatbot.ops import backup, jobs, schedule
from chatbot.web.app import create_app
from chatbot.worker import Worker
from support.configs import ADMIN_TOKEN, make_cfg
from support.servers import ThreadedWaitress

BEARER = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
NOW = datetime(2026, 12, 1, 15, 57, tzinfo=timezone.utc).timestamp()


def http() -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    return s


@pytest.fixture
def server(cfg):
    conn = db.connect(cfg.db_path)
    srv = ThreadedWaitress(create_app(cfg)).start()
    yield srv
    srv.stop()
    conn.close()


@pytest.fixture
def worker(cfg):
    w = Worker(cfg, owner="tutorial-test-worker")
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    yield w
    w.stopping.set()
    t.join(10)


def test_the_tutorials_test_message_is_answered(server, worker):
    # curl -X POST http://localhost:5000/test-message -H "Content-Type: application/json"
    #      -d '{"message": "Olá, como funciona?"}'   (+ the admin token)
    resp = http().post(server.url + "/test-message", headers=dict(BEARER, **{"Content-Type": "application/json"}),
                       data='{"message": "Olá, como funciona?"}'.encode(), timeout=60)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["status"] == "answered" and out["reply"] and out["text"] == "Olá, como funciona?"
    resp = http().post(server.url + "/test-message", headers=BEARER, timeout=60,
                       json={"message": "Vocês abrem domingo?", "from": "+55 (85) 99999-0000"})
    assert resp.status_code == 200 and resp.json()["from"] == "5585999990000", resp.text
    # "text" still works, and wins when both are given.
    resp = http().post(server.url + "/test-message", headers=BEARER, timeout=60,
                       json={"text": "Aceita pix?", "message": "ignored"})
    assert resp.status_code == 200 and resp.json()["text"] == "Aceita pix?"


@pytest.mark.parametrize("body", [{"message": ""}, {"message": "   "}, {"message": "oi", "from": "abc"},
                                  {"msg": "oi"}])
def test_a_bad_test_message_is_still_400(server, body):
    resp = http().post(server.url + "/test-message", headers=BEARER, json=body, timeout=10)
    assert resp.status_code == 400 and "error" in resp.json()


def test_admin_backup_answers_status_and_backup_path(server, cfg):
    resp = http().post(server.url + "/admin/backup", headers=BEARER, timeout=120)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["status"] == "success" and out["backup_path"] == out["path"]
    assert out["backup_path"].startswith(str(cfg.backup_dir)) and out["sha256"] and out["tables"]
    assert backup.sha256_file(__import__("pathlib").Path(out["backup_path"])) == out["sha256"]


def test_admin_backup_failure_has_another_status(tmp_path):
    cfg = make_cfg(tmp_path, paths={"backup_dir": "/proc/no-such-place/backups"})
    srv = ThreadedWaitress(create_app(cfg)).start()
    try:
        resp = http().post(srv.url + "/admin/backup", headers=BEARER, timeout=60)
    finally:
        srv.stop()
    assert resp.status_code == 500
    out = resp.json()
    assert out["status"] == "failed" and out["error"].startswith("O backup falhou") and "backup_path" not in out


def test_stats_has_the_last_five_backups_and_every_jobs_next_run(server, cfg, conn):
    for days in range(7, 0, -1):                  # seven real backups, a day apart
        clock.freeze(NOW - days * 86400)
        backup.run_backup(cfg, prune=False)
    clock.freeze(NOW)
    run_id = jobs.start(conn, "backup")
    jobs.finish(conn, run_id, "ok", "wrote it")
    d = http().get(server.url + "/stats", headers=BEARER, timeout=30).json()
    assert d["unavailable"] == {}

    bl = d["backups"]
    on_disk = sorted(cfg.backup_dir.glob("chatbot-backup-*.tar.gz"), reverse=True)
    assert bl["count"] == 7 and [a["name"] for a in bl["archives"]] == [p.name for p in on_disk[:5]]
    assert all(a["verified"] is True and a["size"] > 0 for a in bl["archives"])
    assert bl["next_to_delete"]["name"] == on_disk[-1].name      # the oldest, not among the five shown

    by_job = {j["job"]: j for j in d["jobs"]}
    assert set(by_job) == set(jobs.JOBS)
    assert by_job["backup"]["status"] == "ok" and by_job["backup"]["started_at"] == NOW
    for job, j in by_job.items():
        # Without systemd here, from the unit file (evaluated by systemd-analyze calendar).
        assert j["next_run_source"] in ("unit file", "systemd"), j
        if j["next_run_source"] == "unit file":
            assert NOW < j["next_run"] <= NOW + jobs.JOBS[job], j
    if by_job["backup"]["next_run_source"] == "unit file":
        assert by_job["backup"]["next_run"] == datetime(2026, 12, 2, 5, tzinfo=timezone.utc).timestamp()
        assert by_job["backup"]["on_calendar"] == ["*-*-* 05:00:00 UTC"]


def test_dashboard_shows_next_runs_and_the_backups(server, cfg):
    for days in (2, 1):
        clock.freeze(NOW - days * 86400)
        backup.run_backup(cfg, prune=False)
    clock.freeze(NOW)
    page = http().get(server.url + "/dashboard", headers=dict(BEARER, Accept="text/html"), timeout=30).text
    assert "Próxima execução" in page and "Últimos backups" in page and "próximo a ser apagado" in page
    cells = re.findall(r'<td class="next-run">(.*?)</td>', page, re.S)
    assert len(cells) == len(jobs.JOBS)
    plan = schedule.job_schedules(jobs.JOBS, NOW)
    # Shown in the store's zone (UTC-3): the backup's 05:00 UTC is 02:00.
    backup_cell = cells[list(jobs.JOBS).index("backup")]
    if plan["backup"]["next_run_source"] == "unit file":
        assert "02/12 02:00" in backup_cell and re.search(r"em 13(,\d)? h", backup_cell)
    assert all(re.search(r"\d\d/\d\d \d\d:\d\d", c) for c in cells)
    assert page.count(">sim</td>") == 2
