"""/health (from ops.health) and /metrics (Prometheus text format, parsed by
prometheus_client's own parser), on real SQLite files."""
from __future__ import annotations

import pytest

from chatbot import clock, db, events
from chatbot.ops import backup
from chatbot.web.app import create_app
from chatbot.web.observe import Exposition, allowed
from support.configs import make_cfg
from support.metrics_text import families, sample
from support.seed import NOW, seed

CALM_DISK = {"disk_percent": 100.0, "disk_clear_percent": 99.99}   # this machine's disk is not under test


def beat(conn, age: float = 0):
    with db.transaction(conn):
        conn.execute("INSERT INTO heartbeats (name, pid, ts) VALUES ('worker', 1, ?) ON CONFLICT(name)"
                     " DO UPDATE SET ts=excluded.ts", (clock.now() - age,))


# -- /health -------------------------------------------------------------------------

def test_health_is_200_and_healthy_when_everything_is(tmp_path):
    cfg = make_cfg(tmp_path, alerts=CALM_DISK)
    app = create_app(cfg)
    backup.run_backup(cfg)
    conn = db.connect(cfg.db_path)
    beat(conn)
    resp = app.test_client().get("/health")
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body["status"] == "healthy"
    assert {"database", "disk", "worker", "alerts", "backup", "job:backup"} <= set(body["components"])
    assert resp.headers["Cache-Control"] == "no-store"


def test_health_warning_is_still_200(tmp_path):
    cfg = make_cfg(tmp_path, alerts=CALM_DISK)
    resp = create_app(cfg).test_client().get("/health")       # no backup yet, no worker heartbeat yet
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "warning"


def test_health_critical_is_503(tmp_path):
    cfg = make_cfg(tmp_path, alerts=CALM_DISK)
    app = create_app(cfg)
    beat(db.connect(cfg.db_path), age=3600)                  # the worker stopped an hour ago
    resp = app.test_client().get("/health")
    assert resp.status_code == 503
    assert resp.get_json()["status"] == "critical"
    assert resp.get_json()["components"]["worker"]["status"] == "critical"


def test_health_unhealthy_database_is_503(tmp_path):
    cfg = make_cfg(tmp_path, alerts=CALM_DISK)
    app = create_app(cfg)
    conn = db.connect(cfg.db_path)
    conn.execute("DROP TABLE schema_migrations")              # what a damaged database looks like to it
    resp = app.test_client().get("/health")
    assert resp.status_code == 503
    assert resp.get_json()["status"] == "unhealthy"


def test_health_and_metrics_need_no_token(client):
    assert client.get("/health").status_code in (200, 503)
    assert client.get("/metrics").status_code == 200


# -- /metrics ------------------------------------------------------------------------

def test_metrics_parse_as_prometheus_text_and_match_the_database(client, conn):
    clock.freeze(NOW)
    expect = seed(conn, NOW)
    assert client.post("/webhook", data=b"{").status_code == 400     # refusals are counted in memory
    resp = client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    fams = families(resp.get_data(as_text=True))
    assert all(name.startswith("chatbot_") for name in fams)
    assert fams["chatbot_messages_handled"].type == "counter"
    assert fams["chatbot_reply_latency_seconds"].type == "histogram"
    assert fams["chatbot_queue_depth"].type == "gauge"
    handled = {(s.labels["outcome"]): s.value for s in fams["chatbot_messages_handled"].samples}
    assert handled["failed"] == expect["failed"]
    assert handled["answered"] + handled.get("handoff", 0) == expect["answered"]
    assert sample(fams, "chatbot_messages_received_total", type="text") == expect["received"]
    intents = {s.labels["intent"]: s.value for s in fams["chatbot_intents"].samples}
    assert intents == expect["intents"]
    # the histogram: cumulative, +Inf equals the count, the sum is plausible
    buckets = [(float(s.labels["le"]), s.value) for s in fams["chatbot_reply_latency_seconds"].samples
               if s.name.endswith("_bucket")]
    assert [v for _, v in sorted(buckets)] == sorted(v for _, v in buckets)
    count = sample(fams, "chatbot_reply_latency_seconds_count")
    assert dict(buckets)[float("inf")] == count == expect["received"]
    assert 0.5 * count < sample(fams, "chatbot_reply_latency_seconds_sum") < 10 * count
    assert sample(fams, "chatbot_graph_api_errors_total", code="131047") == 2
    assert sample(fams, "chatbot_webhook_rejects_total", reason="bad payload") == 1
    assert sample(fams, "chatbot_alert_firing", alert="job_failed:cleanup") == 1
    assert sample(fams, "chatbot_alerts_firing") == 1
    assert sample(fams, "chatbot_job_last_run_ok", job="cleanup") == 0
    assert sample(fams, "chatbot_job_last_run_ok", job="backup") == 1
    assert sample(fams, "chatbot_job_last_success_timestamp_seconds", job="backup") == pytest.approx(NOW - 6 * 3600 + 3)
    assert sample(fams, "chatbot_last_backup_timestamp_seconds") == pytest.approx(NOW - 6 * 3600)
    assert sample(fams, "chatbot_worker_heartbeat_age_seconds") == pytest.approx(4)
    assert sample(fams, "chatbot_inbox_messages", status="failed") == expect["failed"]
    assert sample(fams, "chatbot_queue_depth") == 0
    assert 0 < sample(fams, "chatbot_system_cpu_percent") < 100


def test_metrics_per_worker_lane_and_llm_latency(client, conn):
    """Issue 16: queue age and depth per lane, the model's recent p50/p95; the dashboard shows them."""
    clock.freeze(NOW)
    with db.transaction(conn):
        for i, (lane, age) in enumerate((("llm", 40), ("llm", 10), ("fast", 2))):
            conn.execute("INSERT INTO inbox (wamid, phone_number_id, wa_id, msg_type, payload, received_at,"
                         " updated_at, lane) VALUES (?, 'p', ?, 'text', '{}', ?, ?, ?)",
                         (f"w{i}", f"55850{i}", NOW - age, NOW, lane))
        for ms in [1000.0] * 18 + [5000.0, 9000.0]:
            events.record(conn, intent="smalltalk", source="llm", llm_ms=ms, latency_ms=ms + 50)
    fams = families(client.get("/metrics").get_data(as_text=True))
    assert sample(fams, "chatbot_lane_queue_depth", lane="llm") == 2
    assert sample(fams, "chatbot_lane_queue_depth", lane="fast") == 1
    assert sample(fams, "chatbot_lane_oldest_age_seconds", lane="llm") == 40
    assert sample(fams, "chatbot_lane_oldest_age_seconds", lane="fast") == 2
    assert sample(fams, "chatbot_llm_latency_seconds", quantile="0.5") == 1.0
    # Interpolated (chatbot.percentiles): 5,000 + 0.05 x 4,000 ms.
    assert sample(fams, "chatbot_llm_latency_seconds", quantile="0.95") == pytest.approx(5.2)
    from chatbot.web import stats
    lanes = stats.dashboard(conn, client.application.config["CHATBOT"], now=NOW)["lanes"]
    assert lanes["llm"] == {"depth": 2, "oldest_age_seconds": 40.0}
    assert (lanes["llm_p50_ms"], lanes["llm_p95_ms"], lanes["llm_replies"]) == (1000.0, 5200.0, 20)


def test_counters_only_go_up_and_count_each_row_once(client, conn):
    with db.transaction(conn):
        for ms in (100, 700, 4000):
            events.record(conn, intent="price", source="llm", latency_ms=ms, tokens_in=50, tokens_out=20,
                          llm_ms=900)
    first = families(client.get("/metrics").get_data(as_text=True))
    with db.transaction(conn):
        events.record(conn, intent="price", source="template", latency_ms=200, success=False)
        events.api_error(conn, 190, 401, "token expired", False)
    second = families(client.get("/metrics").get_data(as_text=True))
    assert sample(first, "chatbot_intents_total", intent="price") == 3
    assert sample(second, "chatbot_intents_total", intent="price") == 4
    assert sample(second, "chatbot_messages_handled_total", outcome="failed", source="template") == 1
    assert sample(second, "chatbot_graph_api_errors_total", code="190") == 1
    assert sample(second, "chatbot_llm_tokens_total", direction="prompt") == 150
    assert sample(second, "chatbot_llm_seconds_total") == pytest.approx(2.7)
    assert sample(second, "chatbot_reply_latency_seconds_bucket", le="0.25") == 2
    # the retention job deletes old rows: counters must not go down
    with db.transaction(conn):
        conn.execute("DELETE FROM events WHERE id < 3")
    third = families(client.get("/metrics").get_data(as_text=True))
    assert sample(third, "chatbot_intents_total", intent="price") == 4


def test_label_values_are_escaped(client, conn):
    nasty = 'a"b\\c\nd'
    with db.transaction(conn):
        events.record(conn, intent=nasty, latency_ms=10)
    fams = families(client.get("/metrics").get_data(as_text=True))
    assert sample(fams, "chatbot_intents_total", intent=nasty) == 1


def test_exposition_values():
    out = Exposition()
    out.family("chatbot_x", "gauge", "line one\nline \\ two", [({}, None), ({"a": "1"}, 2.5), ({"a": "2"}, True)])
    fams = families(out.text())
    values = [s.value for s in fams["chatbot_x"].samples]
    assert values[1:] == [2.5, 1] and values[0] != values[0]      # NaN
    assert fams["chatbot_x"].documentation == "line one\nline \\ two"


@pytest.mark.parametrize("remote,allow,ok", [
    ("10.1.2.3", ["10.0.0.0/8"], True), ("192.168.0.9", ["10.0.0.0/8"], False),
    ("127.0.0.1", [], True), ("::ffff:10.1.2.3", ["10.0.0.0/8"], True), ("::1", ["::1"], True),
    ("10.1.2.3", ["not-an-address"], False), ("garbage", ["10.0.0.0/8"], False),
    ("192.168.1.5", ["192.168.1.5"], True)])
def test_allow_list(remote, allow, ok):
    assert allowed(remote, allow) is ok


def test_metrics_allow_list_is_enforced(tmp_path):
    app = create_app(make_cfg(tmp_path, web={"metrics_allow": ["10.0.0.0/8", "::1"]}))
    c = app.test_client()
    assert c.get("/metrics").status_code == 403                                  # 127.0.0.1
    assert c.get("/metrics", environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 200
    assert c.get("/health").status_code in (200, 503)                            # /health is for everyone


# -- what the public pages say (issue 10, item 11) ------------------------------------

def test_public_health_is_statuses_only_and_details_need_the_admin(tmp_path):
    from support.configs import ADMIN_TOKEN
    from support.web import login
    cfg = make_cfg(tmp_path, alerts=CALM_DISK)
    app = create_app(cfg)
    backup.run_backup(cfg)
    beat(db.connect(cfg.db_path))
    client = app.test_client()
    public = client.get("/health")
    body = public.get_json()
    assert public.status_code == 200 and body["status"] == "healthy"
    assert set(body) == {"status", "checked_at", "components"}
    assert all(c == {"status": "ok"} for c in body["components"].values()), body
    text = public.get_data(as_text=True)
    for private in ("pid", str(cfg.backup_dir), "GB free", "migrations applied"):
        assert private not in text
    detailed = client.get("/health", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).get_json()
    assert "pid" in detailed["components"]["worker"]["detail"]
    assert detailed["components"]["backup"]["path"].startswith(str(cfg.backup_dir))
    assert "free_bytes" in detailed["components"]["disk"]
    wrong = client.get("/health", headers={"Authorization": "Bearer wrong"}).get_json()
    assert "detail" not in wrong["components"]["worker"]
    login(client)                                         # the admin's browser session
    assert "pid" in client.get("/health").get_json()["components"]["worker"]["detail"]


def test_health_shows_a_failed_jobs_error_text_only_to_the_admin(tmp_path):
    from chatbot.ops import jobs
    from support.configs import ADMIN_TOKEN
    cfg = make_cfg(tmp_path, alerts=CALM_DISK)
    app = create_app(cfg)
    conn = db.connect(cfg.db_path)
    jobs.finish(conn, jobs.start(conn, "cleanup"), "failed", "/srv/x is not writable")
    client = app.test_client()
    assert "/srv/x" not in client.get("/health").get_data(as_text=True)
    assert "/srv/x" in client.get("/health", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).get_data(as_text=True)


@pytest.mark.parametrize("source", ["file", "env"])
def test_metrics_token_is_required_when_set(tmp_path, source):
    from chatbot import config
    token = "m" * 40
    data = {"paths": {"state_dir": str(tmp_path / "state")}, "llm": {"enabled": False}}
    if source == "file":
        data["web"] = {"metrics_token": token}
    cfg = config.from_dict(data, env={"CHATBOT_METRICS_TOKEN": token} if source == "env" else {})
    assert cfg.web.metrics_token == token and token in cfg.secrets()
    client = create_app(cfg).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics").headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 40}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and "chatbot_queue_depth" in ok.get_data(as_text=True)
    assert client.get("/health").status_code in (200, 503)          # /health stays open
