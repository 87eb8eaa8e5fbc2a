"""Catalog files as Brazilian spreadsheets write them, the preview of a change,
applying exactly that preview, rollback, dated promotions, staff FAQ entries
and the ERP sync job (its unit of work and its command line)."""
from __future__ import annotations

import json

import pytest

from chatbot import clock, db
from chatbot.bot import cache
from chatbot.bot.pipeline import answer_text, build_bot
from chatbot.bot.store import catalog, knowledge
from chatbot.commands.bot import kb
from chatbot.commands.jobs import sync_catalog
from chatbot.ops import alerts
from support.catalog import HEADER, STORE, csv_bytes, edit, rows_of
from support.configs import make_cfg, toml_of
from support.servers import run, write_config


@pytest.fixture
def loaded(conn, cfg):
    knowledge.import_kb(conn, STORE / "catalog.csv", STORE / "store.toml", sources_dir=cfg.kb_sources_dir)
    return conn


def price_of(conn, sku: str) -> knowledge.Product:
    return knowledge.products(conn, "sku=?", (sku,))[0]


# -- file shapes ------------------------------------------------------------------------

def test_windows_1252_semicolons_and_decimal_commas(loaded, cfg):
    rows = edit(rows_of(), "1003", price="8.19", name="Feijão Carioca 1kg Seleção")
    data = csv_bytes(rows, sep=";", encoding="cp1252", decimal_comma=True)
    assert b"8,19" in data and "Seleção".encode("cp1252") in data
    checked = knowledge.check_catalog(data, "erp.csv")
    assert not checked.rejected, checked.errors
    assert (checked.file.encoding, checked.file.delimiter) == ("cp1252", ";")
    assert checked.file.describe() == "CSV, separator ';', Windows-1252"
    p = catalog.preview(loaded, checked, cfg.kb)
    assert {(c["sku"], c["field"], c["text"]) for c in p["changes"]} == {
        ("1003", "price", "R$ 7,89 → R$ 8,19"), ("1003", "name", "Feijão Carioca 1kg → Feijão Carioca 1kg Seleção")}
    assert not p["suspicious"] and p["applicable"]


def test_utf8_with_bom_is_detected(loaded, cfg):
    data = b"\xef\xbb\xbf" + csv_bytes(rows_of())
    checked = knowledge.check_catalog(data, "bom.csv")
    assert not checked.rejected and checked.file.encoding == "utf-8-sig"
    assert checked.file.describe() == "CSV, separator ',', UTF-8 com BOM"
    assert catalog.preview(loaded, checked, cfg.kb)["unchanged"]


def test_xlsx_written_by_openpyxl(loaded, cfg, tmp_path):
    import openpyxl  # a runtime dependency (setup.py): missing is a failure, not a skip
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(HEADER) + ["promo_end"])
    for r in edit(rows_of(), "1005", price="5.99", promo_price="5.29"):
        cells = []
        for c in HEADER:
            v = r[c]
            if c in ("price", "promo_price", "wholesale_price") and v:
                v = float(v)                      # numbers as Excel keeps them
            elif c == "wholesale_min_qty" and v:
                v = int(v)
            elif c == "sku":
                v = int(v)                        # an ERP's numeric code
            cells.append(v or None)
        import datetime as dt
        cells.append(dt.datetime(2026, 12, 6) if r["sku"] == "1005" else None)
        ws.append(cells)
    path = tmp_path / "catalogo.xlsx"
    wb.save(path)
    checked = knowledge.check_catalog_path(path)
    assert not checked.rejected, checked.errors
    assert checked.file.format == "xlsx" and len(checked.products) == 40
    sugar = next(p for p in checked.products if p["sku"] == "1005")
    assert (sugar["price"], sugar["promo_price"], sugar["promo_end"]) == (5.99, 5.29, "2026-12-06")
    p = catalog.preview(loaded, checked, cfg.kb)
    assert {(c["field"], c["text"]) for c in p["changes"]} == {
        ("price", "R$ 5,49 → R$ 5,99"), ("promo_price", "- → R$ 5,29"), ("promo_end", "- → 06/12/2026")}
    # The same import path as the CLI takes it, and keeps the workbook for the backup.
    knowledge.import_kb(loaded, path, STORE / "store.toml", sources_dir=cfg.kb_sources_dir)
    assert price_of(loaded, "1005").price == 5.99
    assert (cfg.kb_sources_dir / "catalog.xlsx").read_bytes() == path.read_bytes()
    assert not (cfg.kb_sources_dir / "catalog.csv").exists()


def test_empty_files_and_foreign_bytes_are_one_clear_error(conn):
    for data, words in [(b"", "missing column(s)"), (csv_bytes([]), "has no products"),
                        (b"\x81\x8d\x8f\x90", "neither UTF-8 nor Windows-1252"),
                        (b"PK\x03\x04garbage", "not a readable .xlsx")]:
        checked = knowledge.check_catalog(data, "x.csv")
        assert len(checked.errors) == 1 and words in checked.errors[0], (data, checked.errors)
        assert not checked.products


def test_duplicate_skus_and_broken_numbers_are_rejected_by_line(loaded, cfg):
    rows = rows_of()
    rows[3] = {**rows[3], "sku": rows[1]["sku"]}            # line 5 repeats line 3's sku
    rows[5] = {**rows[5], "price": "7,2,9"}                  # line 7
    rows[6] = {**rows[6], "wholesale_price": "dez"}          # line 8
    rows[7] = {**rows[7], "price": "R$ 1.2345,00"}           # line 9
    rows[8] = {**rows[8], "promo_price": "", "promo_end": "31/02/2026"}   # line 10: no promo, no such date
    data = csv_bytes(rows, columns=HEADER + ("promo_end",))
    checked = knowledge.check_catalog(data, "c.csv")
    lines = sorted({line for line, _ in checked.rejected})
    assert lines == [5, 7, 8, 9, 10], checked.errors
    assert any("repeats line 3" in r for line, r in checked.rejected if line == 5)
    assert any("'7,2,9' is not a price" in r for line, r in checked.rejected if line == 7)
    assert any("not a date" in r for line, r in checked.rejected if line == 10)
    p = catalog.preview(loaded, checked, cfg.kb)
    assert not p["applicable"] and p["counts"]["rejected"] == len(checked.rejected)
    assert {x["line"] for x in p["rejected"]} == {5, 7, 8, 9, 10}
    # The product whose line now carries a repeated sku is removed; a rejected line's sku is not.
    assert p["removed"] == [{"sku": "1004", "name": "Feijão Preto 1kg", "price": 8.99}]


@pytest.mark.slow
def test_fifty_thousand_rows(conn, cfg, tmp_path):
    rows = [{"sku": f"{i:07d}", "name": f"Produto {i}", "brand": "Marca", "category": "Mercearia", "unit": "un",
             "price": f"{1 + i % 500}.{i % 100:02d}", "promo_price": "", "wholesale_price": "", "wholesale_min_qty": "",
             "aliases": ""} for i in range(50_000)]
    data = csv_bytes(rows, sep=";", encoding="cp1252", decimal_comma=True)
    checked = knowledge.check_catalog(data, "big.csv")
    assert not checked.rejected and len(checked.products) == 50_000
    with db.transaction(conn):
        knowledge.write_catalog(conn, checked, actor="test", action="import", sources_dir=cfg.kb_sources_dir)
    rows[10]["price"] = "999.00"
    p = catalog.preview(conn, knowledge.check_catalog(csv_bytes(rows[1:]), "big2.csv"), cfg.kb)
    assert p["counts"]["removed"] == 1 and p["counts"]["price_changes"] == 1 and p["suspicious"]


# -- preview, apply, rollback -----------------------------------------------------------

def test_preview_lists_every_kind_of_change_and_flags_what_looks_wrong(loaded, cfg):
    rows = rows_of()
    rows = edit(rows, "1007", price="118.90")                         # 11,90 -> 118,90: a slipped comma
    rows = edit(rows, "1004", promo_price="", wholesale_price="7.99")
    rows = [r for r in rows if r["sku"] != "1040"]
    rows.append({"sku": "2001", "name": "Tapioca 1kg", "unit": "pacote", "price": "9.90", "brand": "", "category": "",
                 "aliases": ""})
    p = catalog.preview(loaded, knowledge.check_catalog(csv_bytes(rows), "c.csv"), cfg.kb)
    assert p["added"] == [{"sku": "2001", "name": "Tapioca 1kg", "price": 9.9}]
    assert [r["sku"] for r in p["removed"]] == ["1040"]
    texts = {(c["sku"], c["field"]): c["text"] for c in p["changes"]}
    assert texts == {("1007", "price"): "R$ 11,90 → R$ 118,90?", ("1004", "promo_price"): "R$ 8,39 → -",
                     ("1004", "wholesale_price"): "R$ 8,09 → R$ 7,99"}
    assert p["suspicious"] and "R$ 11,90 → R$ 118,90?" in p["flags"][0]
    # Removing more than max_removed_fraction is flagged too.
    few = rows_of()[:20]
    p = catalog.preview(loaded, knowledge.check_catalog(csv_bytes(few), "c.csv"), cfg.kb)
    assert p["counts"]["removed"] == 20 and any("20 de 40 produtos (50%)" in f for f in p["flags"])


def test_apply_exactly_the_preview_once_with_a_second_confirmation_when_flagged(loaded, cfg):
    v0 = knowledge.version(loaded)
    data = csv_bytes(edit(rows_of(), "1007", price="118.90", promo_price=""))
    staged = catalog.stage(loaded, data, "c.csv", "admin (token)", cfg)
    assert staged["suspicious"] and staged["token"]
    with pytest.raises(catalog.CatalogError) as info:
        catalog.apply(loaded, staged["token"], "admin (token)", cfg)
    assert info.value.status == 409 and price_of(loaded, "1007").price == 11.90
    done = catalog.apply(loaded, staged["token"], "admin (token)", cfg, confirm_suspicious=True)
    assert done["version"] == v0 + 1 and price_of(loaded, "1007").price == 118.90
    with pytest.raises(catalog.CatalogError, match="não encontrada"):        # a token is used once
        catalog.apply(loaded, staged["token"], "admin (token)", cfg, confirm_suspicious=True)
    change = knowledge.changes(loaded, 1)[0]
    assert (change["actor"], change["action"], change["kb_version"]) == ("admin (token)", "upload", v0 + 1)
    assert change["details"]["changes"][0] == {"sku": "1007", "field": "price", "old": 11.9, "new": 118.9}
    assert change["details"]["confirmed_suspicious"] is True
    assert (cfg.kb_sources_dir / "catalog.csv").read_bytes() == data


def test_a_preview_of_an_older_catalog_is_not_applied(loaded, cfg):
    first = catalog.stage(loaded, csv_bytes(edit(rows_of(), "1003", price="7.99")), "a.csv", "admin (token)", cfg)
    second = catalog.stage(loaded, csv_bytes(edit(rows_of(), "1003", price="8.09")), "b.csv", "admin (token)", cfg)
    catalog.apply(loaded, second["token"], "admin (token)", cfg)
    with pytest.raises(catalog.CatalogError, match="mudou") as info:
        catalog.apply(loaded, first["token"], "admin (token)", cfg)
    assert info.value.status == 409 and price_of(loaded, "1003").price == 8.09


def test_rejected_preview_is_never_applied_and_nothing_changes(loaded, cfg):
    v0 = knowledge.version(loaded)
    staged = catalog.stage(loaded, csv_bytes(edit(rows_of(), "1003", price="abc")), "c.csv", "admin (token)", cfg)
    assert not staged["applicable"]
    with pytest.raises(catalog.CatalogError, match="recusadas"):
        catalog.apply(loaded, staged["token"], "admin (token)", cfg, confirm_suspicious=True)
    assert knowledge.version(loaded) == v0 and price_of(loaded, "1003").price == 7.89


def test_cache_is_emptied_and_the_bot_quotes_the_new_price(loaded, cfg):
    bot = build_bot(cfg, loaded, preload=False)
    reply, _ = answer_text(bot, "quanto custa o feijao carioca?")
    assert "R$ 7,89" in reply.text
    assert answer_text(bot, "quanto custa o feijao carioca?")[0].source == "cache"
    staged = catalog.stage(loaded, csv_bytes(edit(rows_of(), "1003", price="8.19")), "c.csv", "admin (token)", cfg)
    catalog.apply(loaded, staged["token"], "admin (token)", cfg)
    assert loaded.execute("SELECT COUNT(*) FROM response_cache").fetchone()[0] == 0
    reply, _ = answer_text(bot, "quanto custa o feijao carioca?")
    assert "R$ 8,19" in reply.text and reply.source == "template"


def test_rollback_restores_the_last_catalog_and_twice_undoes_it(loaded, cfg, runner, tmp_path):
    path = write_config(tmp_path / "chatbot.toml", toml_of({"paths": {"state_dir": str(cfg.state_dir)},
                                                            "llm": {"enabled": False}}))
    staged = catalog.stage(loaded, csv_bytes(edit(rows_of(), "1003", price="8.19")), "c.csv", "admin (token)", cfg)
    catalog.apply(loaded, staged["token"], "admin (token)", cfg)
    out = runner.invoke(kb, ["rollback", "--config", str(path)], catch_exceptions=False)
    assert out.exit_code == 0 and "restored 40 products" in out.output, out.output
    assert price_of(loaded, "1003").price == 7.89
    assert knowledge.changes(loaded, 1)[0]["action"] == "rollback"
    assert knowledge.changes(loaded, 1)[0]["actor"].startswith("cli:")
    catalog.rollback(loaded, "admin (token)", cfg)
    assert price_of(loaded, "1003").price == 8.19
    out = runner.invoke(kb, ["history", "--config", str(path)], catch_exceptions=False)
    assert [line.split()[3] for line in out.output.splitlines()] == ["rollback", "rollback", "upload", "import"]


def test_rollback_with_nothing_kept_is_one_line(conn, cfg, runner, tmp_path):
    path = write_config(tmp_path / "chatbot.toml", toml_of({"paths": {"state_dir": str(cfg.state_dir)},
                                                            "llm": {"enabled": False}}))
    out = runner.invoke(kb, ["rollback", "--config", str(path)], catch_exceptions=False)
    assert out.exit_code == 1 and "no previous catalog" in out.output and "Traceback" not in out.output


# -- dated promotions -------------------------------------------------------------------

def test_dated_promotion_says_until_when_and_ends_by_itself(loaded, cfg):
    # Wednesday 2026-12-02 10:00 at the store (UTC-3); the promotion runs until Sunday 2026-12-06.
    clock.freeze(1_796_180_400.0 + 10 * 3600)
    rows = edit(rows_of(), "1003", promo_price="6.99", promo_start="2026-12-01", promo_end="06/12/2026")
    checked = knowledge.check_catalog(csv_bytes(rows, columns=HEADER + ("promo_start", "promo_end")), "c.csv",
                                      cfg.bot.store_timezone)
    assert not checked.rejected, checked.errors
    with db.transaction(loaded):
        knowledge.write_catalog(loaded, checked, actor="test", action="import")
    bot = build_bot(cfg, loaded, preload=False)
    reply, _ = answer_text(bot, "quanto custa o feijao carioca?")
    assert "R$ 6,99" in reply.text and "válida até domingo" in reply.text, reply.text
    clock.freeze(1_796_180_400.0 + 4 * 86400 + 23 * 3600)       # Sunday 23:00: the last hour
    assert "válida até hoje" in answer_text(bot, "quanto custa o feijao carioca?")[0].text
    clock.freeze(1_796_180_400.0 + 5 * 86400 + 60)               # Monday 00:01: over, cache or not
    reply, _ = answer_text(bot, "quanto custa o feijao carioca?")
    assert "6,99" not in reply.text and "R$ 7,89" in reply.text and "promoção" not in reply.text
    assert price_of(loaded, "1003").promo_price is None
    assert cache.promotion_turned(loaded, 1_796_180_400.0, clock.now())


def test_a_promotion_that_has_not_started_is_not_quoted(loaded, cfg):
    clock.freeze(1_796_180_400.0)
    rows = edit(rows_of(), "1003", promo_price="6.99", promo_start="2026-12-10")
    checked = knowledge.check_catalog(csv_bytes(rows, columns=HEADER + ("promo_start",)), "c.csv")
    with db.transaction(loaded):
        knowledge.write_catalog(loaded, checked, actor="test", action="import")
    assert price_of(loaded, "1003").promo_price is None
    assert "1003" not in {p.sku for p in knowledge.products(loaded, "promo_price IS NOT NULL")}


# -- staff FAQ --------------------------------------------------------------------------

def test_staff_faq_is_in_force_at_once_kept_by_imports_and_in_the_sources(loaded, cfg):
    bot = build_bot(cfg, loaded, preload=False)
    before = knowledge.version(loaded)
    fid = knowledge.faq_add(loaded, "Vocês aceitam vale-alimentação?", "Sim! Aceitamos Alelo, Sodexo e VR.",
                            "admin (token)", cfg.kb_sources_dir)
    assert knowledge.version(loaded) == before + 1
    reply, _ = answer_text(bot, "vcs aceitam vale alimentacao?")
    assert reply.text == "Sim! Aceitamos Alelo, Sodexo e VR.", reply
    assert "Alelo" in (cfg.kb_sources_dir / "faq.toml").read_text()
    knowledge.import_kb(loaded, STORE / "catalog.csv", STORE / "store.toml", sources_dir=cfg.kb_sources_dir)
    assert any(e["id"] == fid for e in knowledge.faq_entries(loaded))
    assert knowledge.faq_edit(loaded, fid, "Aceitam vale-alimentação?", "Sim: Alelo e VR.", "admin (token)",
                              cfg.kb_sources_dir)
    assert answer_text(bot, "vcs aceitam vale alimentacao?")[0].text == "Sim: Alelo e VR."
    assert knowledge.faq_delete(loaded, fid, "admin (token)", cfg.kb_sources_dir)
    assert "Alelo" not in (cfg.kb_sources_dir / "faq.toml").read_text()
    assert [c["action"] for c in knowledge.changes(loaded, 3)] == ["faq_delete", "faq_edit", "import"]
    with pytest.raises(knowledge.FAQError):
        knowledge.faq_add(loaded, "  ", "x", "admin (token)")


# -- chatbot-sync-catalog ---------------------------------------------------------------

@pytest.fixture
def erp(tmp_path, loaded):
    return tmp_path / "erp" / "catalogo.csv"


def sync_cfg(tmp_path, cfg, erp, **alerts_cfg):
    return make_cfg(tmp_path, kb={"catalog_path": str(erp)}, alerts=alerts_cfg) if alerts_cfg else \
        make_cfg(tmp_path, kb={"catalog_path": str(erp)})


def test_sync_imports_a_changed_file_once(tmp_path, cfg, loaded, erp):
    scfg = sync_cfg(tmp_path, cfg, erp)
    erp.parent.mkdir()
    erp.write_bytes(csv_bytes(edit(rows_of(), "1003", price="8.19"), sep=";", encoding="cp1252", decimal_comma=True))
    r = catalog.sync(loaded, scfg)
    assert r["outcome"] == "imported" and price_of(loaded, "1003").price == 8.19
    assert "1 price" in r["message"]
    assert catalog.sync(loaded, scfg)["outcome"] == "unchanged"
    assert knowledge.changes(loaded, 1)[0]["actor"] == "sync"


def test_sync_keeps_the_catalog_when_rows_are_rejected_or_flagged(tmp_path, cfg, loaded, erp):
    scfg = sync_cfg(tmp_path, cfg, erp)
    erp.parent.mkdir()
    v0 = knowledge.version(loaded)
    erp.write_bytes(csv_bytes(edit(rows_of(), "1003", price="oito")))
    r = catalog.sync(loaded, scfg)
    assert r["outcome"] == "rejected" and "line 4: price 'oito' is not a price" in r["message"]
    assert catalog.sync(loaded, scfg)["outcome"] == "rejected"          # the same file: still reported
    erp.write_bytes(csv_bytes(edit(rows_of(), "1003", price="78.90")))
    r = catalog.sync(loaded, scfg)
    assert r["outcome"] == "suspicious" and "R$ 7,89 → R$ 78,90?" in r["message"]
    assert knowledge.version(loaded) == v0 and price_of(loaded, "1003").price == 7.89


def test_sync_job_command_fails_with_one_line_and_the_alert_goes_out(tmp_path, runner, loaded, cfg, erp):
    from support.webhook_sink import Webhook
    hook = Webhook()
    try:
        erp.parent.mkdir()
        path = write_config(tmp_path / "sync.toml", toml_of({
            "paths": {"state_dir": str(cfg.state_dir)}, "llm": {"enabled": False},
            "kb": {"catalog_path": str(erp)},
            "alerts": {"check_web": False, "worker_stale_seconds": 1e9, "job_grace_minutes": 1e9,
                       "webhook_url": hook.url + "/hook"}}))
        erp.write_bytes(csv_bytes(edit(rows_of(), "1003", price="8.19")))
        out = runner.invoke(sync_catalog, ["--config", str(path), "--dry-run"], catch_exceptions=False)
        assert out.exit_code == 0 and "R$ 7,89 → R$ 8,19" in out.output and "would be imported" in out.output
        assert price_of(loaded, "1003").price == 7.89
        out = runner.invoke(sync_catalog, ["--config", str(path), "--json"], catch_exceptions=False)
        assert out.exit_code == 0 and json.loads(out.stdout)["outcome"] == "imported"
        erp.write_bytes(csv_bytes(edit(rows_of(), "1003", price="")))
        out = runner.invoke(sync_catalog, ["--config", str(path)], catch_exceptions=False)
        assert out.exit_code == 1 and "Traceback" not in out.output
        assert price_of(loaded, "1003").price == 8.19
        row = loaded.execute("SELECT status, message FROM job_runs WHERE job='sync-catalog'"
                             " ORDER BY id DESC").fetchone()
        assert row["status"] == "failed" and "line 4: price is empty" in row["message"]
        scfg = make_cfg(tmp_path, alerts={"check_web": False, "worker_stale_seconds": 1e9, "job_grace_minutes": 1e9,
                                          "webhook_url": hook.url + "/hook"})
        alerts.run_check(loaded, scfg)
        assert ("job_failed:sync-catalog", "firing") in hook.statuses()
        post = next(p for p in hook.posts if p["alert"] == "job_failed:sync-catalog")
        assert "price is empty" in post["summary"]
    finally:
        hook.server.shutdown()
        hook.server.server_close()


def test_sync_job_as_a_process(tmp_path, loaded, cfg, erp):
    """The real bin/chatbot-sync-catalog: one line, exit status, no traceback."""
    erp.parent.mkdir()
    path = write_config(tmp_path / "sync.toml", toml_of({"paths": {"state_dir": str(cfg.state_dir)},
                                                         "llm": {"enabled": False}, "kb": {"catalog_path": str(erp)}}))
    done = run("chatbot-sync-catalog", path)
    assert done.returncode == 1 and "catalogo.csv" in done.stderr and "Traceback" not in done.stderr
    erp.write_bytes(csv_bytes(edit(rows_of(), "1003", price="8.19")))
    done = run("chatbot-sync-catalog", path)
    assert done.returncode == 0, done.stderr
    assert "sync-catalog ok" in done.stderr and "imported catalogo.csv" in done.stderr
    assert price_of(loaded, "1003").price == 8.19


@pytest.mark.slow
def test_bench_catalog_runs(tmp_path):
    """A tiny run of bench/bench_catalog.py so the benchmark cannot rot (numbers go to docs/BENCHMARKS.md)."""
    import subprocess
    import sys

    from support.servers import ROOT
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_catalog.py"), "--rows", "2000", "--reps", "1",
                           "--no-doc"], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "| preview (check + diff) |" in done.stdout and "× a bare CSV parse" in done.stdout


def test_the_backup_keeps_staff_faq_entries_and_the_catalog_history(loaded, cfg):
    import tarfile

    from chatbot.ops import backup
    knowledge.faq_add(loaded, "Tem estacionamento para caminhão?", "Não, só para carros.", "admin (token)",
                      cfg.kb_sources_dir)
    staged = catalog.stage(loaded, csv_bytes(edit(rows_of(), "1003", price="8.19")), "c.csv", "admin (token)", cfg)
    catalog.apply(loaded, staged["token"], "admin (token)", cfg)
    summary = backup.run_backup(cfg)
    with tarfile.open(summary["path"]) as tar:
        names = tar.getnames()
        faq = tar.extractfile("kb/faq.toml").read().decode("utf-8")
        current = tar.extractfile("kb/catalog.csv").read()
    assert "caminhão" in faq and current == csv_bytes(edit(rows_of(), "1003", price="8.19"))
    assert any(n.startswith("kb/history/catalog-v") for n in names), names
