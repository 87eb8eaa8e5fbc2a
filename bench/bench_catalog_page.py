"""Benchmark: the catalog preview page a manager gets for a 15,000-row ERP file.

The ERP's own export (column names "Código;Descrição;...;Preço Venda", ``;``,
decimal commas, Windows-1252, about 2 MB) posted from a logged-in browser
session to the real ``chatbot-web`` server (waitress, the app factory, a
real SQLite file with a catalog in force of the same size), timed until the
whole pt-BR preview page has arrived. Beside it, in the same run and
interleaved: the bare checks in process (``knowledge.check_catalog``, the
floor under any page) and the catalog page itself (``GET /admin/catalog``).
Also the mapping step's page, for the same file with one unknown column.

Target: the preview page under 2 s. Medians go into the "Catalog page"
section of docs/BENCHMARKS.md.

    .venv/bin/python bench/bench_catalog_page.py
    .venv/bin/python bench/bench_catalog_page.py --rows 2000 --reps 2 --no-doc
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import statistics
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "lib"), str(ROOT / "tests")]

import requests  # noqa: E402

from chatbot import accounts, config, db  # noqa: E402
from chatbot.bot.store import knowledge  # noqa: E402
from chatbot.web.app import create_app  # noqa: E402
from chatbot.web.serve import create_server, serve  # noqa: E402
from docsection import timed, write_doc  # noqa: E402
from support.catalogs import ERP_HEADER, erp_catalog  # noqa: E402
from support.servers import free_port, wait_http  # noqa: E402

MARK_START, MARK_END = "<!-- catalog-page-bench:start -->", "<!-- catalog-page-bench:end -->"
DOC = ROOT / "docs" / "BENCHMARKS.md"
TARGET_S = 2.0
PASSWORD = "bench password 2026"


def raised(data: bytes) -> bytes:
    """The same file with 1% of the prices 10% higher: what is in force before the upload."""
    lines = data.split(b"\r\n")
    for i in range(1, len(lines)):
        cells = lines[i].split(b";")
        if i % 100 == 3 and len(cells) > 5:
            cells[5] = f"{float(cells[5].replace(b',', b'.')) * 1.1:.2f}".replace(".", ",").encode()
            lines[i] = b";".join(cells)
    return b"\r\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=15_000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--no-doc", action="store_true", help="print the section, do not write docs/BENCHMARKS.md")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        cfg = config.from_dict({"paths": {"state_dir": tmp}, "llm": {"enabled": False},
                                "web": {"secure_cookies": False}}, env={})
        conn = db.connect(cfg.db_path)
        before = knowledge.check_catalog(raised(erp_catalog(args.rows)), "erp.csv")
        assert not before.rejected, before.errors[:3]
        with db.transaction(conn):
            knowledge.write_catalog(conn, before, actor="bench", action="import")
        accounts.add(conn, "gerente", "manager", PASSWORD)
        data = erp_catalog(args.rows)
        unknown = erp_catalog(args.rows, header=ERP_HEADER + ";Estoque", extra=";5")
        port = free_port()
        srv = create_server(create_app(cfg), cfg, "127.0.0.1", port)
        stop = threading.Event()
        loop = threading.Thread(target=serve, args=(srv, stop, 2.0), daemon=True)
        loop.start()
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/webhook")
        s = requests.Session()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', s.get(url + "/login").text).group(1)
        s.post(url + "/login", data={"name": "gerente", "password": PASSWORD, "csrf_token": csrf})
        html = {"Accept": "text/html"}
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', s.get(url + "/admin/catalog", headers=html).text)[1]
        pages = {}

        def post(name: str, body: bytes):
            def run():
                r = s.post(url + "/admin/catalog", headers=html, data={"csrf_token": csrf},
                           files={"catalog": ("exportacao.csv", body, "text/csv")})
                assert r.status_code == 200, r.status_code
                pages[name] = r.text
            return run

        cases = [("check_catalog in process (baseline: no page)", lambda: knowledge.check_catalog(data, "erp.csv")),
                 ("GET /admin/catalog (the page without a file)",
                  lambda: s.get(url + "/admin/catalog", headers=html).raise_for_status()),
                 ("POST /admin/catalog -> preview page", post("preview", data)),
                 ("POST /admin/catalog, one unknown column -> mapping page", post("mapping", unknown))]
        times: dict[str, list[float]] = {name: [] for name, _ in cases}
        for _ in range(args.reps):                      # interleaved: the machine is shared
            for name, fn in cases:
                times[name].append(timed(fn))
        assert "Confirmar e aplicar" in pages["preview"] and "Quais são estas colunas?" in pages["mapping"]
        changes = re.search(r'Preços</span><span class="value">(\d+)', pages["preview"])
        stop.set()             # serve() closes the listener, finishes, closes the rest
        loop.join(10)
        conn.close()

    base = statistics.median(times[cases[0][0]])
    prev = statistics.median(times["POST /admin/catalog -> preview page"])
    lines = [MARK_START, "## Catalog page", "",
             f"`bench/bench_catalog_page.py`, {datetime.date.today()}, {platform.python_implementation()}"
             f" {platform.python_version()}, {os.cpu_count()} CPUs (shared, noisy; load average"
             f" {os.getloadavg()[0]:.1f} at the end): the ERP's own export ({args.rows:,} rows, its column"
             f" names, `;`, decimal commas, Windows-1252, {len(data) / 1e6:.1f} MB) posted by a logged-in"
             f" manager to the real waitress, against a catalog in force of the same size"
             f" ({changes[1] if changes else '?'} price changes); timed until the whole page arrived. Median"
             f" of {args.reps} interleaved runs.", "",
             "| step | median s | min s | × baseline |", "|---|---|---|---|"]
    for name, _ in cases:
        med = statistics.median(times[name])
        lines.append(f"| {name} | {med:.3f} | {min(times[name]):.3f} | {med / base:.1f} |")
    verdict = "meets" if prev < TARGET_S else "MISSES"
    lines += ["", f"The preview page takes **{prev:.2f} s** ({verdict} the {TARGET_S:.0f} s target),"
              f" {prev / base:.1f}× the checks alone. The page lists at most 300 rows of each kind (the JSON has"
              " them all), so its size does not grow with the file.", MARK_END]
    section = "\n".join(lines)
    print(section)
    if not args.no_doc:
        write_doc(DOC, section)
    return 0 if prev < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
