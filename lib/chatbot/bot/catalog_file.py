"""A catalog file as Brazilian spreadsheets and ERPs write it, read into rows.

CSV with ``;`` or ``,`` between fields (Excel in pt-BR writes ``;``,
because the comma is the decimal mark), in UTF-8, UTF-8 with a BOM or
Windows-1252 (Excel's "CSV" on Windows): the separator and the encoding are
detected and reported, never guessed silently. ``.xlsx`` workbooks are read
with openpyxl (first sheet; numbers and dates as the cells hold them).

``read`` returns the header and every row with its line number (the row
number a spreadsheet shows), or one error; the checks of each value live in
knowledge.py, the same for every shape.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

XLSX_MAGIC = b"PK\x03\x04"
BOM = b"\xef\xbb\xbf"
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 com BOM", "cp1252": "Windows-1252"}


@dataclass
class CatalogFile:
    name: str
    format: str = "csv"                 # "csv" or "xlsx"
    encoding: str | None = None         # "utf-8", "utf-8-sig", "cp1252"; None for xlsx
    delimiter: str | None = None        # ";" or ","
    header: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)    # (line, cells)
    error: str | None = None

    def describe(self) -> str:
        """'CSV, separator ";", Windows-1252' (for previews and logs)."""
        if self.format == "xlsx":
            return "XLSX (Excel)"
        return f"CSV, separator {self.delimiter!r}, {ENCODING_NAMES.get(self.encoding, self.encoding)}"


def read(data: bytes, name: str) -> CatalogFile:
    """Parse the bytes of a catalog file (CSV or XLSX, told by its content)."""
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data, name)
    out = CatalogFile(name=name)
    text = _decode(data, out)
    if text is None:
        return out
    first = text.split("\n", 1)[0]
    out.delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=out.delimiter)
    try:
        out.header = [h.strip().lower() for h in next(reader, [])]
        for cells in reader:
            out.rows.append((reader.line_num, cells))
    except csv.Error as exc:
        out.error = f"{name} line {reader.line_num}: not a readable CSV file: {exc}"
    return out


def _decode(data: bytes, out: CatalogFile) -> str | None:
    if data.startswith(BOM):
        out.encoding, data = "utf-8-sig", data[len(BOM):]
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            out.error = f"{out.name}: starts with a UTF-8 BOM but is not UTF-8 (byte {exc.start + 3})"
            return None
    try:
        text = data.decode("utf-8")
        out.encoding = "utf-8"
        return text
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
        out.encoding = "cp1252"
        return text
    except UnicodeDecodeError as exc:
        out.error = (f"{out.name}: neither UTF-8 nor Windows-1252 (byte 0x{data[exc.start]:02x} at offset"
                     f" {exc.start}): save it as 'CSV UTF-8' or as .xlsx")
        return None


def _read_xlsx(data: bytes, name: str) -> CatalogFile:
    out = CatalogFile(name=name, format="xlsx")
    try:
        import openpyxl
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:       # a damaged or foreign zip: openpyxl raises many kinds
        out.error = f"{name}: not a readable .xlsx workbook ({type(exc).__name__})"
        return out
    try:
        sheet = wb.worksheets[0]
        for line, values in enumerate(sheet.iter_rows(values_only=True), 1):
            cells = [_cell_text(v) for v in values]
            while cells and cells[-1] == "":
                cells.pop()
            if line == 1:
                out.header = [c.strip().lower() for c in cells]
            else:
                out.rows.append((line, cells))
    finally:
        wb.close()
    return out


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
