"""The load generator against the real webhook (waitress on a free port, a
real SQLite file): every request answered 200, every message in the inbox
exactly once, redeliveries absorbed. No timing assertions: the numbers
belong in docs/BENCHMARKS.md, not here."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading

import pytest
from flask import Flask, Response

from chatbot import db
from chatbot.web.app import create_app
from chatbot.whatsapp import webhook
from support.configs import APP_SECRET, make_cfg
from support.servers import ROOT, ThreadedWaitress


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module      # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


loadgen = _load("loadgen")


@pytest.fixture
def webhook_server(tmp_path):
    cfg = make_cfg(tmp_path, whatsapp={"app_secret": APP_SECRET})
    server = ThreadedWaitress(create_app(cfg)).start()
    yield cfg, server.url + "/webhook"
    server.stop()


def _inbox(cfg, run_id: str) -> list:
    conn = db.connect(cfg.db_path)
    try:
        return conn.execute("SELECT wamid, wa_id, body FROM inbox WHERE wamid LIKE ?",
                            (f"wamid.load.{run_id}.%",)).fetchall()
    finally:
        conn.close()


@pytest.mark.slow       # an open-loop run at its pace
def test_open_loop_every_message_lands_once_and_redeliveries_dedup(webhook_server):
    cfg, url = webhook_server
    result = loadgen.run(loadgen.Options(url=url, app_secret=APP_SECRET, rate=80, count=200, connections=4,
                                         redeliver=0.15, customers=20, seed=7))
    s = result.summary()
    assert s["requests"] == 200 and s["statuses"] == {"200": 200} and s["errors"] == {}
    assert s["mode"] == "open" and not s["interrupted"]
    assert result.redeliveries > 0
    assert len(result.wamids) == 200 - result.redeliveries == len(set(result.wamids))
    rows = _inbox(cfg, result.run_id)
    assert sorted(r["wamid"] for r in rows) == sorted(result.wamids)     # each one, once
    assert len({r["wa_id"] for r in rows}) == 20
    assert all(r["body"] in loadgen.TEXTS for r in rows)
    assert not (cfg.spool_dir.exists() and any(cfg.spool_dir.iterdir()))


def test_closed_loop_batches_of_several_messages(webhook_server):
    cfg, url = webhook_server
    result = loadgen.run(loadgen.Options(url=url, app_secret=APP_SECRET, count=40, connections=3, per_batch=3,
                                         customers=7))
    s = result.summary()
    assert s["mode"] == "closed" and s["statuses"] == {"200": 40}
    assert s["messages"] == {"distinct": 120, "redeliveries": 0, "per_batch": 3, "customers": 7}
    rows = _inbox(cfg, result.run_id)
    assert sorted(r["wamid"] for r in rows) == sorted(result.wamids) and len(rows) == 120
    assert len({r["wa_id"] for r in rows}) == 7


def test_cli_reports_a_wrong_secret_as_failures(webhook_server, capsys, tmp_path):
    cfg, url = webhook_server
    out = tmp_path / "sent.txt"
    code = loadgen.main(["--url", url, "--secret", "not-the-secret", "--count", "12", "--connections", "2",
                         "--wamids-out", str(out)])
    s = json.loads(capsys.readouterr().out)
    assert code == 1
    assert s["statuses"] == {"403": 12} and s["ok"] == 0 and s["failed"] == 12
    assert len(out.read_text().split()) == 12
    assert _inbox(cfg, s["run_id"]) == []


def test_cli_refuses_an_unbounded_run(capsys):
    assert loadgen.main(["--url", "http://127.0.0.1:9/webhook"]) == 2
    assert "bounded" in capsys.readouterr().err


def test_transport_errors_are_counted_not_raised():
    from support.servers import free_port
    url = f"http://127.0.0.1:{free_port()}/webhook"       # nothing listens there
    s = loadgen.run(loadgen.Options(url=url, app_secret="x", count=5, connections=1)).summary()
    assert s["requests"] == 5 and s["ok"] == 0 and s["errors"] == {"ConnectionRefusedError": 5}


def test_redelivery_resends_an_earlier_body_byte_for_byte():
    plan = loadgen.Plan(loadgen.Options(url="http://x/webhook", app_secret=APP_SECRET, count=1,
                                        redeliver=0.3, per_batch=2, customers=5))
    seen = {}
    again = 0
    for _ in range(300):
        body, sig, redelivery = plan.next()
        assert sig == webhook.sign(body, APP_SECRET)
        assert webhook.signature_ok(body, sig, APP_SECRET)
        if redelivery:
            again += 1
            assert seen[body] == sig
        else:
            assert body not in seen
            seen[body] = sig
            parsed = webhook.parse(body)
            assert [m.wamid for m in parsed.messages] == loadgen.wamids_in(body)
            assert len(parsed.messages) == 2 and all(m.body for m in parsed.messages)
    assert again == plan.redeliveries > 0
    assert len(plan.wamids) == 2 * len(seen) == len(set(plan.wamids))


def test_open_loop_counts_the_wait_behind_a_stall(tmp_path):
    """Coordinated omission: while the server stalls, the requests falling due
    meanwhile must carry that wait in their latency, not just the one stuck request."""
    app = Flask("stall")
    lock, state = threading.Lock(), {"n": 0}
    release = threading.Event()

    @app.post("/webhook")
    def hook():
        with lock:
            state["n"] += 1
            n = state["n"]
        if n == 5:
            release.wait(0.5)      # one request stalls for half a second
        return Response("OK")

    server = ThreadedWaitress(app, threads=2).start()
    try:
        result = loadgen.run(loadgen.Options(url=server.url + "/webhook", rate=50, count=40, connections=1))
    finally:
        server.stop()
    assert result.summary()["statuses"] == {"200": 40}
    behind = [r for r in result.records if r.start - r.due >= 0.2]
    # On one connection, every request due during the stall's first 0.3 s starts
    # at least 0.2 s late (about 15 at 50 req/s); a closed loop would show none.
    assert len(behind) >= 10


def test_replace_section_keeps_other_sections():
    bench = _load("bench_webhook")
    section = f"{bench.MARK_START}\n## Webhook\nnew\n{bench.MARK_END}"
    assert bench.replace_section("", section).startswith("# Benchmarks\n\n" + bench.MARK_START)
    doc = f"# Benchmarks\n\n## LLM\nkeep me\n\n{bench.MARK_START}\n## Webhook\nold\n{bench.MARK_END}\n\n## DB\nme too\n"
    out = bench.replace_section(doc, section)
    assert "old" not in out and "new" in out and "keep me" in out and "me too" in out
    assert out.count(bench.MARK_START) == 1
    assert bench.replace_section(out, section) == out
    other_start, other_end, title = bench.markers(5000)      # a variant run: its own section
    variant = f"{other_start}\n{title}\nv\n{other_end}"
    both = bench.replace_section(out, variant)
    assert "new" in both and title in both and bench.replace_section(both, variant) == both


@pytest.mark.slow
def test_benchmark_orchestration_end_to_end(tmp_path):
    """A tiny run of bench/bench_webhook.py: real chatbot-web, chatbot-worker,
    hello-world ceiling and Graph API stand-in as processes; it writes its section."""
    doc = tmp_path / "BENCHMARKS.md"
    doc.write_text("# Benchmarks\n\n## Other\nuntouched\n", encoding="utf-8")
    raw = tmp_path / "raw.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_webhook.py"), "--reps", "1",
                           "--open-seconds", "2", "--closed-seconds", "1", "--warmup-seconds", "0.5",
                           "--backlog", "50", "--rate", "50", "--doc", str(doc), "--json-out", str(raw)],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = doc.read_text(encoding="utf-8")
    assert "## Other\nuntouched" in text and "## Webhook" in text and "The machine was shared" in text
    res = json.loads(raw.read_text())
    assert {(r["target"], r["mode"]) for r in res["runs"]} == {
        (t, m) for t in ("ceiling", "webhook", "webhook-no-worker") for m in ("closed", "open")}
    totals = res["medians"]["totals"]
    assert totals["webhook"]["failed"] == 0 and totals["webhook"]["lost"] == 0
    assert totals["webhook-no-worker"]["lost"] == 0 and totals["ceiling"]["failed"] == 0
    busy = [r for r in res["runs"] if r["target"] == "webhook"]
    assert all(r["worker"]["backlog_start"] > 0 for r in busy)     # the worker had work throughout
