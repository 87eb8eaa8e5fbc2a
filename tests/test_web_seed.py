"""/stats reports exactly what ``support.seed`` wrote: a week of store traffic
through real inserts."""
from __future__ import annotations

from chatbot.web import stats
from support.seed import NOW, seed


def test_stats_totals_match_what_was_seeded(conn, cfg):
    expect = seed(conn, NOW, days=7)
    d = stats.dashboard(conn, cfg, hours=168, now=NOW)
    assert d["totals"]["received"] == expect["received"]
    assert d["totals"]["answered"] == expect["answered"]
    assert d["totals"]["failed"] == expect["failed"]
    assert d["totals"]["handoffs"] == expect["handoffs"]
    top = {i["intent"]: i["count"] for i in d["intents"]}
    assert top == expect["intents"]
    assert sum(d["series"]["answered"]) == expect["answered"]
    assert len(d["t"]) == 168 and d["bucket_seconds"] == 3600


def test_24h_window_counts_only_the_last_day(conn, cfg):
    expect = seed(conn, NOW, days=7)
    d = stats.dashboard(conn, cfg, hours=24, now=NOW)
    since = d["since"]
    day = [row for row in expect["inbox"] if row[9] >= since]
    assert d["totals"]["received"] == len(day)
    assert 0 < d["totals"]["received"] < expect["received"]
    assert d["bucket_seconds"] == 600 and len(d["t"]) == 144
    assert d["t"][-1] <= NOW < d["t"][-1] + 600
