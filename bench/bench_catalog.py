"""Benchmark: the catalog preview of a 50,000-row file, beside a plain CSV parse.

An ERP export as Excel on Windows writes it (``;`` between fields, decimal
commas, Windows-1252), 50,000 products, against a catalog in force of the
same size in a real SQLite file, with 1% of the prices changed, 0.2% of
the products gone and 0.2% new. Timed, interleaved, in the same run:

* baseline: ``csv.reader`` over the decoded file (the floor: reading it at all);
* ``knowledge.check_catalog``: detection, decoding and every row's checks;
* the preview (``check_catalog`` + ``catalog.preview``: the diff against the
  catalog in force), what /admin/catalog and ``chatbot-sync-catalog`` run;
* the same preview from an .xlsx of the same rows (openpyxl), for scale;
* applying it: the search index's text computed before the write lock (``prepare``), then
  ``knowledge.write_catalog`` in one transaction (rows, index, history copy), the time the lock is held.

Target: the preview under 2 s. Medians and ratios go into the "Catalog"
section of docs/BENCHMARKS.md.

    .venv/bin/python bench/bench_catalog.py
    .venv/bin/python bench/bench_catalog.py --rows 5000 --reps 2 --no-doc
"""
from __future__ import annotations

import argparse
import csv
import datetime
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "lib")]

from chatbot import config, db  # noqa: E402
from chatbot.bot.store import catalog, knowledge  # noqa: E402
from docsection import timed, write_doc  # noqa: E402

MARK_START, MARK_END = "<!-- catalog-bench:start -->", "<!-- catalog-bench:end -->"
DOC = ROOT / "docs" / "BENCHMARKS.md"
TARGET_S = 2.0


def rows(n: int, variant: int) -> list[list[str]]:
    out = []
    for i in range(n):
        if variant and i % 500 == 1:
            continue                                   # 0.2% gone
        price = 1 + (i % 700) + (i % 100) / 100
        if variant and i % 100 == 3:
            price = round(price * 1.1, 2)              # 1% of the prices move
        promo = f"{price * 0.9:.2f}" if i % 7 == 0 else ""
        whole = (f"{price * 0.85:.2f}", "6") if i % 5 == 0 else ("", "")
        out.append([f"789{i:010d}", f"Produto Ação {i} {i % 13} kg", "Marca São João", "Mercearia", "pacote",
                    f"{price:.2f}", promo, *whole, f"apelido {i}|outro {i}"])
    if variant:
        out += [[f"999{i:010d}", f"Novo {i}", "", "", "un", "3.50", "", "", "", ""] for i in range(n // 500)]
    return out


def as_erp_csv(data: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(knowledge.CATALOG_COLUMNS)
    for r in data:
        w.writerow([c.replace(".", ",") if c.replace(".", "", 1).isdigit() and "." in c else c for c in r])
    return buf.getvalue().encode("cp1252")


def as_xlsx(data: list[list[str]]) -> bytes | None:
    try:
        import openpyxl
    except ImportError:
        return None
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(list(knowledge.CATALOG_COLUMNS))
    for r in data:
        ws.append([float(c) if i in (5, 6, 7) and c else (int(c) if i == 8 and c else c) for i, c in enumerate(r)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--no-doc", action="store_true", help="print the section, do not write docs/BENCHMARKS.md")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        cfg = config.from_dict({"paths": {"state_dir": tmp}, "llm": {"enabled": False}}, env={})
        conn = db.connect(cfg.db_path)
        first = knowledge.check_catalog(as_erp_csv(rows(args.rows, 0)), "erp.csv")
        assert not first.rejected, first.errors[:3]
        with db.transaction(conn):
            knowledge.write_catalog(conn, first, actor="bench", action="import")
        new_rows = rows(args.rows, 1)
        data = as_erp_csv(new_rows)
        xlsx = as_xlsx(new_rows)

        def baseline():
            return sum(1 for _ in csv.reader(io.StringIO(data.decode("cp1252"), newline=""), delimiter=";"))

        def check():
            return knowledge.check_catalog(data, "erp.csv")

        def preview():
            return catalog.preview(conn, knowledge.check_catalog(data, "erp.csv"), cfg.kb)

        def preview_xlsx():
            return catalog.preview(conn, knowledge.check_catalog(xlsx, "erp.xlsx"), cfg.kb)

        p = preview()
        assert p["applicable"] and p["counts"]["price_changes"] > 0, p["counts"]
        cases = [("csv.reader over the decoded file (baseline)", baseline), ("check_catalog", check),
                 ("preview (check + diff)", preview)]
        if xlsx:
            cases.append(("preview of the same rows as .xlsx", preview_xlsx))
        times: dict[str, list[float]] = {name: [] for name, _ in cases}
        for _ in range(args.reps):                      # interleaved: the machine is shared
            for name, fn in cases:
                times[name].append(timed(fn))
        apply_times, prepare_times = [], []
        for i in range(max(2, args.reps // 2)):
            checked = knowledge.check_catalog(as_erp_csv(rows(args.rows, i % 2)), "erp.csv")
            t_prep = timed(checked.prepare)
            prepare_times.append(t_prep)
            t0 = time.perf_counter()
            with db.transaction(conn):
                knowledge.write_catalog(conn, checked, actor="bench", action="sync", sources_dir=cfg.kb_sources_dir)
            apply_times.append(time.perf_counter() - t0)
        conn.close()

    base = statistics.median(times[cases[0][0]])
    prev = statistics.median(times["preview (check + diff)"])
    lines = [MARK_START, "## Catalog", "",
             f"`bench/bench_catalog.py`, {datetime.date.today()}, {platform.python_implementation()}"
             f" {platform.python_version()}, {os.cpu_count()} CPUs (shared, noisy; load average"
             f" {os.getloadavg()[0]:.1f} at the end): a {args.rows:,}-row ERP"
             f" export (`;`, decimal commas, Windows-1252, {len(data) / 1e6:.1f} MB) against a catalog in"
             f" force of the same size; {p['counts']['price_changes']} prices changed,"
             f" {p['counts']['removed']} removed, {p['counts']['added']} new. Median of {args.reps}"
             " interleaved runs.", "",
             "| step | median s | min s | × baseline |", "|---|---|---|---|"]
    for name, _ in cases:
        med = statistics.median(times[name])
        lines.append(f"| {name} | {med:.3f} | {min(times[name]):.3f} | {med / base:.1f} |")
    lines.append("| apply, before the lock: the search index's text (prepare) |"
                 f" {statistics.median(prepare_times):.3f} |"
                 f" {min(prepare_times):.3f} | {statistics.median(prepare_times) / base:.1f} |")
    lines.append(f"| apply, holding the write lock (write_catalog: rows, index, history copy) |"
                 f" {statistics.median(apply_times):.3f} | {min(apply_times):.3f} |"
                 f" {statistics.median(apply_times) / base:.1f} |")
    verdict = "meets" if prev < TARGET_S else "MISSES"
    lines += ["", f"The preview takes **{prev:.2f} s** ({verdict} the {TARGET_S:.0f} s target), "
              f"{prev / base:.1f}× a bare CSV parse of the same file.", MARK_END]
    section = "\n".join(lines)
    print(section)
    if not args.no_doc:
        write_doc(DOC, section)
    return 0 if prev < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
