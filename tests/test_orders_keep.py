"""Orders are kept: cleanup deletes closed orders only after [retention] orders_days (their items
and history with them), never an open one, and drops carts past their time; every backup holds
the orders tables."""
from __future__ import annotations

import sqlite3
import tarfile

from chatbot import clock
from chatbot.ops import backup, maintenance
from chatbot.orders import store
from support.configs import make_cfg
from support.orders import place_order


def _counts(conn) -> dict:
    return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("orders", "order_items", "order_events", "carts")}


def test_retention(cfg, shop):  # noqa: F811
    conn = shop
    place_order(conn, cfg, ["2 arroz e 3 leite", "pedido", "retirar", "pix", "confirmar"], wa_id="5582900000002")
    store.set_status(conn, cfg, 2, "cancelled", "ana", "desistiu")
    place_order(conn, cfg, ["2 arroz e 1 óleo"], wa_id="5582900000003")         # a cart, no order
    assert _counts(conn) == {"orders": 2, "order_items": 5, "order_events": 3, "carts": 3}
    clock.advance(1824 * 86400)
    first = maintenance.purge(conn, cfg)
    assert first["orders"] == 0 and first["carts"] == 3      # carts long past their 24 hours
    clock.advance(2 * 86400)
    assert maintenance.purge(conn, cfg)["orders"] == 1       # the cancelled one; order 1 is still new: kept
    assert [o["number"] for o in store.listing(conn)] == [1]
    assert _counts(conn) == {"orders": 1, "order_items": 3, "order_events": 1, "carts": 0}


def test_a_shorter_retention(tmp_path):
    cfg = make_cfg(tmp_path, retention={"orders_days": 30})
    assert cfg.retention.orders_days == 30 and make_cfg(tmp_path / "d").retention.orders_days == 1825


def test_backups_hold_the_orders(cfg, shop, tmp_path):  # noqa: F811
    result = backup.run_backup(cfg)
    assert result["tables"]["orders"] == 1 and result["tables"]["order_items"] == 3
    assert result["tables"]["order_events"] == 1 and "carts" in result["tables"]
    out = tmp_path / "restored"
    with tarfile.open(result["path"]) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(".db"))
        tar.extract(member, out)
    copy = sqlite3.connect(next(out.rglob("*.db")))
    assert copy.execute("SELECT total_cents FROM orders WHERE id=1").fetchone()[0] == 8436


def test_figures_on_stats_metrics_and_dashboard(cfg, client, shop):  # noqa: F811
    from chatbot import events
    from chatbot.db import transaction
    from support.web import BEARER
    conn = shop
    with transaction(conn):
        for _ in range(4):             # what the worker records for each quote it answers
            events.record(conn, phone_number_id="sandbox", wa_id="5582977776666", intent="quote", source="template",
                          confidence=1.0, success=True)
    clock.advance(600)
    store.set_status(conn, cfg, 1, "confirmed", "ana")
    place_order(conn, cfg, ["2 arroz e 3 leite", "pedido", "retirar", "pix", "confirmar"], wa_id="5582900000002")
    f = client.get("/stats", headers=BEARER).get_json()["orders"]
    assert f["orders"] == 2 and f["revenue"] == "155.73" and f["average_ticket"] == "77.86"
    assert f["quotes"] == 4 and f["quotes_to_orders"] == 0.5
    assert f["confirm_count"] == 1 and 600 <= f["confirm_p50_seconds"] <= 700
    assert list(f["orders_per_day"].values())[-1] == 2 and list(f["revenue_per_day"].values())[-1] == "155.73"
    assert f["open"] == {"new": 1, "confirmed": 1, "picking": 0, "out_for_delivery": 0, "ready_for_pickup": 0}
    metrics = client.get("/metrics", headers=BEARER).get_data(as_text=True)
    assert 'chatbot_orders_open{status="new"} 1.0' in metrics and "chatbot_orders_last_24h 2.0" in metrics
    assert "chatbot_orders_revenue_last_24h_reais 155.73" in metrics
    assert "chatbot_quotes_to_orders_ratio 0.5" in metrics
    assert 'chatbot_order_confirm_seconds{quantile="0.5"}' in metrics
    page = client.get("/dashboard/fragment", headers=dict(BEARER, Accept="text/html")).get_data(as_text=True)
    assert "Pedidos no período" in page and "R$ 155,73" in page and "ticket médio R$ 77,86" in page
    assert "Orçamentos que viraram pedido" in page and "50%" in page
