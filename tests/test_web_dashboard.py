"""The dashboard, /stats, conversations, backup and test message, through
Flask's test client on seeded real SQLite files (and a real worker thread
for the test message)."""
from __future__ import annotations

import html
import threading
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from chatbot import clock, db, events
from chatbot.ops import backup, jobs
from chatbot.web import charts, stats
from chatbot.web.app import create_app
from chatbot.worker import Worker
from support.configs import ADMIN_TOKEN, make_cfg
from support.seed import HOSTILE, HOSTILE_NAME, HUMAN, NOW, seed
from support.waiting import wait_until

BEARER = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
HTML = dict(BEARER, Accept="text/html")
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def seeded(cfg, conn):
    clock.freeze(NOW)
    return seed(conn, NOW)


class Svgs(HTMLParser):
    """The raw text of every <svg>...</svg> in a page."""

    def __init__(self, html: str):
        super().__init__()
        self.html, self.found = html, []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            line, col = self.getpos()
            start = sum(len(x) for x in self.html.splitlines(keepends=True)[: line - 1]) + col
            self.found.append(self.html[start: self.html.index("</svg>", start) + 6])


def test_dashboard_in_portuguese_with_svg_charts(client, seeded):
    resp = client.get("/dashboard", headers=HTML)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    for label in ("Mensagens", "Respondidas", "Falhas", "Latência", "Aguardando atendente", "Principais intenções",
                  "CPU, memória e disco", "Erros recentes", "Alertas ativos", "Último backup", "Últimas 24 h",
                  "Últimos 7 dias", 'lang="pt-BR"'):
        assert label in page, label
    svgs = [ET.fromstring(s) for s in Svgs(page).found]     # each chart is well-formed XML
    assert len(svgs) == 4
    bars = svgs[0].findall(f".//{SVG}rect")
    assert len(bars) > 50                                     # one per non-empty bucket and series
    assert svgs[1].findall(f".//{SVG}path") and svgs[2].findall(f".//{SVG}path")
    assert '<script src="/static/dashboard.js' in page and 'id="live"' in page


def test_dashboard_shows_the_seeded_state(client, seeded):
    page = client.get("/dashboard", headers=HTML).get_data(as_text=True)
    d = client.get("/stats", headers=BEARER).get_json()
    assert f'<span class="value">{charts.num(d["totals"]["received"])}</span>' in page
    for wa_id in HUMAN:
        assert f'/conversations/{wa_id}' in page                # waiting for a person
    assert "job_failed:cleanup" in page and "falhou" in page
    assert "48,3 MB" in page                                   # the last backup
    assert "131047: 2" in page                                 # Graph API errors by code


def test_seven_day_view(client, seeded):
    page = client.get("/dashboard?hours=168", headers=HTML).get_data(as_text=True)
    assert 'aria-current="page">Últimos 7 dias' in page
    d = client.get("/stats?hours=168", headers=BEARER).get_json()
    assert d["totals"]["received"] == seeded["received"]
    assert len(d["t"]) == len(d["series"]["answered"]) == len(d["series"]["cpu_percent"]) == 168


def test_stats_json(client, seeded):
    d = client.get("/stats?hours=24", headers=BEARER).get_json()
    assert d["hours"] == 24 and d["bucket_seconds"] == 600 and d["timezone"] == "America/Fortaleza"
    assert {"totals", "series", "intents", "queue", "worker", "handoffs_waiting", "errors", "alerts_firing",
            "last_backup", "jobs", "system_latest"} <= set(d)
    assert d["unavailable"] == {}
    assert [h["wa_id"] for h in d["handoffs_waiting"]] == list(reversed(HUMAN))      # oldest first
    assert {j["job"] for j in d["jobs"]} == set(jobs.JOBS)
    assert 1000 < d["totals"]["latency_p50_ms"] < d["totals"]["latency_p95_ms"] < 6000
    assert d["worker"]["stale"] is False


@pytest.mark.parametrize("bad", ["0", "721", "abc", "-5", "1.5"])
def test_stats_rejects_a_bad_window(client, seeded, bad):
    resp = client.get(f"/stats?hours={bad}", headers=BEARER)
    assert resp.status_code == 400 and "hours" in resp.get_json()["error"]


def test_the_fragment_is_the_live_part_only(client, seeded):
    frag = client.get("/dashboard/fragment?hours=168", headers=HTML).get_data(as_text=True)
    assert "<html" not in frag and "<svg" in frag and "Atualizado às" in frag
    assert "últimos 7 dias" in frag


def test_hostile_text_is_shown_as_text(client, seeded, conn):
    with db.transaction(conn):
        events.record(conn, intent="<b>bold</b>", latency_ms=10, success=False, error=HOSTILE)
    pages = [client.get(p, headers=HTML).get_data(as_text=True)
             for p in ("/dashboard", "/conversations", "/conversations/5585988880005")]
    for page in pages:
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>bold" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in pages[0]               # the intent chart's label
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in pages[0]   # the error text
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[1]     # a customer's name
    detail = client.get("/conversations/" + next(row[3] for row in seeded["inbox"] if row[6] == HOSTILE),
                        headers=HTML).get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in detail and "<script>alert" not in detail
    # JSON carries the text as it is, as data: nosniff and a JSON type keep browsers from rendering it
    resp = client.get("/conversations/5585988880005", headers=BEARER)
    assert resp.get_json()["contact_name"] == HOSTILE_NAME
    assert resp.mimetype == "application/json" and resp.headers["X-Content-Type-Options"] == "nosniff"


def test_times_are_shown_in_the_store_time_zone(tmp_path):
    at = 1_760_000_000.0                   # 2025-10-09 08:53:20 UTC
    for tz, shown in (("America/Fortaleza", "09/10 05:53"), ("America/Manaus", "09/10 04:53"), ("UTC", "09/10 08:53")):
        cfg = make_cfg(tmp_path / tz.replace("/", "_"), bot={"store_timezone": tz})
        conn = db.connect(cfg.db_path)
        clock.freeze(at)
        with db.transaction(conn):
            events.record(conn, intent="price", latency_ms=10, success=False, error="boom")
        clock.freeze(at + 60)
        page = create_app(cfg).test_client().get("/dashboard", headers=HTML).get_data(as_text=True)
        assert f"<td>{shown}</td>" in page, tz


def test_conversations_list_puts_customers_waiting_for_a_person_first(client, seeded):
    data = client.get("/conversations", headers=BEARER).get_json()["conversations"]
    assert [c["wa_id"] for c in data[:2]] == sorted(HUMAN, key=lambda w: -max(
        r[9] for r in seeded["inbox"] if r[3] == w))
    assert {c["mode"] for c in data[:2]} == {"human"} and {c["mode"] for c in data[2:]} == {"bot"}
    assert len(data) == 10
    page = client.get("/conversations", headers=HTML).get_data(as_text=True)
    assert page.count("aguardando atendente") == 2


def test_conversation_shows_messages_with_the_bots_replies(client, seeded):
    wa_id = "5585988880001"
    conv = client.get(f"/conversations/{wa_id}", headers=BEARER).get_json()
    mine = [r for r in seeded["inbox"] if r[3] == wa_id]
    customer = [m for m in conv["messages"] if m["who"] == "customer"]
    assert [m["id"] for m in customer] == [f"in-{r[0]}" for r in mine][-len(customer):]
    assert len(customer) >= min(len(mine), 100)
    answered = [i for i, m in enumerate(conv["messages"]) if m.get("status") == "answered"]
    assert answered and all(conv["messages"][i + 1]["who"] == "bot" and conv["messages"][i + 1]["text"]
                            for i in answered if i + 1 < len(conv["messages"]))
    page = client.get(f"/conversations/+{wa_id}", headers=HTML).get_data(as_text=True)
    last_bot = [m for m in conv["messages"] if m["who"] == "bot"][-1]["text"]
    assert html.escape(last_bot, quote=False) in page and "robô" in page
    human = client.get(f"/conversations/{HUMAN[0]}", headers=BEARER).get_json()
    assert human["mode"] == "human" and human["reason"] == "human_request"


@pytest.mark.parametrize("number,status", [("5500000000001", 404), ("abc", 404), ("12", 404)])
def test_unknown_or_malformed_numbers_are_404(client, seeded, number, status):
    assert client.get(f"/conversations/{number}", headers=BEARER).status_code == status


def test_admin_backup_runs_the_real_backup(client, cfg, conn):
    resp = client.post("/admin/backup", headers=BEARER)
    assert resp.status_code == 200
    summary = resp.get_json()
    assert summary["path"].endswith(".tar.gz") and summary["size"] > 0
    last = backup.last_backup(conn)
    assert last["path"] == summary["path"] and last["sha256"] == summary["sha256"]


def test_admin_backup_failure_is_one_line(tmp_path):
    cfg = make_cfg(tmp_path, paths={"backup_dir": "/proc/no-such-place/backups"})
    resp = create_app(cfg).test_client().post("/admin/backup", headers=BEARER)
    assert resp.status_code == 500
    error = resp.get_json()["error"]
    assert error.startswith("O backup falhou") and "\n" not in error and "Traceback" not in error


@pytest.fixture
def worker(cfg):
    w = Worker(cfg, owner="test-worker")
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    yield w
    w.stopping.set()
    t.join(10)


def test_test_message_goes_through_the_real_path(client, worker, conn):
    resp = client.post("/test-message", headers=BEARER, json={"text": "Vocês abrem domingo?", "timeout": 30})
    out = resp.get_json()
    assert resp.status_code == 200, out
    assert out["status"] == "answered" and out["reply"] and out["from"] == "5500999990000"
    row = conn.execute("SELECT wa_id, body, status FROM inbox WHERE wamid=?", (out["wamid"],)).fetchone()
    assert tuple(row) == ("5500999990000", "Vocês abrem domingo?", "answered")
    assert conn.execute("SELECT COUNT(*) FROM events WHERE inbox_id=(SELECT id FROM inbox WHERE wamid=?)",
                        (out["wamid"],)).fetchone()[0] == 1


def test_test_message_without_a_worker_times_out(client):
    resp = client.post("/test-message", headers=BEARER, json={"text": "oi", "timeout": 1})
    assert resp.status_code == 504
    assert resp.get_json()["status"] == "timeout"


@pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": "x" * 5000}, {"text": "oi", "from": "abc"},
                                  {"text": "oi", "timeout": "soon"}])
def test_test_message_checks_its_input(client, body):
    assert client.post("/test-message", headers=BEARER, json=body).status_code == 400


def test_a_broken_section_does_not_break_the_page(client, seeded, conn):
    conn.execute("DROP TABLE metrics")
    d = client.get("/stats", headers=BEARER).get_json()
    assert "system" in d["unavailable"] and d["totals"]["received"] > 0
    page = client.get("/dashboard", headers=HTML)
    assert page.status_code == 200 and "Dados indisponíveis" in page.get_data(as_text=True)


# -- the numbers behind the charts ---------------------------------------------------------

def test_bucket_cache_gives_the_same_numbers_and_sees_new_events(cfg, conn):
    seed(conn, NOW)
    cache = stats.BucketCache()
    since, until, step, n = stats.window(24, NOW)
    fresh = stats.message_series(conn, since, until, step, n, NOW)
    assert stats.message_series(conn, since, until, step, n, NOW, cache) == fresh
    assert stats.message_series(conn, since, until, step, n, NOW, cache) == fresh      # from the cache
    clock.freeze(NOW - 1)
    with db.transaction(conn):
        events.record(conn, intent="new_intent", latency_ms=50)
    later = stats.message_series(conn, since, until, step, n, NOW, cache)
    assert later["totals"]["handled"] == fresh["totals"]["handled"] + 1
    assert later["series"]["answered"][-1] == fresh["series"]["answered"][-1] + 1
    with db.transaction(conn):           # a restored (older) database: the cache starts over
        conn.execute("DELETE FROM events WHERE id > 10")
    assert stats.message_series(conn, since, until, step, n, NOW, cache)["totals"]["handled"] <= 10


def test_histogram_percentiles_are_within_their_bin_width():
    values = [float(v) for v in range(1, 5001)]
    hist: dict = {}
    for v in values:
        k = stats._lat_bin(v)
        hist[k] = hist.get(k, 0) + 1
    for q, exact in ((0.5, 2500), (0.95, 4750)):
        assert stats.hist_percentile(hist, q) == pytest.approx(exact, rel=0.05)
    assert stats.hist_percentile({}, 0.5) is None


@pytest.mark.parametrize("hours,step,n", [(1, 300, 12), (24, 600, 144), (168, 3600, 168), (720, 21600, 120)])
def test_windows(hours, step, n):
    since, until, s, count = stats.window(hours, NOW)
    assert (s, count) == (step, n) and until - since == step * n and since % step == 0
    assert until - step <= NOW < until


@pytest.mark.parametrize("v,integer,top", [(0, True, 4), (3, True, 4), (7, True, 8), (10, True, 12),
                                           (83, True, 100), (0.3, False, 0.4), (6.7, False, 8), (1234, False, 2000)])
def test_axis_tops_are_round(v, integer, top):
    assert charts.nice_max(v, integer=integer) == pytest.approx(top)


def test_pt_br_formats():
    assert charts.num(1234567.891, 1) == "1.234.567,9"
    assert charts.duration_ms(850) == "850 ms" and charts.duration_ms(1530) == "1,5 s"
    assert charts.ago(45) == "45 s" and charts.ago(600) == "10 min" and charts.ago(86400 * 3) == "3 dias"
    assert charts.size(48_300_000) == "48,3 MB"


def test_an_empty_chart_says_so():
    svg = charts.bars("Mensagens", [NOW], 600, clock.store_zone("UTC"), [charts.Series("Respondidas", [0], "s-ok")])
    assert "Sem dados no período" in svg
    ET.fromstring(str(svg))


def test_the_24h_page_warms_the_7_day_view_in_the_background(app, client, seeded):
    assert client.get("/stats?hours=24", headers=BEARER).status_code == 200
    cache = app.extensions["chatbot_buckets"]

    def hourly():
        with cache.lock:
            return [k for k in cache.data if k[0] == 3600]
    hourly = wait_until(hourly, 20, what="")
    assert len(hourly) == 167                       # every finished hour of the week; the current one is not kept
    assert client.get("/stats?hours=168", headers=BEARER).get_json()["totals"]["received"] == seeded["received"]
