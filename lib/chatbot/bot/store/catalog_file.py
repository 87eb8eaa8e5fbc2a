"""A catalog file as Brazilian spreadsheets and ERPs write it, read into rows.

CSV with ``;`` or ``,`` between fields (Excel in pt-BR writes ``;``,
because the comma is the decimal mark), in UTF-8, UTF-8 with a BOM or
Windows-1252 (Excel's "CSV" on Windows): the separator and the encoding are
detected and reported, never guessed silently. ``.xlsx`` workbooks are read
with openpyxl (first sheet; numbers and dates as the cells hold them).

The header may use the catalog's own names (``sku``, ``price``...) or the
names Brazilian ERPs and spreadsheets use ("Código", "Descrição", "Preço
Venda", "Cód. Barras"...): ``HEADER_NAMES`` lists them, compared without
case, accents or punctuation; ``fields`` maps a header to catalog fields,
with the names staff taught it on /admin/catalog first.

A workbook is a zip of XML that can claim any size: ``read`` checks the
unpacked size before anything parses it, and parses it in a child process
(``bot/store/xlsx_reader.py``, forked) with CPU, memory and wall-clock limits, reading only
as many columns as the header has and at most ``MAX_ROWS`` rows. Files that
are not spreadsheets (a PDF renamed .csv, an old .xls, an image) are told
apart by their first bytes and refused by name.

``read`` returns the header and every row with its line number (the row
number a spreadsheet shows), or one error; the checks of each value live in
knowledge.py, the same for every shape.
"""
from __future__ import annotations

import csv
import io
import json
import multiprocessing
import re
import signal
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field

import psutil

XLSX_MAGIC = b"PK\x03\x04"
BOM = b"\xef\xbb\xbf"
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 com BOM", "cp1252": "Windows-1252"}

MAX_ROWS = 100_000                  # products in one file (a big atacarejo has 15,000-50,000)
MAX_UNPACKED = 64 * 1024 * 1024     # a workbook's XML, all parts together, once unzipped
XLSX_CPU_SECONDS = 30               # the reader's limits (a 50,000-row workbook takes about 6 s)
XLSX_MEMORY = 768 * 1024 * 1024     # resident memory; the parent kills the reader past it
XLSX_WALL_SECONDS = 40

# First bytes of files staff pick by mistake: (magic, English reason; reasons.py has the pt-BR).
FOREIGN = ((b"%PDF", "this is a PDF file, not a spreadsheet"),
           (b"\xd0\xcf\x11\xe0", "this is an old Excel .xls workbook"),
           (b"\x89PNG", "this is an image, not a spreadsheet"),
           (b"\xff\xd8\xff", "this is an image, not a spreadsheet"),
           (b"GIF8", "this is an image, not a spreadsheet"), (b"{\\rtf", "this is a Word/RTF document"))

# The catalog's fields and the names spreadsheets and ERPs give them (compared by ``header_key``).
HEADER_NAMES = {
    "sku": ("sku", "codigo", "cod", "codigo produto", "cod produto", "codigo do produto", "codigo interno",
            "cod interno", "ean", "ean13", "gtin", "codigo de barras", "cod barras", "codigo barras", "cod ean",
            "referencia", "ref", "id"),
    "name": ("name", "descricao", "descricao produto", "descricao do produto", "produto", "nome", "nome produto",
             "nome do produto", "item", "mercadoria"),
    "brand": ("brand", "marca", "fabricante"),
    "category": ("category", "secao", "categoria", "departamento", "depto", "setor", "grupo", "familia"),
    "unit": ("unit", "un", "und", "unid", "unidade", "unidade de medida", "medida", "embalagem", "emb"),
    "price": ("price", "preco venda", "preco", "preco de venda", "valor", "valor venda", "valor de venda",
              "preco varejo", "preco unitario", "vl venda", "pv", "venda"),
    "promo_price": ("promo price", "preco promocao", "preco promocional", "preco de promocao", "promocao",
                    "oferta", "preco oferta", "valor promocao", "valor promocional"),
    "wholesale_price": ("wholesale price", "preco atacado", "preco de atacado", "atacado", "valor atacado"),
    "wholesale_min_qty": ("wholesale min qty", "qtd atacado", "qtde atacado", "quantidade atacado",
                          "qtd minima atacado", "quantidade minima atacado", "qtd min atacado", "min atacado",
                          "minimo atacado", "quantidade minima"),
    "aliases": ("aliases", "apelidos", "sinonimos", "outros nomes", "palavras chave"),
    "promo_start": ("promo start", "inicio promocao", "inicio da promocao", "inicio promo", "promocao de",
                    "data inicio promocao"),
    "promo_end": ("promo end", "fim promocao", "fim da promocao", "fim promo", "promocao ate",
                  "validade promocao", "data fim promocao"),
}
FIELDS = tuple(HEADER_NAMES)
# The names staff read (the sample spreadsheet's header; each is also in HEADER_NAMES).
LABELS = {"sku": "Código", "name": "Descrição", "brand": "Marca", "category": "Seção", "unit": "Unidade",
          "price": "Preço", "promo_price": "Preço Promoção", "wholesale_price": "Preço Atacado",
          "wholesale_min_qty": "Qtd Atacado", "aliases": "Apelidos", "promo_start": "Início Promoção",
          "promo_end": "Fim Promoção"}
REQUIRED_FIELDS = ("sku", "name", "unit", "price")
IGNORE = ""                         # a remembered header staff said to ignore
_KNOWN = {key: f for f, names in HEADER_NAMES.items() for key in names}
_RANK = {key: i for names in HEADER_NAMES.values() for i, key in enumerate(names)}


def header_key(text: str) -> str:
    """'Cód. Barras' -> 'cod barras', 'Preço_Venda' -> 'preco venda': how header names are compared."""
    # ASCII only, not text.strip_accents: a character with no ASCII form (a soft hyphen in "Pre\xadço")
    # is dropped, not made a word break; the keys are stored in kb_column_names, so they stay as they are.
    t = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", t).split())[:80]


def fields(header: list[str], remembered: dict[str, str] | None = None) -> list[dict]:
    """Each column: its header, the field it holds (None: unknown) and how that was decided
    (``remembered``, ``known``, ``ignored``, ``duplicate`` of an earlier column, ``unknown``).
    Two columns for one field (Código and EAN): the more usual name wins, the other is ignored."""
    remembered = remembered or {}
    out = []
    for i, h in enumerate(header):
        key = header_key(h)
        if key in remembered:
            f = remembered[key]
            out.append({"index": i, "header": h, "key": key, "field": f or None,
                        "how": "remembered" if f else "ignored"})
        elif key in _KNOWN:
            out.append({"index": i, "header": h, "key": key, "field": _KNOWN[key], "how": "known"})
        else:
            out.append({"index": i, "header": h, "key": key, "field": None, "how": "unknown" if key else "ignored"})
    by_field: dict[str, dict] = {}
    for col in out:
        f = col["field"]
        if f is None:
            continue
        best = by_field.get(f)
        rank = -1 if col["how"] == "remembered" else _RANK.get(col["key"], 99)
        if best is None or rank < best["_rank"]:
            if best is not None:
                best.update(how="duplicate", field=None, duplicate_of=f)
            by_field[f] = col
            col["_rank"] = rank
        else:
            col.update(how="duplicate", field=None, duplicate_of=f)
    for col in out:
        col.pop("_rank", None)
    return out


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
    for magic, reason in FOREIGN:
        if data.startswith(magic):
            out.format, out.error = "foreign", f"{name}: {reason}: export the catalog as CSV or save it as .xlsx"
            return out
    if b"\x00" in data[:65536]:
        out.format, out.error = "foreign", f"{name}: not a text file (binary content): export the catalog as CSV"
        return out
    text = _decode(data, out)
    if text is None:
        return out
    first = text.split("\n", 1)[0]
    out.delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=out.delimiter)
    try:
        out.header = [h.strip() for h in next(reader, [])]
        for cells in reader:
            if len(out.rows) >= MAX_ROWS:
                out.error = f"{name}: more than {MAX_ROWS} rows: split the file or remove empty lines"
                out.rows = []
                break
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
    problem = _zip_problem(data)
    if problem:
        out.error = f"{name}: {problem}"
        return out
    # Imported here, before the fork, so the child imports nothing (and the worker and the CLI
    # never load openpyxl until a workbook comes). A fork, not a fresh interpreter: importing
    # openpyxl costs a second on a busy host, and the child needs nothing but the reader.
    from . import xlsx_reader
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=xlsx_reader.child, args=(send, data, XLSX_CPU_SECONDS, XLSX_MEMORY, MAX_ROWS),
                       daemon=True)
    proc.start()
    send.close()
    payload, why = None, None
    deadline = time.monotonic() + XLSX_WALL_SECONDS
    try:
        watched = psutil.Process(proc.pid)
    except psutil.NoSuchProcess:
        watched = None          # already done: its answer is in the pipe
    try:
        while payload is None and why is None:
            if recv.poll(0.05):
                payload = recv.recv_bytes()         # EOFError: it ended without an answer
            elif time.monotonic() > deadline:
                why = f"the workbook took more than {XLSX_WALL_SECONDS} s to read: save it as CSV"
            elif watched is not None:
                try:
                    if watched.memory_info().rss > XLSX_MEMORY:
                        why = "the workbook needs too much memory to read: save it as CSV"
                except psutil.NoSuchProcess:
                    watched = None
    except EOFError:
        why = "not a readable .xlsx workbook (the reader stopped)"
    finally:
        recv.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    if payload is None:
        if proc.exitcode == -signal.SIGXCPU:
            why = f"the workbook took more than {XLSX_CPU_SECONDS} s of CPU to read: save it as CSV"
        out.error = f"{name}: {why or 'not a readable .xlsx workbook'}"
        return out
    result = json.loads(payload)
    if result.get("error"):
        out.error = f"{name}: {result['error']}"
        return out
    out.header = [h.strip() for h in result["header"]]
    out.rows = [(line, cells) for line, cells in result["rows"]]
    return out


def _zip_problem(data: bytes) -> str | None:
    """Why this zip is not a workbook we read, from its directory alone (nothing is unpacked)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return "not a readable .xlsx workbook (BadZipFile)"
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        if "content.xml" in names:
            return "this is a LibreOffice .ods spreadsheet: save it as .xlsx or CSV"
        return "not a readable .xlsx workbook (a zip without a workbook)"
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_UNPACKED or len(infos) > 10_000:
        return (f"the workbook unpacks to {unpacked // 1_048_576} MB (limit {MAX_UNPACKED // 1_048_576} MB):"
                " save it as CSV")
    return None
