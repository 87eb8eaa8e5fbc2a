"""The child process that reads a catalog workbook (started by catalog_file.read).

A process forked from the one that received the file (which imported this
module, and openpyxl, before forking: the child imports nothing and starts
in milliseconds, not the second an import takes on a busy host) reads the
workbook and sends back ``{"header": [...], "rows":
[[line, [cells]], ...]}`` or ``{"error": "..."}`` as JSON. The parent
(catalog_file) kills it past its wall-clock or memory limit; the child also
lowers its own CPU and address-space limits and its priority where the
system allows it (the units' ``SystemCallFilter=~@resources`` does not), so a
hostile workbook costs at most those and never the web service's memory or
its answers to Meta.

openpyxl's read-only mode pads every row to the dimension the file
declares (``A1:XFD1048576`` is 16,384 columns by a million rows): the
declared dimension is dropped, the header row decides how many columns are
read, and reading stops past ``max_rows`` rows.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import resource
import signal

import openpyxl

MAX_COLUMNS = 200


def read(data: bytes, max_rows: int) -> dict:
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
        if len(header) > MAX_COLUMNS:
            return {"error": f"the header has {len(header)} columns (at most {MAX_COLUMNS})"}
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


def child(out, data: bytes, cpu_seconds: int, memory: int, max_rows: int) -> None:
    """The child's body: limit itself, read, send the JSON through ``out`` (a Connection)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)      # the web service's graceful-stop handler is not ours
    for limit, value in ((resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 2)),
                         (resource.RLIMIT_AS, (memory, memory))):
        try:
            resource.setrlimit(limit, value)
        except (OSError, ValueError):
            pass        # not allowed under the unit's system-call filter: the parent's watch still holds
    try:
        os.nice(10)
    except OSError:
        pass
    try:
        result = read(data, max_rows)
    except MemoryError:
        result = {"error": "the workbook needs too much memory to read: save it as CSV"}
    out.send_bytes(json.dumps(result, ensure_ascii=False).encode("utf-8"))
    out.close()


def _cell_text(value) -> str:
    """A cell as the CSV would hold it: 5.89 -> '5.89', 12.0 -> '12', a date -> '2026-12-06'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(round(value, 6))
    return str(value)
