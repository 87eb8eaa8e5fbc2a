"""Orders are kept: cleanup deletes closed orders only after [retention] orders_days (their items
and history with them), never an open one, and drops carts past their time; every backup holds
the orders tables."""
from __future__ import annotations

import sqlite3
import tarfile

from chatbot import clock
from chatbot.ops import backup, maintenance
from chatbot.orders import store
from conftest import make_cfg
from test_orders_api import place_order, shop  # noqa: F401


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
