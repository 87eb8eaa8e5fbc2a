"""GET/POST /webhook with the protocol samples: verification, signatures,
batches, duplicates, statuses, and bad input that never costs a good message."""
import json

import pytest
import requests

from chatbot import db
from chatbot.web.app import create_app
from chatbot.whatsapp import spool
from support.configs import APP_SECRET, VERIFY_TOKEN, load_sample, make_cfg, signed_headers
from support.servers import ThreadedWaitress


@pytest.fixture
def secured(tmp_path):
    cfg = make_cfg(tmp_path, whatsapp={"app_secret": APP_SECRET})
    return cfg, create_app(cfg).test_client()


def inbox_rows(cfg):
    return db.connect(cfg.db_path).execute("SELECT * FROM inbox ORDER BY id").fetchall()


def test_verification_echoes_challenge(client):
    r = client.get("/webhook", query_string={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                             "hub.challenge": "1158201444"})
    assert r.status_code == 200
    assert r.data == b"1158201444"
    assert r.mimetype == "text/plain"


@pytest.mark.parametrize("args", [
    {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
    {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
    {"hub.challenge": "1"},
])
def test_verification_refused(client, args):
    assert client.get("/webhook", query_string=args).status_code == 403


def test_signed_text_is_stored(secured):
    cfg, client = secured
    body = load_sample("webhooks/text.json")
    r = client.post("/webhook", data=body, headers=signed_headers(body))
    assert r.status_code == 200
    rows = inbox_rows(cfg)
    assert len(rows) == 1
    assert rows[0]["body"] == "Bom dia! Vocês abrem domingo?"
    assert rows[0]["phone_number_id"] == "106540352242922"
    assert rows[0]["wa_id"] == "5585988887777"
    assert rows[0]["contact_name"] == "Maria Souza"
    assert rows[0]["status"] == "queued"


@pytest.mark.parametrize("header", [None, "sha256=deadbeef", "sha1=abc", ""])
def test_bad_signature_is_403_and_stores_nothing(secured, header):
    cfg, client = secured
    body = load_sample("webhooks/text.json")
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["X-Hub-Signature-256"] = header
    assert client.post("/webhook", data=body, headers=headers).status_code == 403
    assert inbox_rows(cfg) == []


def test_signature_is_over_raw_bytes(secured):
    """Re-serialised JSON differs from the bytes Meta signed (accents, spacing)."""
    cfg, client = secured
    raw = load_sample("webhooks/text.json")
    reserialised = json.dumps(json.loads(raw)).encode()
    assert reserialised != raw
    r = client.post("/webhook", data=reserialised, headers=signed_headers(raw))
    assert r.status_code == 403


def test_sandbox_accepts_unsigned(client, cfg):
    body = load_sample("webhooks/text.json")
    assert client.post("/webhook", data=body, headers={"Content-Type": "application/json"}).status_code == 200
    assert len(inbox_rows(cfg)) == 1


def test_duplicate_delivery_is_stored_once(secured):
    cfg, client = secured
    body = load_sample("webhooks/text.json")
    for _ in range(3):
        assert client.post("/webhook", data=body, headers=signed_headers(body)).status_code == 200
    assert len(inbox_rows(cfg)) == 1


def _batch(n_entries=2, n_changes=2, n_msgs=3):
    entries = []
    k = 0
    for e in range(n_entries):
        changes = []
        for _c in range(n_changes):
            msgs = []
            for _m in range(n_msgs):
                k += 1
                msgs.append({"from": f"55859900{k:05d}", "id": f"wamid.batch.{k}", "timestamp": "1764100000",
                             "type": "text", "text": {"body": f"mensagem {k}"}})
            changes.append({"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "5585", "phone_number_id": "106540352242922"},
                "messages": msgs}})
        entries.append({"id": str(e), "changes": changes})
    return {"object": "whatsapp_business_account", "entry": entries}, k


def test_every_entry_change_and_message_is_read(secured):
    cfg, client = secured
    payload, k = _batch()
    body = json.dumps(payload).encode()
    assert client.post("/webhook", data=body, headers=signed_headers(body)).status_code == 200
    assert len(inbox_rows(cfg)) == k == 12


def test_bad_items_do_not_cost_good_ones(secured):
    cfg, client = secured
    payload, _ = _batch(1, 1, 2)
    value = payload["entry"][0]["changes"][0]["value"]
    value["messages"].insert(0, {"id": 42, "type": None})          # wrong types
    value["messages"].append("not an object")
    payload["entry"].append({"changes": "nope"})
    payload["entry"].append(None)
    body = json.dumps(payload).encode()
    assert client.post("/webhook", data=body, headers=signed_headers(body)).status_code == 200
    assert [r["body"] for r in inbox_rows(cfg)] == ["mensagem 1", "mensagem 2"]


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"entry": 5}', b"\xff\xfe\x00", b'"x"'])
def test_malformed_is_400(secured, body):
    cfg, client = secured
    assert client.post("/webhook", data=body, headers=signed_headers(body)).status_code == 400
    assert inbox_rows(cfg) == []


def test_body_over_limit_is_413(tmp_path):
    cfg = make_cfg(tmp_path, web={"max_body_bytes": 2048})
    client = create_app(cfg).test_client()
    body = b'{"entry": [], "pad": "' + b"x" * 4096 + b'"}'
    assert client.post("/webhook", data=body, headers={"Content-Type": "application/json"}).status_code == 413


@pytest.mark.parametrize("name", ["image.json", "audio.json", "location.json", "reaction.json",
                                  "unsupported.json", "button_reply.json", "list_reply.json"])
def test_every_sample_type_is_accepted(secured, name):
    cfg, client = secured
    body = load_sample(f"webhooks/{name}")
    assert client.post("/webhook", data=body, headers=signed_headers(body)).status_code == 200
    rows = inbox_rows(cfg)
    assert len(rows) == 1
    if name in ("button_reply.json", "list_reply.json"):
        assert rows[0]["body"]      # the title is read as text


def test_statuses_recorded_against_outbound_out_of_order(secured):
    cfg, client = secured
    conn = db.connect(cfg.db_path)
    wamid = json.loads(load_sample("webhooks/status_read.json"))["entry"][0]["changes"][0]["value"]["statuses"][0]["id"]
    with db.transaction(conn):
        conn.execute("INSERT INTO outbox (phone_number_id, wa_id, body, state, wamid, created_at, updated_at)"
                     " VALUES ('106540352242922', '5585988887777', '{}', 'sent', ?, 0, 0)", (wamid,))
    for name in ("status_read.json", "status_delivered.json", "status_read.json"):
        body = load_sample(f"webhooks/{name}").replace(
            json.loads(load_sample(f"webhooks/{name}"))["entry"][0]["changes"][0]["value"]["statuses"][0]["id"].encode(),
            wamid.encode())
        assert client.post("/webhook", data=body, headers=signed_headers(body)).status_code == 200
    assert conn.execute("SELECT delivery FROM outbox WHERE wamid=?", (wamid,)).fetchone()[0] == "read"
    assert conn.execute("SELECT COUNT(*) FROM statuses WHERE wamid=?", (wamid,)).fetchone()[0] == 2
    assert inbox_rows(cfg) == []


def test_failed_status_keeps_error_code(secured):
    cfg, client = secured
    body = load_sample("webhooks/status_failed.json")
    assert client.post("/webhook", data=body, headers=signed_headers(body)).status_code == 200
    row = db.connect(cfg.db_path).execute("SELECT status, error_code FROM statuses").fetchone()
    assert (row["status"], row["error_code"]) == ("failed", 131047)


def test_unconfigured_phone_number_id_is_acked_not_stored(tmp_path):
    cfg = make_cfg(tmp_path, whatsapp={"app_secret": APP_SECRET, "phone_number_ids": ["999"]})
    client = create_app(cfg).test_client()
    body = load_sample("webhooks/text.json")
    assert client.post("/webhook", data=body, headers=signed_headers(body)).status_code == 200
    assert inbox_rows(cfg) == []


def test_locked_database_spools_the_batch_and_the_worker_drains_it(tmp_path, monkeypatch):
    from chatbot.web import webhook as webhook_routes
    monkeypatch.setattr(webhook_routes, "BUSY_BACKOFF_SECONDS", 0)
    cfg = make_cfg(tmp_path, whatsapp={"app_secret": APP_SECRET}, web={"db_busy_timeout_ms": 100})
    client = create_app(cfg).test_client()
    blocker = db.connect(cfg.db_path)
    blocker.execute("BEGIN IMMEDIATE")
    body = load_sample("webhooks/text.json")
    try:
        r = client.post("/webhook", data=body, headers=signed_headers(body))
        assert r.status_code == 200
        assert len(spool.pending(cfg.spool_dir)) == 1
    finally:
        blocker.execute("ROLLBACK")
    assert inbox_rows(cfg) == []
    # Redelivered meanwhile and stored directly: the drain must not double it.
    assert client.post("/webhook", data=body, headers=signed_headers(body)).status_code == 200
    assert spool.drain(db.connect(cfg.db_path), cfg.spool_dir) == 1
    assert spool.pending(cfg.spool_dir) == []
    assert len(inbox_rows(cfg)) == 1


def test_locked_database_and_unwritable_spool_answer_503(tmp_path):
    cfg = make_cfg(tmp_path, whatsapp={"app_secret": APP_SECRET}, web={"db_busy_timeout_ms": 100})
    client = create_app(cfg).test_client()
    cfg.spool_dir.parent.mkdir(parents=True, exist_ok=True)
    cfg.spool_dir.write_text("a file where the spool folder should be")
    blocker = db.connect(cfg.db_path)
    blocker.execute("BEGIN IMMEDIATE")
    body = load_sample("webhooks/text.json")
    try:
        r = client.post("/webhook", data=body, headers=signed_headers(body))
    finally:
        blocker.execute("ROLLBACK")
    assert r.status_code == 503
    assert r.headers["Retry-After"]


def test_real_waitress_serves_webhook(tmp_path):
    cfg = make_cfg(tmp_path, whatsapp={"app_secret": APP_SECRET})
    server = ThreadedWaitress(create_app(cfg)).start()
    try:
        body = load_sample("webhooks/text.json")
        r = requests.post(server.url + "/webhook", data=body, headers=signed_headers(body), timeout=5)
        assert r.status_code == 200
        r = requests.post(server.url + "/webhook", data=body, headers={"X-Hub-Signature-256": "sha256=00"}, timeout=5)
        assert r.status_code == 403
    finally:
        server.stop()
    assert len(inbox_rows(cfg)) == 1


def _text_body(wamid: str, text: str, sender: str = "5585988887777") -> bytes:
    """A one-message batch as Meta would serialise it (ASCII-escaped JSON), so
    a lone surrogate reaches us as the six characters \\ud800."""
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "558533334444", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Cliente \ud800"}, "wa_id": sender}],
            "messages": [{"from": sender, "id": wamid, "timestamp": "1764100000", "type": "text",
                          "text": {"body": text}}]}}]}]}).encode()


def test_lone_surrogate_batch_is_stored_and_fails_no_neighbour(tmp_path):
    """Concurrent real requests: batches holding a lone surrogate are stored
    with U+FFFD in its place, and every request sharing their group commit gets 200."""
    from concurrent.futures import ThreadPoolExecutor
    cfg = make_cfg(tmp_path, whatsapp={"app_secret": APP_SECRET})
    server = ThreadedWaitress(create_app(cfg), threads=8).start()
    try:
        bodies = [_text_body(f"wamid.bad{i}", "quanto custa o arroz \ud800?") if i % 5 == 0
                  else _text_body(f"wamid.good{i}", f"oi {i}", sender=f"55859888{i:05d}")
                  for i in range(60)]
        with ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(lambda b: requests.post(server.url + "/webhook", data=b,
                                                          headers=signed_headers(b), timeout=30).status_code,
                                  bodies))
    finally:
        server.stop()
    assert codes == [200] * 60
    rows = {r["wamid"]: r for r in inbox_rows(cfg)}
    assert len(rows) == 60
    bad = rows["wamid.bad0"]
    assert bad["body"] == "quanto custa o arroz \ufffd?"
    assert bad["contact_name"] == "Cliente \ufffd"
    assert bad["status"] == "queued"


def test_a_batch_sqlite_refuses_fails_alone_in_its_group(tmp_path):
    """Isolation inside the group commit itself: a batch whose rows SQLite
    cannot take (here a value of no SQL type) fails, the batches queued with
    it in the same group are stored."""
    import threading

    from chatbot.whatsapp import group_commit, inbox
    from chatbot.whatsapp import webhook as wh
    cfg = make_cfg(tmp_path)
    db.connect(cfg.db_path).close()
    gc = group_commit.GroupCommitter(cfg.db_path, 500, None)
    good = [wh.parse(_text_body(f"wamid.g{i}", f"oi {i}", sender=f"5585{i:07d}")) for i in range(6)]
    bad = wh.parse(_text_body("wamid.x", "oi"))
    real_rows = inbox.rows

    def rows(batch, accept, now):
        r = real_rows(batch, accept, now)
        if batch is bad:
            r.messages = [r.messages[0][:5] + (object(),) + r.messages[0][6:]]
        return r
    gate = threading.Lock()
    gate.acquire()
    orig_run = gc._run

    def run():   # hold the writer until every batch has queued: they are one group
        gate.acquire()
        orig_run()
    gc._run = run
    results = {}

    def store(name, batch):
        try:
            results[name] = gc.store(batch)
        except Exception as exc:
            results[name] = exc
    inbox.rows, saved = rows, inbox.rows
    try:
        threads = [threading.Thread(target=store, args=(f"g{i}", b)) for i, b in enumerate(good)]
        threads.append(threading.Thread(target=store, args=("bad", bad)))
        for t in threads:
            t.start()
        while gc.queue.qsize() < len(threads):
            threading.Event().wait(0.01)
        gate.release()
        for t in threads:
            t.join(10)
    finally:
        inbox.rows = saved
    assert isinstance(results.pop("bad"), Exception)
    assert all(r == {"foreign": 0} for r in results.values()), results
    stored = {r["wamid"] for r in inbox_rows(cfg)}
    assert stored == {f"wamid.g{i}" for i in range(6)}


def test_forged_webhooks_are_counted_in_memory_and_only_sampled(secured, caplog):
    """A flood of bad signatures: counted exactly (/metrics, /stats), a few
    rows a minute in webhook_rejects, a rate-limited log line."""
    import logging

    from prometheus_client.parser import text_string_to_metric_families

    from chatbot import clock
    from support.configs import ADMIN_TOKEN
    cfg, client = secured
    clock.freeze(1_764_100_000.0)
    body = load_sample("webhooks/text.json")
    forged = {"X-Hub-Signature-256": "sha256=" + "0" * 64, "Content-Type": "application/json"}
    with caplog.at_level(logging.WARNING, logger="chatbot.web"):
        for _ in range(500):
            assert client.post("/webhook", data=body, headers=forged).status_code == 403
        clock.advance(61)
        assert client.post("/webhook", data=body, headers=forged).status_code == 403
    conn = db.connect(cfg.db_path)
    rows = conn.execute("SELECT COUNT(*), SUM(count) FROM webhook_rejects").fetchone()
    assert rows[0] == 11              # ten samples in the first minute, one in the next
    assert rows[1] == 501             # ...standing for every refusal
    lines = [r.getMessage() for r in caplog.records if "webhook rejected" in r.getMessage()]
    assert len(lines) == 2 and "499 more" in lines[1], lines
    metrics = client.get("/metrics").get_data(as_text=True)
    total = [s.value for f in text_string_to_metric_families(metrics) for s in f.samples
             if s.name == "chatbot_webhook_rejects_total" and s.labels.get("reason") == "bad signature"]
    assert total == [501]
    clock.advance(5)
    assert client.post("/webhook", data=body, headers=forged).status_code == 403
    stats = client.get("/stats", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).get_json()
    assert stats["errors"]["webhook_rejects"] == [{"reason": "bad signature", "count": 502}]


@pytest.mark.parametrize("host, allow, expect", [
    ("127.0.0.1", False, 200), ("::1", False, 200), ("localhost", False, 200),
    ("0.0.0.0", False, 403), ("192.168.1.10", False, 403), ("0.0.0.0", True, 200)])
def test_sandbox_takes_unsigned_posts_only_on_loopback_or_when_allowed(tmp_path, host, allow, expect):
    cfg = make_cfg(tmp_path, web={"host": host}, whatsapp={"allow_unsigned": allow})
    client = create_app(cfg).test_client()
    body = load_sample("webhooks/text.json")
    assert client.post("/webhook", data=body, headers={"Content-Type": "application/json"}).status_code == expect
    assert len(inbox_rows(cfg)) == (1 if expect == 200 else 0)


@pytest.mark.slow
def test_chatbot_web_on_all_interfaces_refuses_unsigned_posts(tmp_path):
    """The real command: --host 0.0.0.0 on the command line counts, not just the file."""
    import signal

    from support.configs import toml_of
    from support.servers import command, free_port, wait_http
    port = free_port()
    path = tmp_path / "chatbot.toml"
    path.write_text(toml_of({"paths": {"state_dir": str(tmp_path / "state")}, "llm": {"enabled": False}}))
    import subprocess
    proc = command("chatbot-web", path, "--host", "0.0.0.0", "--port", str(port),
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", timeout=30)
        body = load_sample("webhooks/text.json")
        r = requests.post(f"http://127.0.0.1:{port}/webhook", data=body, timeout=10,
                          headers={"Content-Type": "application/json"})
        assert r.status_code == 403
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert "unsigned webhooks are refused" in err


# -- issue 23, 6: sandbox mode behind a proxy ---------------------------------------------------

@pytest.mark.parametrize("trusted", [0, 1])
def test_sandbox_refuses_unsigned_posts_a_proxy_forwarded(tmp_path, trusted):
    """Behind the documented nginx every client connects from 127.0.0.1: the listener is loopback,
    so the old rule took anyone's unsigned post. Now only a loopback peer with no forwarding
    header is taken (the real chatbot-web server, as web/serve.py builds it)."""
    import threading

    from chatbot.web import serve
    from support.servers import free_port, wait_http
    cfg = make_cfg(tmp_path, web={"trusted_proxies": trusted})
    port = free_port()
    server = serve.create_server(create_app(cfg), cfg, "127.0.0.1", port)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{port}/webhook"
        wait_http(url)
        body = load_sample("webhooks/text.json")
        plain = {"Content-Type": "application/json"}
        for forwarded in ({"X-Forwarded-For": "203.0.113.9"}, {"X-Forwarded-For": "127.0.0.1"},
                          {"X-Real-IP": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"}):
            r = requests.post(url, data=body, headers={**plain, **forwarded}, timeout=10)
            assert r.status_code == 403, (forwarded, r.status_code)
        assert inbox_rows(cfg) == []
        # a program on this host (chatbot send-test, curl) is still taken
        assert requests.post(url, data=body, headers=plain, timeout=10).status_code == 200
        assert len(inbox_rows(cfg)) == 1
    finally:
        server.close()
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=2)
        from waitress import wasyncore
        wasyncore.close_all(server._map)


def test_allow_unsigned_still_takes_forwarded_posts(tmp_path):
    cfg = make_cfg(tmp_path, whatsapp={"allow_unsigned": True})
    client = create_app(cfg).test_client()
    body = load_sample("webhooks/text.json")
    r = client.post("/webhook", data=body, headers={"Content-Type": "application/json",
                                                     "X-Forwarded-For": "203.0.113.9"})
    assert r.status_code == 200
