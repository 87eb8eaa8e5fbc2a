"""Job bookkeeping, the health evaluation, and how every job command behaves
as a process: one result line, priorities for journald, exit statuses, a
locked database as one clear line instead of a traceback."""
from __future__ import annotations

import json
import sqlite3

import pytest

from chatbot import clock, db, events
from chatbot.commands.jobs import healthcheck
from chatbot.ops import backup, health, jobs
from support.configs import make_cfg, toml_of
from support.servers import ThreadedWaitress, free_port, run

T0 = 1_750_000_000.0
# Every timer job (ops/jobs.JOBS) runs as a command on a fresh install; sync-catalog needs
# a [kb] catalog_path (tests/test_kb_catalog.py runs it).
JOB_COMMANDS = [f"chatbot-{job}" for job in jobs.JOBS if job != "sync-catalog"]
# On a new install with nothing running, every job succeeds except the health
# check, which finds no worker, no backup and no web service: failing, exit 2.
OUTCOME = {name: (0, "ok") for name in JOB_COMMANDS} | {"chatbot-healthcheck": (2, "failed")}


def write_config(tmp_path, **sections):
    data = {"paths": {"state_dir": str(tmp_path / "state")}, "llm": {"enabled": False},
            "alerts": {"check_web": False}, "web": {"port": free_port()}}
    for k, v in sections.items():
        data.setdefault(k, {}).update(v)
    path = tmp_path / "chatbot.toml"
    path.write_text(toml_of(data))
    return path


# -- bookkeeping -------------------------------------------------------------------------------
def test_start_finish_last_runs_and_overdue(tmp_path):
    clock.freeze(T0)
    cfg = make_cfg(tmp_path, migrated=False)
    conn = db.connect(cfg.db_path)             # installed at T0: never-run jobs count from here
    assert jobs.last_runs(conn) == {j: None for j in jobs.JOBS}
    # (Each job's period against its timer's OnCalendar: test_systemd_units.py.)
    rid = jobs.start(conn, "backup")
    assert jobs.last_runs(conn)["backup"]["status"] == "running"
    clock.advance(12)
    jobs.finish(conn, rid, "ok", "wrote x", {"size": 1})
    runs = jobs.last_runs(conn)
    assert runs["backup"] == {"started_at": T0, "finished_at": T0 + 12, "status": "ok", "message": "wrote x",
                              "last_success": T0 + 12, "period": 86400}
    clock.advance(86400 + 1800 + 1)
    late = jobs.overdue(conn, 1800)
    # Every job is late by now but the weekly ones (cleanup).
    assert set(late) == {j for j, period in jobs.JOBS.items() if period < 86400 + 1801}
    assert late["backup"] == pytest.approx(86400 + 1801)


def test_mark_failed_closes_a_killed_run_keeps_a_recorded_failure_or_adds_one(cfg, conn):
    killed = jobs.start(conn, "backup")
    assert jobs.mark_failed(conn, "backup", "timeout") == killed
    assert conn.execute("SELECT status, message FROM job_runs WHERE id=?", (killed,)).fetchone()[:] == \
        ("failed", "timeout")
    assert jobs.mark_failed(conn, "backup", "again") == killed          # already failed: keep its message
    jobs.finish(conn, jobs.start(conn, "cleanup"), "ok")
    added = jobs.mark_failed(conn, "cleanup", "died before the database")
    assert added != killed and jobs.last_runs(conn)["cleanup"]["status"] == "failed"
    assert jobs.unit_to_job("chatbot-backup.service") == "backup"
    assert jobs.unit_to_job("chatbot-worker.service") is None


# -- health ------------------------------------------------------------------------------------
def make_healthy(cfg, conn):
    with db.transaction(conn):
        events.heartbeat(conn, "worker", 1, "w")
    for job in jobs.JOBS:
        jobs.finish(conn, jobs.start(conn, job), "ok")
    backup.run_backup(cfg)


def test_evaluate_components_and_overall(tmp_path):
    cfg = make_cfg(tmp_path, alerts={"disk_percent": 99.9, "disk_clear_percent": 99.8})
    conn = db.connect(cfg.db_path)
    make_healthy(cfg, conn)
    result = health.evaluate(conn, cfg)
    assert result["status"] == "healthy", result
    assert set(result["components"]) == {"database", "disk", "worker", "alerts", "backup",
                                         *(f"job:{j}" for j in jobs.JOBS)}
    clock.freeze(clock.now() + 2 * 3600)         # two hours later: the 5-minute jobs are late, the worker silent
    result = health.evaluate(conn, cfg)
    assert result["components"]["job:collect-metrics"]["status"] == "critical"
    assert result["components"]["job:backup"]["status"] == "ok"
    assert result["components"]["worker"]["status"] == "critical"
    assert result["status"] == "critical" and health.exit_code(result["status"]) == 2
    conn.close()
    broken = make_cfg(tmp_path / "b")
    bad = db.connect(broken.db_path)
    bad.execute("DROP TABLE schema_migrations")
    assert health.evaluate(bad, broken)["status"] == "unhealthy"


def test_healthcheck_against_the_real_web_service_exit_codes(tmp_path, runner):
    from chatbot import config
    path = write_config(tmp_path, alerts={"disk_percent": 99.9, "disk_clear_percent": 99.8})
    cfg = config.load(str(path))
    conn = db.connect(cfg.db_path)
    make_healthy(cfg, conn)
    from chatbot.web.app import create_app
    web = ThreadedWaitress(create_app(cfg)).start()
    try:
        ok = runner.invoke(healthcheck, ["--config", str(path), "--url", web.url + "/health"],
                           catch_exceptions=False)
        assert ok.exit_code == 0, ok.output
        lines = ok.stdout.splitlines()
        assert lines[-1] == "overall: healthy"
        assert any(ln.startswith("ok       web: ") and "answers HTTP 200 (healthy)" in ln for ln in lines)
        assert all(ln.split()[0] in ("ok", "overall:") for ln in lines)
        # A failed cleanup: degraded, exit 1.
        jobs.finish(conn, jobs.start(conn, "cleanup"), "failed", "disk is full")
        degraded = runner.invoke(healthcheck, ["--config", str(path), "--url", web.url + "/health", "--json"],
                                 catch_exceptions=False)
        assert degraded.exit_code == 1
        data = json.loads(degraded.stdout)
        assert (data["status"], data["health"]) == ("ok", "warning")
        assert "disk is full" in data["components"]["job:cleanup"]["detail"]
    finally:
        web.stop()
    # The web service gone: failing, exit 2, recorded as a failed run.
    down = runner.invoke(healthcheck, ["--config", str(path), "--url", web.url + "/health"], catch_exceptions=False)
    assert down.exit_code == 2
    assert "critical web: " in down.stdout and "does not answer" in down.stdout
    last = conn.execute("SELECT status, message FROM job_runs WHERE job='healthcheck' ORDER BY id DESC").fetchone()
    assert last["status"] == "failed" and "web:" in last["message"]


# -- every job as a process --------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name", JOB_COMMANDS)
def test_each_job_runs_once_logs_one_line_and_records_its_run(tmp_path, name):
    path = write_config(tmp_path)
    proc = run(name, path, "--json")
    assert "Traceback" not in proc.stderr
    data = json.loads(proc.stdout)
    job = name.removeprefix("chatbot-")
    assert (proc.returncode, data["status"]) == OUTCOME[name], proc.stdout
    assert data["job"] == job and data["duration"] >= 0
    result_lines = [ln for ln in proc.stderr.splitlines() if f"chatbot.jobs: {job} " in ln]
    assert len(result_lines) == 1, proc.stderr
    conn = db.connect(tmp_path / "state" / "chatbot.db")
    run_row = jobs.last_runs(conn)[job]
    assert run_row["status"] == data["status"] and run_row["finished_at"] >= run_row["started_at"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["chatbot-collect-metrics", "chatbot-backup", "chatbot-check-alerts"])
def test_locked_database_is_one_error_line_with_priority_and_exit_1(tmp_path, name):
    path = write_config(tmp_path)
    holder = db.connect(tmp_path / "state" / "chatbot.db")
    holder.execute("BEGIN IMMEDIATE")
    try:
        proc = run(name, path, env={"CHATBOT_BUSY_TIMEOUT_MS": "200", "JOURNAL_STREAM": "8:4242"}, timeout=60)
    finally:
        holder.execute("ROLLBACK")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("<3>chatbot.jobs: ") and "failed after" in lines[0]
    assert "database is locked by another process" in lines[0]


def test_healthcheck_that_cannot_read_the_database_is_failing_exit_2(tmp_path):
    path = write_config(tmp_path)
    holder = db.connect(tmp_path / "state" / "chatbot.db")
    holder.execute("BEGIN IMMEDIATE")
    try:
        proc = run("chatbot-healthcheck", path, env={"CHATBOT_BUSY_TIMEOUT_MS": "200"}, timeout=60)
    finally:
        holder.execute("ROLLBACK")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "database is locked" in proc.stderr


def test_ok_runs_log_at_info_priority_under_journald(tmp_path):
    path = write_config(tmp_path)
    proc = run("chatbot-collect-metrics", path, env={"JOURNAL_STREAM": "8:4242"})
    assert proc.returncode == 0
    assert proc.stderr.startswith("<6>chatbot.jobs: collect-metrics ok in ") and proc.stdout == ""


def test_bad_config_is_one_line_exit_2(tmp_path):
    path = tmp_path / "chatbot.toml"
    path.write_text("[alerts]\ndisk_percnt = 80\n")
    proc = run("chatbot-backup", path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"error: {path}: unknown key 'disk_percnt' in [alerts]"


@pytest.mark.slow
def test_secrets_never_reach_json_or_logs(tmp_path):
    """The SMTP password and the tokens stay out of every job's output."""
    secret = "pw-Very-Secret-4431"
    path = write_config(tmp_path, smtp={"host": "127.0.0.1", "port": free_port(), "security": "starttls",
                                        "username": "u", "recipients": ["a@b.example"], "timeout_seconds": 2.0},
                        alerts={"memory_percent": 0.5, "memory_clear_percent": 0.1, "pending_minutes": 0.0})
    env = {"CHATBOT_SMTP_PASSWORD": secret, "CHATBOT_ADMIN_TOKEN": "admin-" + secret}
    outputs = []
    for name in JOB_COMMANDS:
        proc = run(name, path, "--json", env=env)
        outputs.append(proc.stdout + proc.stderr)
    proc = run("chatbot-check-alerts", path, "--test", env=env)
    outputs.append(proc.stdout + proc.stderr)
    assert any("cannot connect to SMTP server" in o for o in outputs)      # the mail path did run
    assert all(secret not in o for o in outputs)
    conn = sqlite3.connect(str(tmp_path / "state" / "chatbot.db"))
    dump = "\n".join(conn.iterdump())
    assert secret not in dump
