"""Fuzz `chatbot kb import`: broken CSV and TOML never crash it. Every run
either imports or refuses with KBImportError listing what is wrong, and a
refused import leaves the knowledge base that was loaded before untouched."""
import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatbot import db
from chatbot.bot.store import knowledge
from support.configs import make_cfg

STORE = Path(__file__).resolve().parent / "data" / "teststore"
HEADER = ["sku", "name", "brand", "category", "unit", "price", "promo_price", "wholesale_price",
          "wholesale_min_qty", "aliases"]

cell = st.one_of(st.text(max_size=30), st.sampled_from(["", "0", "-1", "9,90", "1e309", "nan", "inf", "12.5",
                                                       "abc", "7", "3.999", "R$ 5", "\x00", "  ", "a|b||c"]))
row = st.lists(cell, min_size=0, max_size=12)
csv_text = st.builds(lambda header, rows: _csv([header] + rows),
                     st.one_of(st.just(HEADER), st.permutations(HEADER),
                               st.lists(st.sampled_from(HEADER), max_size=10)),
                     st.lists(row, max_size=8))
raw_csv = st.one_of(csv_text, st.text(max_size=300), st.binary(max_size=300).map(lambda b: b.decode("latin-1")))

toml_value = st.one_of(st.text(max_size=20).map(lambda t: '"' + t.replace("\\", "").replace('"', "") + '"'),
                       st.integers(-5, 500).map(str), st.sampled_from(['"closed"', '"07:00-21:00"', '"25:00-26:00"',
                                                                      '"21:00-07:00"', "true", "[]", '["Pix"]',
                                                                      "9.90", "-1.0", '"x"', "{}"]))
toml_text = st.builds(
    lambda tables: "\n".join(f"[{name}]\n" + "\n".join(f"{k} = {v}" for k, v in kv) for name, kv in tables),
    st.lists(st.tuples(st.sampled_from(["store", "hours", "delivery", "payment", "wholesale", "other"]),
                       st.lists(st.tuples(st.sampled_from(["name", "address", "mon", "sun", "holidays", "fee",
                                                           "free_above", "min_order", "areas", "methods", "rule",
                                                           "available", "phone"]), toml_value), max_size=5)),
             max_size=6))
raw_toml = st.one_of(toml_text, st.text(max_size=200))


def _csv(rows):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


@pytest.mark.slow
def test_fuzz_broken_sources_never_crash_and_keep_the_old_kb(tmp_path_factory):
    cfg = make_cfg(tmp_path_factory.mktemp("kbfuzz"))
    conn = db.connect(cfg.db_path)
    knowledge.import_kb(conn, STORE / "catalog.csv", STORE / "store.toml")
    before = conn.execute("SELECT COUNT(*), SUM(price) FROM kb_products").fetchone()
    state = {"version": knowledge.version(conn)}
    work = tmp_path_factory.mktemp("src")
    outcomes = {"imported": 0, "refused": 0}

    @settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(raw_csv, st.one_of(raw_toml, st.just((STORE / "store.toml").read_text(encoding="utf-8"))))
    def check(catalog, store):
        cat, sto = work / "catalog.csv", work / "store.toml"
        cat.write_text(catalog, encoding="utf-8", errors="surrogateescape")
        sto.write_text(store, encoding="utf-8", errors="surrogateescape")
        try:
            knowledge.import_kb(conn, cat, sto)
        except knowledge.KBImportError as exc:
            outcomes["refused"] += 1
            assert exc.errors and all(isinstance(e, str) and e for e in exc.errors)
            assert knowledge.version(conn) == state["version"]
            assert conn.execute("SELECT COUNT(*), SUM(price) FROM kb_products").fetchone() == before
        else:
            outcomes["imported"] += 1
            # A fuzzed import that passed replaced the KB: put the real one back for the next example.
            knowledge.import_kb(conn, STORE / "catalog.csv", STORE / "store.toml")
            state["version"] = knowledge.version(conn)

    check()
    assert outcomes["refused"] > 0
