"""The child process that reads a catalog workbook (started by catalog_file.read).

``python -m chatbot.bot.xlsx_reader CPU_SECONDS MEMORY_BYTES MAX_ROWS`` reads
the workbook on stdin and writes ``{"header": [...], "rows": [[line,
[cells]], ...]}`` or ``{"error": "..."}`` as JSON on stdout. It runs with
the CPU and address-space limits given, at a lower priority than the web
service, so a hostile workbook costs at most those and never the web
service's memory or its answers to Meta.

openpyxl's read-only mode pads every row to the dimension the file
declares (``A1:XFD1048576`` is 16,384 columns by a million rows): the
declared dimension is dropped, the header row decides how many columns are
read, and reading stops past ``MAX_ROWS`` rows.
"""
from __future__ import annotations

import io
import json
import os
import resource
import sys


def read(data: bytes, max_rows: int) -> dict:
    import openpyxl

    from .catalog_file import _cell_text
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except MemoryError:
        raise
    except Exception as exc:        # a damaged or foreign zip: openpyxl raises many kinds
        return {"error": f"not a readable .xlsx workbook ({type(exc).__name__})"}
    try:
        sheet = wb.worksheets[0]
        sheet.reset_dimensions()
        first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
        header = [_cell_text(v) for v in first]
        while header and header[-1] == "":
            header.pop()
        if len(header) > 200:
            return {"error": f"the header has {len(header)} columns (at most 200)"}
        rows = []
        for line, values in enumerate(sheet.iter_rows(min_row=2, max_col=max(len(header), 1), values_only=True), 2):
            if line > max_rows + 1:
                return {"error": f"more than {max_rows} rows: split the file or remove empty lines"}
            cells = [_cell_text(v) for v in values]
            while cells and cells[-1] == "":
                cells.pop()
            if cells:
                rows.append([line, cells])
        return {"header": header, "rows": rows}
    finally:
        wb.close()


def main(argv: list[str]) -> int:
    cpu, memory, max_rows = (int(a) for a in argv[1:4])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))     # SIGXCPU at the soft limit, SIGKILL after
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    os.nice(10)
    data = sys.stdin.buffer.read()
    sys.stdout.buffer.write(json.dumps(read(data, max_rows), ensure_ascii=False).encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
