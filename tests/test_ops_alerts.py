"""Alert rules and their state machine with a fake clock: pending, repeat,
resolve, hysteresis against flapping; the rules fed from real tables; the
webhook channel against a real local HTTP server, failing then recovering."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

import pytest

from chatbot import clock, db, events
from chatbot.commands.jobs import check_alerts, job_failed
from chatbot.ops import alerts, jobs, notify, rules
from support.configs import make_cfg, toml_of
from support.webhook_sink import Webhook

T0 = 1_750_000_000.0
QUIET = {"check_web": False, "worker_stale_seconds": 1e9, "job_grace_minutes": 1e9, "hostname": "caixa-01"}


def disk_check(value):
    """The disk rule as check-alerts builds it (fires at 90, clears below 85, 10 min pending)."""
    return rules.threshold("disk", "disk usage", value, 90.0, 85.0, "%", "critical", 600.0)


def events_of(conn, name):
    return [r["event"] for r in conn.execute("SELECT event FROM alert_history WHERE name=? ORDER BY id", (name,))]


@pytest.fixture
def wcfg(tmp_path, webhook):
    return make_cfg(tmp_path, alerts={**QUIET, "webhook_url": webhook.url + "/hook/SECRET-PATH",
                                      "repeat_hours": 4.0})


@pytest.fixture
def webhook():
    w = Webhook()
    yield w
    w.server.shutdown()
    w.server.server_close()


# -- the state machine -------------------------------------------------------------------
def test_pending_then_firing_once_then_repeat_then_one_resolved(wcfg, webhook):
    clock.freeze(T0)
    conn = db.connect(wcfg.db_path)

    def check(value, minutes=15):
        alerts.apply(conn, wcfg, [disk_check(value)])
        notify.deliver(conn, wcfg)
        clock.advance(minutes * 60)

    check(93)                                  # t=0: pending, nobody told
    assert webhook.posts == [] and alerts.pending(conn)[0]["name"] == "disk"
    check(94)                                  # t=15 min: held 15 >= 10 min pending: fires
    assert webhook.statuses() == [("disk", "firing")]
    assert alerts.firing(conn)[0]["since"] == T0 + 15 * 60
    for _ in range(15):                        # 3 h 45 min more of the same: silence
        check(95)
    assert webhook.statuses() == [("disk", "firing")]
    check(95)                                  # 4 h after the first notice: repeat
    assert webhook.statuses() == [("disk", "firing"), ("disk", "repeat")]
    check(84)                                  # below the clear line: exactly one resolved
    check(84)
    check(70)
    assert webhook.statuses() == [("disk", "firing"), ("disk", "repeat"), ("disk", "resolved")]
    assert alerts.firing(conn) == [] and alerts.pending(conn) == []
    assert events_of(conn, "disk") == ["pending", "firing", "repeat", "resolved"]
    resolved = webhook.posts[-1]
    assert resolved["status"] == "resolved" and resolved["host"] == "caixa-01"
    assert resolved["text"].startswith("[chatbot RESOLVED] disk usage 84% on caixa-01")


def test_hysteresis_no_flapping_around_either_line(wcfg, webhook):
    clock.freeze(T0)
    conn = db.connect(wcfg.db_path)
    # Wobbling around the trigger line while firing: between 85 and 90 it still holds.
    for v in (91, 92, 89, 91, 88, 90.5, 86, 91, 87):
        alerts.apply(conn, wcfg, [disk_check(v)])
        notify.deliver(conn, wcfg)
        clock.advance(5 * 60)
    assert webhook.statuses() == [("disk", "firing")]
    assert events_of(conn, "disk") == ["pending", "firing"]


def test_pending_that_clears_is_cancelled_and_never_notified(wcfg, webhook):
    clock.freeze(T0)
    conn = db.connect(wcfg.db_path)
    # Spikes that clear before the pending time: no notice at all, however many.
    for v in (95, 80, 95, 80, 95, 80):
        alerts.apply(conn, wcfg, [disk_check(v)])
        notify.deliver(conn, wcfg)
        clock.advance(5 * 60)
    assert webhook.posts == []
    assert events_of(conn, "disk") == ["pending", "cancelled"] * 3


def test_step_pure_transitions():
    c = disk_check(95)
    st, ev = alerts.step(None, c, T0, 3600)
    assert (st["state"], ev) == ("pending", "pending")
    assert alerts.step(st, c, T0 + 599, 3600) == (st, None)
    st2, ev = alerts.step(st, c, T0 + 600, 3600)
    assert (st2["state"], ev, st2["firing_since"]) == ("firing", "firing", T0 + 600)
    assert alerts.step(st2, disk_check(87), T0 + 700, 3600)[1] is None       # in the band: holds
    assert alerts.step(st2, disk_check(None), T0 + 5000, 3600)[1] == "repeat"  # no data: still firing
    assert alerts.step(st2, disk_check(84.9), T0 + 700, 3600) == (None, "resolved")
    # No data while pending: held, never fired on a guess.
    assert alerts.step(st, disk_check(None), T0 + 10_000, 3600) == (st, None)
    # A rule without pending time fires at once.
    auth = rules.flag("graph_auth", "token", "critical", True, 1.0, "s", "s")
    assert alerts.step(None, auth, T0, 3600)[1] == "firing"


# -- rules fed from real tables ------------------------------------------------------------
def test_graph_api_190_fires_within_one_check_and_resolves_after_a_good_send(wcfg, webhook):
    clock.freeze(T0)
    conn = db.connect(wcfg.db_path)
    with db.transaction(conn):
        events.api_error(conn, 190, 401, "Error validating access token: Session has expired", False)
    result = alerts.run_check(conn, wcfg)
    assert ("graph_auth", "firing") in webhook.statuses()
    assert [a["name"] for a in result["firing"]] == ["graph_auth"]
    post = [p for p in webhook.posts if p["alert"] == "graph_auth"][0]
    assert post["severity"] == "critical" and "Session has expired" in post["summary"]
    # A successful send after the error: the token works again.
    clock.advance(60)
    with db.transaction(conn):
        conn.execute("INSERT INTO outbox (phone_number_id, wa_id, body, state, created_at, sent_at, updated_at)"
                     " VALUES ('p', '5585999990000', '{}', 'sent', ?, ?, ?)", (clock.now(),) * 3)
    clock.advance(15 * 60)
    alerts.run_check(conn, wcfg)
    assert webhook.statuses()[-1] == ("graph_auth", "resolved")


def test_error_rate_and_latency_need_enough_traffic(tmp_path):
    clock.freeze(T0)
    cfg = make_cfg(tmp_path, alerts={**QUIET, "pending_minutes": 0.0})
    conn = db.connect(cfg.db_path)
    with db.transaction(conn):
        events.record(conn, success=False, latency_ms=90_000)      # one failure alone: no verdict
    by = {c.name: c for c in rules.observe(conn, cfg)}
    assert by["error_rate"].value is None and not by["error_rate"].active
    with db.transaction(conn):
        for i in range(9):
            events.record(conn, success=i >= 2, latency_ms=40_000 + i)
    by = {c.name: c for c in rules.observe(conn, cfg)}
    assert by["error_rate"].active and by["error_rate"].value == pytest.approx(0.3)
    assert "reply error rate 30% (fires at 20%, clears below 10%)" == by["error_rate"].summary
    # p95 of 40,002..40,008 ms, interpolated: 40,007 + 0.7.
    assert by["latency"].active and by["latency"].value == pytest.approx(40.0077)
    clock.advance(16 * 60)            # the window moved on: no traffic means no verdict, and cleared
    by = {c.name: c for c in rules.observe(conn, cfg)}
    assert by["error_rate"].cleared and by["latency"].cleared


def test_cpu_and_memory_come_from_the_latest_fresh_sample(tmp_path):
    clock.freeze(T0)
    cfg = make_cfg(tmp_path, alerts=QUIET)
    conn = db.connect(cfg.db_path)
    with db.transaction(conn):
        conn.execute("INSERT INTO metrics (ts, cpu_percent, memory_percent) VALUES (?, 97.0, 95.0)", (T0 - 60,))
    by = {c.name: c for c in rules.observe(conn, cfg)}
    assert (by["cpu"].value, by["cpu"].active) == (97.0, True)
    assert (by["memory"].value, by["memory"].active) == (95.0, True)
    clock.advance(3600)                     # the metrics job stopped: CPU unknown, memory read live
    by = {c.name: c for c in rules.observe(conn, cfg)}
    assert by["cpu"].value is None and not by["cpu"].active and not by["cpu"].cleared
    assert by["memory"].value < 95.0


def test_queue_age_fires_per_lane(tmp_path):
    """A stuck LLM lane fires although the fast lane keeps up (issue 16)."""
    clock.freeze(T0)
    cfg = make_cfg(tmp_path, alerts={"check_web": False, "worker_stale_seconds": 1e9})
    conn = db.connect(cfg.db_path)
    with db.transaction(conn):
        for wamid, lane, age in (("w1", "llm", 700), ("w2", "fast", 5)):
            conn.execute("INSERT INTO inbox (wamid, phone_number_id, wa_id, msg_type, payload, received_at,"
                         " updated_at, lane) VALUES (?, 'p', ?, 'text', '{}', ?, ?, ?)",
                         (wamid, "5585" + wamid, T0 - age, T0, lane))
    by = {c.name: c for c in rules.observe(conn, cfg)}
    assert by["queue_age:llm"].active and by["queue_age:llm"].value == 700
    assert "llm lane" in by["queue_age:llm"].summary
    assert not by["queue_age:fast"].active and by["queue_age:fast"].cleared


def test_queue_age_and_worker_heartbeat(tmp_path):
    clock.freeze(T0)
    cfg = make_cfg(tmp_path, alerts={"check_web": False, "worker_stale_seconds": 300.0})
    conn = db.connect(cfg.db_path)
    with db.transaction(conn):
        conn.execute("INSERT INTO inbox (wamid, phone_number_id, wa_id, msg_type, payload, received_at,"
                     " updated_at) VALUES ('w1', 'p', '5585999990000', 'text', '{}', ?, ?)", (T0 - 700, T0))
        events.heartbeat(conn, "worker", 123, "x")
    by = {c.name: c for c in rules.observe(conn, cfg)}
    assert by["queue_age:fast"].active and by["queue_age:fast"].value == 700
    assert not by["queue_age:llm"].active and by["queue_age:llm"].value == 0
    assert not by["worker_down"].active
    clock.advance(301)
    by = {c.name: c for c in rules.observe(conn, cfg)}
    assert by["worker_down"].active and by["worker_down"].pending_seconds == 0


def test_overdue_job_fires_and_clears_on_success(wcfg, webhook):
    clock.freeze(T0)
    cfg = make_cfg(wcfg.state_dir.parent, alerts={**QUIET, "job_grace_minutes": 30.0,
                                                    "webhook_url": wcfg.alerts.webhook_url})
    conn = db.connect(cfg.db_path)
    for job in jobs.JOBS:                      # everything ran fine just now
        jobs.finish(conn, jobs.start(conn, job), "ok")
    clock.advance(25 * 3600)                   # a day later, only the backup is past 24 h + 30 min
    for job in [j for j, period in jobs.JOBS.items() if period < jobs.DAY]:       # the rest ran since
        jobs.finish(conn, jobs.start(conn, job), "ok")
    alerts.run_check(conn, cfg)
    assert webhook.statuses() == [("job_overdue:backup", "firing")]
    jobs.finish(conn, jobs.start(conn, "backup"), "ok")
    clock.advance(60)
    alerts.run_check(conn, cfg)
    assert webhook.statuses()[-1] == ("job_overdue:backup", "resolved")


# -- chatbot-job-failed (systemd OnFailure=) -------------------------------------------------
def test_job_failed_records_a_killed_run_and_notifies_at_once(tmp_path, runner, webhook):
    path = tmp_path / "chatbot.toml"
    path.write_text(toml_of({"paths": {"state_dir": str(tmp_path / "state")}, "llm": {"enabled": False},
                             "alerts": {**QUIET, "webhook_url": webhook.url + "/hook"}}))
    conn = db.connect(tmp_path / "state" / "chatbot.db")
    run_id = jobs.start(conn, "backup")        # a backup that systemd then killed (TimeoutStartSec)
    env = {"MONITOR_SERVICE_RESULT": "timeout", "MONITOR_EXIT_CODE": "killed", "MONITOR_EXIT_STATUS": "TERM"}
    result = runner.invoke(job_failed, ["--config", str(path), "chatbot-backup.service", "--json"],
                           env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    row = conn.execute("SELECT status, message FROM job_runs WHERE id=?", (run_id,)).fetchone()
    assert row["status"] == "failed"
    assert "chatbot-backup.service failed (service_result=timeout exit_code=killed" in row["message"]
    assert webhook.statuses() == [("job_failed:backup", "firing")]
    # The next backup succeeds: the alert resolves on the next check.
    jobs.finish(conn, jobs.start(conn, "backup"), "ok")
    result = runner.invoke(check_alerts, ["--config", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert webhook.statuses()[-1] == ("job_failed:backup", "resolved")


def test_unit_failure_of_a_service_resolves_with_a_fresh_heartbeat_or_clear(tmp_path, runner, webhook):
    path = tmp_path / "chatbot.toml"
    path.write_text(toml_of({"paths": {"state_dir": str(tmp_path / "state")}, "llm": {"enabled": False},
                             "alerts": {**QUIET, "webhook_url": webhook.url + "/hook"}}))
    assert runner.invoke(job_failed, ["--config", str(path), "chatbot-worker.service"],
                         catch_exceptions=False).exit_code == 0
    assert runner.invoke(job_failed, ["--config", str(path), "chatbot-web.service"],
                         catch_exceptions=False).exit_code == 0
    assert set(webhook.statuses()) == {("unit_failed:chatbot-worker.service", "firing"),
                                       ("unit_failed:chatbot-web.service", "firing")}
    conn = db.connect(tmp_path / "state" / "chatbot.db")
    with db.transaction(conn):
        events.heartbeat(conn, "worker", 1, "restarted")
    assert runner.invoke(job_failed, ["--config", str(path), "--clear", "chatbot-web.service"],
                         catch_exceptions=False).exit_code == 0
    assert runner.invoke(check_alerts, ["--config", str(path)], catch_exceptions=False).exit_code == 0
    assert sorted(webhook.statuses()[2:]) == [("unit_failed:chatbot-web.service", "resolved"),
                                              ("unit_failed:chatbot-worker.service", "resolved")]


# -- notices that fail ------------------------------------------------------------------------
def test_failed_webhook_is_retried_in_order_and_visible_meanwhile(wcfg, webhook):
    clock.freeze(T0)
    conn = db.connect(wcfg.db_path)
    webhook.fail = True
    alerts.apply(conn, wcfg, [rules.flag("graph_auth", "token", "critical", True, 1.0, "token rejected", "t")])
    first = notify.deliver(conn, wcfg)
    assert first["failed"] == 1 and first["errors"] == [
        f"webhook: the webhook at {webhook.url} answered HTTP 500"]     # the URL's secret path is not shown
    clock.advance(900)
    alerts.apply(conn, wcfg, [rules.flag("graph_auth", "token", "critical", False, 0.0, "token ok", "t")])
    assert notify.deliver(conn, wcfg)["failed"] == 2
    shown = notify.failed_notifications(conn, T0 - 1)
    assert [(n["kind"], n["attempts"]) for n in shown] == [("resolved", 1), ("firing", 2)]
    assert all("SECRET-PATH" not in (n["error"] or "") for n in shown)
    webhook.fail = False
    clock.advance(900)
    assert notify.deliver(conn, wcfg)["sent"] == 2
    assert webhook.statuses() == [("graph_auth", "firing"), ("graph_auth", "resolved")]
    assert notify.failed_notifications(conn, T0 - 1) == []


def test_notices_expire_after_the_retry_window(wcfg, webhook):
    clock.freeze(T0)
    conn = db.connect(wcfg.db_path)
    webhook.fail = True
    alerts.apply(conn, wcfg, [rules.flag("graph_auth", "token", "critical", True, 1.0, "token rejected", "t")])
    notify.deliver(conn, wcfg)
    clock.advance(49 * 3600)
    webhook.fail = False
    result = notify.deliver(conn, wcfg)
    assert (result["sent"], result["expired"]) == (0, 1)
    assert [n["status"] for n in notify.failed_notifications(conn, T0 - 1)] == ["expired"]


def test_a_notification_webhook_that_redirects_is_not_followed(tmp_path):
    """Issue 23, 13: a redirect could carry customers' names to a host the config never named."""
    from http.server import HTTPServer
    landed = []

    class Target(BaseHTTPRequestHandler):
        def do_POST(self):
            landed.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a):
            pass
    target = HTTPServer(("127.0.0.1", 0), Target)
    threading.Thread(target=target.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(307)
            self.send_header("Location", f"http://127.0.0.1:{target.server_port}/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass
    hop = HTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=hop.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        cfg = make_cfg(tmp_path, alerts={"webhook_url": f"http://127.0.0.1:{hop.server_port}/hook"})
        with pytest.raises(notify.NotifyError) as info:
            notify.send_webhook(cfg, {"text": "Cliente Ana aguarda"})
        assert "307" in str(info.value) and "redirect" in str(info.value)
        assert landed == []
    finally:
        hop.shutdown()
        target.shutdown()


def test_a_notice_that_cannot_be_built_fails_alone(wcfg):
    """Issue 23, 4: one notice's own fault (here a payload that is not JSON) never holds up the others."""
    cfg = wcfg
    conn = db.connect(cfg.db_path)
    with db.transaction(conn):
        bad = notify.enqueue(conn, cfg, "disk", "firing", "s", "b", {})[0]
        conn.execute("UPDATE notifications SET payload='{not json' WHERE id=?", (bad,))
        notify.enqueue(conn, cfg, "cpu", "firing", "s2", "b2", {"text": "cpu"})
    result = notify.deliver(conn, cfg)
    assert result["sent"] == 1 and result["failed"] == 1, result
    assert "cannot send this notice" in conn.execute("SELECT error FROM notifications WHERE id=?", (bad,)).fetchone()[0]
