"""The store's knowledge base: import (all or nothing) and read back.

``import_kb`` reads the catalog (CSV or XLSX, see catalog_file.py) and the
store TOML (the formats of ``shared/store-sample``), checks every row and
key, and only when nothing is wrong replaces the old data in one
transaction, bumping ``kb_meta.version`` (the response cache keys on it).
Any error leaves the old data in force and raises ``KBImportError`` listing
every bad row by line number.

``check_catalog`` is the one validation of a catalog and ``write_catalog``
the one way a catalog is put in force: the CLI import, the staff's upload
(catalog.py) and the ERP sync all go through both. Every change is recorded
in ``kb_changes`` (who, what) and the catalog it replaced is kept under
``<kb_sources_dir>/history/`` so it can be rolled back.

FAQ entries come from the store TOML (origin 'store', replaced by each
import) and from staff (origin 'staff', kept across imports and also
written to ``faq.toml`` among the sources, for the backup).

Product search lives in ``search.py``; this module owns the kb_* tables.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import operator
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ... import clock, config, db, files
from .. import cache, fmt, text
from . import catalog_file

CATALOG_COLUMNS = ("sku", "name", "brand", "category", "unit", "price", "promo_price",
                   "wholesale_price", "wholesale_min_qty", "aliases")
OPTIONAL_COLUMNS = ("promo_start", "promo_end")
PRODUCT_FIELDS = CATALOG_COLUMNS + ("promo_start", "promo_end", "promo_from_ts", "promo_until_ts")
DEFAULT_TZ = config.Bot.store_timezone   # [bot] store_timezone's default
HISTORY_KEEP = 20                      # previous catalogs kept for rollback
DAYS = fmt.DAY_KEYS
STORE_SCHEMA = {
    "store": {"name": str, "address": str, "city": str, "phone": str, "maps_url": str, "lat": float, "lon": float},
    "hours": {**{d: str for d in DAYS}, "holidays": str},
    "delivery": {"available": bool, "fee": float, "free_above": float, "min_order": float,
                 "areas": list, "lead_time": str, "max_km": float},
    "payment": {"methods": list, "installments": str, "pix_key": str, "pix_name": str, "pix_city": str},
    "wholesale": {"rule": str},
}
# The store's place ([store] lat, lon, decimal degrees) and how far it delivers
# ([delivery] max_km, straight-line): read by ``delivery_reach`` for a location
# the customer sends and for a delivery address at checkout.
COORDINATES = {("store", "lat"): (-90.0, 90.0), ("store", "lon"): (-180.0, 180.0)}
EARTH_RADIUS_KM = 6371.0088
REQUIRED = {"store": ("name", "address"), "hours": DAYS, "payment": ("methods",)}
_HOURS = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)-([01]?\d|2[0-4]):([0-5]\d)$")
DEMO_DIR = Path(__file__).resolve().parents[2] / "data"


class KBImportError(Exception):
    """The sources have errors; nothing was imported. ``errors`` lists each one."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__(f"{len(errors)} error(s), nothing imported (the previous data stays in force):\n"
                         + "\n".join(f"  {e}" for e in errors))


@dataclass(frozen=True)
class Product:
    id: int
    sku: str
    name: str
    brand: str
    category: str
    unit: str
    price: float
    promo_price: float | None
    wholesale_price: float | None
    wholesale_min_qty: int | None
    aliases: tuple[str, ...] = ()
    promo_end: str | None = None            # last day of a dated promotion (YYYY-MM-DD)
    promo_until_ts: float | None = None     # the promotion ends at this instant (midnight after promo_end)

    @classmethod
    def from_row(cls, row) -> Product:
        d = dict(row)
        d["aliases"] = tuple(a for a in d.get("aliases", "").split("|") if a)
        return cls(**d)


@dataclass
class KB:
    """The facts in force, as the replies and the LLM prompt read them."""
    version: int
    store: dict = field(default_factory=dict)
    hours: dict = field(default_factory=dict)
    delivery: dict = field(default_factory=dict)
    payment: dict = field(default_factory=dict)
    wholesale: dict = field(default_factory=dict)
    faq: list[tuple[str, str]] = field(default_factory=list)
    imported_at: float | None = None


# -- parsing -----------------------------------------------------------------

_PLAIN_MONEY = re.compile(r"\d+(?:[.,]\d{1,2})?")
_GROUPED_MONEY = re.compile(r"\d{1,3}(?:\.\d{3})+,\d{1,2}")    # 1.234,56; never 1.2345,00 or 1,234.56


def parse_money(raw: str) -> float:
    """'27.90', '27,90', 'R$ 1.234,56' -> float; ValueError otherwise."""
    s = raw.strip()
    if _PLAIN_MONEY.fullmatch(s):           # the common case, 50,000 times per catalog
        return round(float(s.replace(",", ".")), 2)
    s = s.replace("R$", "").replace(" ", "")
    if _GROUPED_MONEY.fullmatch(s):
        return round(float(s.replace(".", "").replace(",", ".")), 2)
    if not _PLAIN_MONEY.fullmatch(s):
        raise ValueError(raw)
    return round(float(s.replace(",", ".")), 2)


class CheckedCatalog:
    """A catalog file read and checked: the products, and every rejected row."""

    def __init__(self, file: catalog_file.CatalogFile, data: bytes = b""):
        self.file = file
        self.data = data
        self.products: list[dict] = []
        self.rejected: list[tuple[int | None, str]] = []     # (line, reason); line None: the whole file
        self.columns: list[dict] = []           # catalog_file.fields: each column and the field it holds
        self.field_index: dict[str, int] = {}   # field -> column, once the header is understood
        self.needs_mapping = False              # a required field not found, or a column nobody named
        self._index: list[tuple] | None = None

    def reject(self, line: int | None, reason: str) -> None:
        self.rejected.append((line, reason))

    @property
    def errors(self) -> list[str]:
        name = self.file.name
        return [f"{name} line {line}: {reason}" if line else f"{name}: {reason}" for line, reason in self.rejected]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def prepare(self) -> list[tuple]:
        """The search-index rows (id, name, aliases, brand, category), normalised once. Seconds for
        50,000 products: callers run it before taking the write lock, so the web service and the
        worker never wait for it."""
        if self._index is None:
            self._index = [(i, text.search_text(p["name"]), text.search_text(" ".join(p["aliases"].split("|"))),
                            text.search_text(p["brand"]), text.search_text(p["category"]))
                           for i, p in enumerate(self.products, 1)]
        return self._index


def parse_catalog(path: str | os.PathLike, tz: str = DEFAULT_TZ) -> tuple[list[dict], list[str]]:
    """Rows ready for kb_products, and every error found (by line number)."""
    checked = check_catalog_path(path, tz)
    return checked.products, checked.errors


def check_catalog_path(path: str | os.PathLike, tz: str = DEFAULT_TZ) -> CheckedCatalog:
    name = Path(path).name
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        checked = CheckedCatalog(catalog_file.CatalogFile(name=name))
        checked.reject(None, f"cannot read: {exc.strerror}")
        return checked
    return check_catalog(data, name, tz)


def check_catalog(data: bytes, name: str, tz: str = DEFAULT_TZ,
                  columns: dict[str, str] | None = None) -> CheckedCatalog:
    """The one validation of a catalog, whatever its shape and wherever it comes from.
    ``columns``: header names staff taught (catalog_file.header_key -> field, "" to ignore)."""
    cf = catalog_file.read(data, name)
    checked = CheckedCatalog(cf, data)
    if cf.error:
        checked.reject(None, cf.error.removeprefix(f"{name}: "))
        return checked
    checked.columns = catalog_file.fields(cf.header, columns)
    index = {c["field"]: c["index"] for c in checked.columns if c["field"]}
    missing = [f for f in catalog_file.REQUIRED_FIELDS if f not in index]
    unknown = [c["header"] for c in checked.columns if c["how"] == "unknown"]
    keys = [c["key"] for c in checked.columns if c["how"] != "ignored"]
    repeated = len(set(keys)) != len(keys)
    if missing or unknown or repeated:
        checked.needs_mapping = True
        parts = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + \
                ([f"unknown column(s) {', '.join(unknown)}"] if unknown else []) + \
                (["a column name repeats"] if repeated else [])
        optional = [f for f in catalog_file.FIELDS if f not in catalog_file.REQUIRED_FIELDS]
        checked.reject(1, f"{'; '.join(parts)} (required: {','.join(catalog_file.REQUIRED_FIELDS)};"
                          f" optional: {','.join(optional)})")
        return checked
    checked.field_index = index
    zone = clock.store_zone(tz)
    width = len(cf.header)
    # Each field's cell, or the "" appended past the last column for a field the file lacks.
    pick = operator.itemgetter(*[index.get(f, width) for f in catalog_file.FIELDS])
    names = catalog_file.FIELDS
    seen: dict[str, int] = {}
    for line, cells in cf.rows:
        if len(cells) > width:
            if any(c.strip() for c in cells[width:]) or cf.format != "xlsx":
                checked.reject(line, f"more fields than columns (quote names that contain {cf.delimiter or ','!r})")
                continue
            cells = cells[:width]
        if not any(c.strip() for c in cells):
            continue
        if len(cells) < width:
            if cf.format != "xlsx":
                checked.reject(line, "fewer fields than columns")
                continue
            cells = cells + [""] * (width - len(cells))
        row = dict(zip(names, map(str.strip, pick(cells + [""]))))
        before = len(checked.rejected)
        product = _check_product(row, line, checked, seen, zone)
        if len(checked.rejected) == before:
            checked.products.append(product)
    if not checked.products and not checked.rejected:
        checked.reject(None, "the catalog has no products")
    return checked


def _money_field(row: dict, key: str, line: int, checked: CheckedCatalog, required: bool = False) -> float | None:
    raw = row.get(key) or ""
    if not raw:
        if required:
            checked.reject(line, f"{key} is empty")
        return None
    try:
        value = parse_money(raw)
    except ValueError:
        checked.reject(line, f"{key} {raw!r} is not a price (write 8.49 or 8,49)")
        return None
    if value <= 0:
        checked.reject(line, f"{key} must be greater than zero")
        return None
    return value


def _date_field(row: dict, key: str, line: int, checked: CheckedCatalog) -> dt.date | None:
    raw = row.get(key) or ""
    if not raw:
        return None
    for form in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"):
        try:
            return dt.datetime.strptime(raw, form).date()
        except ValueError:
            pass
    checked.reject(line, f"{key} {raw!r} is not a date (write 2026-12-06 or 06/12/2026)")
    return None


def _check_product(row: dict, line: int, checked: CheckedCatalog, seen: dict, zone) -> dict:
    sku = row["sku"]
    if not sku:
        checked.reject(line, "sku is empty")
    elif sku in seen:
        checked.reject(line, f"sku {sku} repeats line {seen[sku]}")
    else:
        seen[sku] = line
    for key in ("name", "unit"):
        if not row[key]:
            checked.reject(line, f"{key} is empty")
    price = _money_field(row, "price", line, checked, required=True)
    promo = _money_field(row, "promo_price", line, checked)
    wprice = _money_field(row, "wholesale_price", line, checked)
    wqty = None
    raw_qty = row["wholesale_min_qty"]
    if raw_qty:
        if not raw_qty.isdigit() or int(raw_qty) < 2:
            checked.reject(line, f"wholesale_min_qty {raw_qty!r} must be a whole number of at least 2")
        else:
            wqty = int(raw_qty)
    if price is not None:
        if promo is not None and promo >= price:
            checked.reject(line, f"promo_price {promo:.2f} is not below price {price:.2f}")
        if wprice is not None and wprice >= price:
            checked.reject(line, f"wholesale_price {wprice:.2f} is not below price {price:.2f}")
    if bool(row["wholesale_price"]) != bool(raw_qty):
        checked.reject(line, "wholesale_price and wholesale_min_qty go together (give both or neither)")
    start = _date_field(row, "promo_start", line, checked)
    end = _date_field(row, "promo_end", line, checked)
    if (start or end) and not row["promo_price"]:
        checked.reject(line, "promo_start and promo_end need a promo_price")
    if start and end and end < start:
        checked.reject(line, f"promo_end {end:%d/%m/%Y} is before promo_start {start:%d/%m/%Y}")
    aliases = [a.strip() for a in row["aliases"].split("|") if a.strip()]
    return {"sku": sku, "name": row["name"], "brand": row["brand"], "category": row["category"],
            "unit": row["unit"], "price": price, "promo_price": promo, "wholesale_price": wprice,
            "wholesale_min_qty": wqty, "aliases": "|".join(aliases),
            "promo_start": start.isoformat() if start else None, "promo_end": end.isoformat() if end else None,
            "promo_from_ts": _midnight(start, zone) if start else None,
            "promo_until_ts": _midnight(end + dt.timedelta(days=1), zone) if end else None}


def _midnight(day: dt.date, zone) -> float:
    """The instant a day starts at the store."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()


def parse_store(path: str | os.PathLike) -> tuple[dict, list[tuple[str, str]], list[str]]:
    """The facts by section, the FAQ, and every error found."""
    name = Path(path).name
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        return {}, [], [f"{name}: cannot read: {exc.strerror}"]
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return {}, [], [f"{name}: invalid TOML: {exc}"]
    errors: list[str] = []
    facts: dict = {}
    for section in data:
        if section not in STORE_SCHEMA and section != "faq":
            errors.append(f"{name}: unknown section [{section}]")
    for section, schema in STORE_SCHEMA.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            errors.append(f"{name}: [{section}] must be a table")
            continue
        for key in REQUIRED.get(section, ()):
            if key not in table:
                errors.append(f"{name}: [{section}] {key} is missing")
        clean = {}
        for key, value in table.items():
            want = schema.get(key)
            where = f"{name}: [{section}] {key}"
            if want is None:
                errors.append(f"{name}: unknown key '{key}' in [{section}]")
                continue
            try:
                value = config.check_value(where, value, want)     # the one TOML type check
            except config.ConfigError as exc:
                errors.append(str(exc))
                continue
            # What a store file asks beyond the type: no negative money, no empty text.
            if (section, key) in COORDINATES:
                if not COORDINATES[(section, key)][0] <= value <= COORDINATES[(section, key)][1]:
                    errors.append(f"{where} = {value}: must be between {COORDINATES[(section, key)][0]:g}"
                                  f" and {COORDINATES[(section, key)][1]:g} (decimal degrees)")
                else:
                    clean[key] = round(value, 6)
            elif want is float and value < 0:
                errors.append(f"{where} must not be negative")
            elif want is str and not value.strip() or want is list and not all(v.strip() for v in value):
                errors.append(f"{where} is empty")
            else:
                clean[key] = round(value, 2) if want is float else \
                    [v.strip() for v in value] if want is list else value.strip() if want is str else value
        if section == "hours":
            for key, value in clean.items():
                if not _valid_hours(value):
                    errors.append(f"{name}: [hours] {key} = {value!r}: write \"07:00-21:00\" "
                                  "(several ranges with commas) or \"closed\"")
        facts[section] = clean
    if facts.get("payment", {}).get("methods") == []:
        errors.append(f"{name}: [payment] methods is empty")
    faq = []
    raw_faq = data.get("faq", [])
    if not isinstance(raw_faq, list):
        errors.append(f"{name}: faq must be written as [[faq]] tables")
        raw_faq = []
    for i, item in enumerate(raw_faq, 1):
        q, a = (item.get("q"), item.get("a")) if isinstance(item, dict) else (None, None)
        if not (isinstance(q, str) and q.strip() and isinstance(a, str) and a.strip()):
            errors.append(f"{name}: [[faq]] number {i} needs non-empty strings q and a")
        elif set(item) - {"q", "a"}:
            errors.append(f"{name}: [[faq]] number {i}: unknown key(s) {', '.join(sorted(set(item) - {'q', 'a'}))}")
        else:
            faq.append((q.strip(), a.strip()))
    return facts, faq, errors


def _valid_hours(value: str) -> bool:
    if value.strip().lower() == "closed":
        return True
    ranges = [r.strip() for r in value.split(",")]
    return all(_HOURS.match(r) for r in ranges) and bool(ranges)


# -- where the store delivers ---------------------------------------------------

def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points (haversine), in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def delivery_reach(kb: KB, lat: float, lon: float) -> dict:
    """Does the store deliver to (lat, lon)? ``inside`` is True or False when the
    store's file gives [store] lat, lon and [delivery] max_km, None when it
    cannot be told (then ask for the neighbourhood). ``km`` rounded to 0.1."""
    d, s = kb.delivery, kb.store
    if not d.get("available", False):
        return {"inside": False, "km": None, "reason": "no_delivery"}
    if not isinstance(s.get("lat"), (int, float)) or not isinstance(s.get("lon"), (int, float)) \
            or not d.get("max_km"):
        return {"inside": None, "km": None, "reason": "no_store_point"}
    km = distance_km(s["lat"], s["lon"], lat, lon)
    return {"inside": km <= d["max_km"], "km": round(km, 1), "max_km": d["max_km"], "reason": "distance"}


# -- import ------------------------------------------------------------------

def import_kb(conn, catalog_path, store_path, sources_dir: str | os.PathLike | None = None,
              tz: str = DEFAULT_TZ, actor: str = "cli") -> dict:
    """Replace the knowledge base with these sources, or raise KBImportError
    and change nothing. ``sources_dir`` (cfg.kb_sources_dir) receives copies
    of both files after a successful import, for the backup, and keeps the
    catalog this one replaces (for ``rollback``)."""
    checked = check_catalog_path(catalog_path, tz)
    facts, faq, store_errors = parse_store(store_path)
    errors = checked.errors + store_errors
    if errors:
        raise KBImportError(errors)
    products = checked.products
    checked.prepare()
    with db.transaction(conn, durable=True):
        change = write_catalog(conn, checked, actor=actor, action="import", sources_dir=sources_dir,
                               catalog_file=str(catalog_path))
        conn.execute("DELETE FROM kb_facts")
        for section, data in facts.items():
            conn.execute("INSERT INTO kb_facts (section, data) VALUES (?, ?)",
                         (section, json.dumps(data, ensure_ascii=False)))
        conn.execute("DELETE FROM kb_faq WHERE origin='store'")
        conn.executemany("INSERT INTO kb_faq (position, question, answer, origin) VALUES (?,?,?,'store')",
                         [(i, q, a) for i, (q, a) in enumerate(faq)])
        conn.execute("UPDATE kb_meta SET store_file=?, store_sha256=? WHERE id=1",
                     (str(store_path), _sha256(store_path)))
    if sources_dir:
        keep_sources(sources_dir, catalog_path, store_path)
    return {"version": change["version"], "products": len(products),
            "promotions": sum(1 for p in products if p["promo_price"]),
            "wholesale": sum(1 for p in products if p["wholesale_price"]),
            "faq": len(faq), "store": facts.get("store", {}).get("name", ""), "imported_at": change["ts"],
            "file": checked.file.describe()}


def write_catalog(conn, checked: CheckedCatalog, *, actor: str, action: str, sources_dir=None,
                  catalog_file: str | None = None, summary: dict | None = None,
                  expect_version: int | None = None) -> dict:
    """Put a checked catalog in force (call inside a transaction): replace the
    products, bump the version, empty the response cache, record who did it.
    The catalog it replaces is kept under sources_dir/history first.
    ``expect_version``: refuse (KBImportError) if the knowledge base changed since."""
    if checked.rejected:
        raise KBImportError(checked.errors)
    now = clock.now()
    old_version = version(conn)
    if expect_version is not None and old_version != expect_version:
        raise StaleCatalog(f"the knowledge base changed (version {expect_version} -> {old_version}) since the"
                           " preview: make a new preview")
    previous = _keep_previous(conn, sources_dir, old_version) if sources_dir else None
    index = checked.prepare()           # normally done already, before the lock was taken
    conn.execute("DELETE FROM kb_products")
    conn.execute("DELETE FROM kb_products_fts")
    cols = ",".join(("id",) + PRODUCT_FIELDS)
    conn.executemany(f"INSERT INTO kb_products ({cols}) VALUES (?{',?' * len(PRODUCT_FIELDS)})",
                     [(i, *(p[c] for c in PRODUCT_FIELDS)) for i, p in enumerate(checked.products, 1)])
    conn.executemany("INSERT INTO kb_products_fts (rowid, name, aliases, brand, category) VALUES (?,?,?,?,?)", index)
    new_version = old_version + 1
    conn.execute(
        "INSERT INTO kb_meta (id, version, imported_at, catalog_file, catalog_sha256, products)"
        " VALUES (1,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET version=excluded.version,"
        " imported_at=excluded.imported_at, catalog_file=excluded.catalog_file,"
        " catalog_sha256=excluded.catalog_sha256, products=excluded.products",
        (new_version, now, catalog_file or checked.file.name, checked.sha256, len(checked.products)))
    cache.clear(conn)
    details = dict(summary or {})
    details.setdefault("products", len(checked.products))
    details["file"] = checked.file.name
    details["format"] = checked.file.describe()
    record_change(conn, actor, action, new_version, details, previous)
    return {"version": new_version, "ts": now, "previous_catalog": previous}


class StaleCatalog(KBImportError):
    def __init__(self, message: str):
        super().__init__([message])


def record_change(conn, actor: str, action: str, kb_version: int, details: dict,
                  previous_catalog: str | None = None) -> int:
    """One audit row: who did what to the knowledge base (call inside a transaction)."""
    cur = conn.execute("INSERT INTO kb_changes (ts, actor, action, kb_version, details, previous_catalog)"
                       " VALUES (?,?,?,?,?,?)", (clock.now(), actor, action, kb_version,
                                                  json.dumps(details, ensure_ascii=False, default=str),
                                                  previous_catalog))
    return cur.lastrowid


def changes(conn, limit: int = 50) -> list[dict]:
    rows = conn.execute("SELECT id, ts, actor, action, kb_version, details, previous_catalog FROM kb_changes"
                        " ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [{**dict(r), "details": json.loads(r["details"] or "{}")} for r in rows]


def export_csv(conn) -> bytes:
    """The catalog in force, as a UTF-8 CSV in the import format (with the promotion dates)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CATALOG_COLUMNS + OPTIONAL_COLUMNS)
    for r in conn.execute(f"SELECT {','.join(CATALOG_COLUMNS + OPTIONAL_COLUMNS)} FROM kb_products ORDER BY id"):
        w.writerow(["" if v is None else (f"{v:.2f}" if isinstance(v, float) else v) for v in r])
    return out.getvalue().encode("utf-8")


def _keep_previous(conn, sources_dir, old_version: int) -> str | None:
    """Write the catalog about to be replaced to history/ (aside, then renamed); keep the newest few."""
    if not conn.execute("SELECT 1 FROM kb_products LIMIT 1").fetchone():
        return None
    history = Path(sources_dir) / "history"
    history.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.fromtimestamp(clock.now(), dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = history / f"catalog-v{old_version}-{stamp}.csv"
    files.write_atomically(target, export_csv(conn))
    for old in sorted(history.glob("catalog-v*.csv"), key=lambda p: p.stat().st_mtime)[:-HISTORY_KEEP]:
        old.unlink(missing_ok=True)
    return str(target)


def last_previous_catalog(conn) -> str | None:
    """The catalog in force before the latest catalog change, if its copy is still kept."""
    row = conn.execute("SELECT previous_catalog FROM kb_changes WHERE previous_catalog IS NOT NULL"
                       " ORDER BY id DESC LIMIT 1").fetchone()
    if row is None or not Path(row["previous_catalog"]).exists():
        return None
    return row["previous_catalog"]


def rollback(conn, sources_dir, actor: str, tz: str = DEFAULT_TZ) -> dict:
    """Put the previous catalog back in force (through the same checks and write as an import).
    A second rollback undoes the first."""
    path = last_previous_catalog(conn)
    if path is None:
        raise KBImportError(["no previous catalog is kept: nothing to roll back to"])
    checked = check_catalog_path(path, tz)
    if not checked.rejected:
        checked.prepare()
    with db.transaction(conn, durable=True):
        change = write_catalog(conn, checked, actor=actor, action="rollback", sources_dir=sources_dir,
                               catalog_file=path, summary={"restored": Path(path).name})
    if sources_dir:
        keep_current(sources_dir, checked)
    return {"version": change["version"], "products": len(checked.products), "restored": path}


def keep_current(sources_dir, checked: CheckedCatalog) -> None:
    """The catalog in force, beside the store file, for the backup (its own bytes, as uploaded)."""
    target = Path(sources_dir)
    target.mkdir(parents=True, exist_ok=True)
    keep = "catalog.xlsx" if checked.file.format == "xlsx" else "catalog.csv"
    files.write_atomically(target / keep, checked.data)
    (target / ("catalog.csv" if keep == "catalog.xlsx" else "catalog.xlsx")).unlink(missing_ok=True)


def demo_sources() -> tuple[Path, Path]:
    """The packaged demo store, so a fresh install answers at once."""
    return DEMO_DIR / "demo_catalog.csv", DEMO_DIR / "demo_store.toml"


def keep_sources(sources_dir, catalog_path, store_path) -> None:
    """Copy the imported files beside the database (written aside, then renamed)."""
    target = Path(sources_dir)
    target.mkdir(parents=True, exist_ok=True)
    for src, name in ((catalog_path, "catalog.csv"), (store_path, "store.toml")):
        with open(src, "rb") as fh:
            data = fh.read()
        if name == "catalog.csv" and data.startswith(catalog_file.XLSX_MAGIC):
            name = "catalog.xlsx"
            (target / "catalog.csv").unlink(missing_ok=True)
        elif name == "catalog.csv":
            (target / "catalog.xlsx").unlink(missing_ok=True)
        files.write_atomically(target / name, data)


def _sha256(path) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


# -- staff FAQ ---------------------------------------------------------------

def faq_entries(conn) -> list[dict]:
    return [dict(r) for r in conn.execute(
        "SELECT id, position, question, answer, origin, updated_at, updated_by FROM kb_faq ORDER BY position, id")]


def faq_add(conn, question: str, answer: str, actor: str, sources_dir=None) -> int:
    question, answer = _faq_text(question, answer)
    with db.transaction(conn, durable=True):
        pos = conn.execute("SELECT coalesce(max(position), -1) + 1 FROM kb_faq").fetchone()[0]
        cur = conn.execute("INSERT INTO kb_faq (position, question, answer, origin, updated_at, updated_by)"
                           " VALUES (?,?,?,'staff',?,?)", (pos, question, answer, clock.now(), actor))
        _faq_changed(conn, actor, "faq_add", {"id": cur.lastrowid, "q": question})
    _keep_faq(conn, sources_dir)
    return cur.lastrowid


def faq_edit(conn, faq_id: int, question: str, answer: str, actor: str, sources_dir=None) -> bool:
    question, answer = _faq_text(question, answer)
    with db.transaction(conn, durable=True):
        old = conn.execute("SELECT question, answer FROM kb_faq WHERE id=?", (faq_id,)).fetchone()
        if old is None:
            return False
        # An edited store entry becomes the staff's: the next import of the store file must not undo it.
        conn.execute("UPDATE kb_faq SET question=?, answer=?, origin='staff', updated_at=?, updated_by=? WHERE id=?",
                     (question, answer, clock.now(), actor, faq_id))
        _faq_changed(conn, actor, "faq_edit", {"id": faq_id, "old": {"q": old["question"], "a": old["answer"]},
                                               "new": {"q": question, "a": answer}})
    _keep_faq(conn, sources_dir)
    return True


def faq_delete(conn, faq_id: int, actor: str, sources_dir=None) -> bool:
    with db.transaction(conn, durable=True):
        old = conn.execute("SELECT question, answer FROM kb_faq WHERE id=?", (faq_id,)).fetchone()
        if old is None:
            return False
        conn.execute("DELETE FROM kb_faq WHERE id=?", (faq_id,))
        _faq_changed(conn, actor, "faq_delete", {"id": faq_id, "q": old["question"], "a": old["answer"]})
    _keep_faq(conn, sources_dir)
    return True


class FAQError(ValueError):
    """A question or answer staff cannot save (empty, too long)."""


FAQ_MAX_QUESTION, FAQ_MAX_ANSWER = 300, 1000


def _faq_text(question, answer) -> tuple[str, str]:
    q = db.storable(" ".join(str(question or "").split()))
    a = db.storable(str(answer or "").strip())
    if not q or not a:
        raise FAQError("Escreva a pergunta e a resposta.")
    if len(q) > FAQ_MAX_QUESTION or len(a) > FAQ_MAX_ANSWER:
        raise FAQError(f"A pergunta vai até {FAQ_MAX_QUESTION} caracteres e a resposta até {FAQ_MAX_ANSWER}.")
    return q, a


def _faq_changed(conn, actor: str, action: str, details: dict) -> None:
    """Bump the version (the bot re-reads its FAQ at the next message) and drop cached replies."""
    now = clock.now()
    row = conn.execute("SELECT version FROM kb_meta WHERE id=1").fetchone()
    new_version = (row["version"] if row else 0) + 1
    conn.execute("INSERT INTO kb_meta (id, version, imported_at, products) VALUES (1,?,?,0)"
                 " ON CONFLICT(id) DO UPDATE SET version=excluded.version", (new_version, now))
    cache.clear(conn)
    record_change(conn, actor, action, new_version, details)


def _keep_faq(conn, sources_dir) -> None:
    """The staff's FAQ as a TOML file among the sources, so the backup has it in a readable form."""
    if not sources_dir:
        return
    rows = conn.execute("SELECT question, answer FROM kb_faq WHERE origin='staff' ORDER BY position, id").fetchall()
    lines = ["# FAQ entries written by the store's staff on /admin/faq (kept across `chatbot kb import`).",
             "# Written by the chatbot; edit them on the admin page.", ""]
    for r in rows:
        lines += ["[[faq]]", f"q = {_toml_str(r['question'])}", f"a = {_toml_str(r['answer'])}", ""]
    target = Path(sources_dir)
    target.mkdir(parents=True, exist_ok=True)
    files.write_atomically(target / "faq.toml", "\n".join(lines).encode("utf-8"))


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)     # a JSON string is a valid TOML basic string


# -- reading -----------------------------------------------------------------

def version(conn) -> int:
    """0 while nothing was imported."""
    row = conn.execute("SELECT version FROM kb_meta WHERE id=1").fetchone()
    return row["version"] if row else 0


def load(conn) -> KB:
    meta = conn.execute("SELECT version, imported_at FROM kb_meta WHERE id=1").fetchone()
    kb = KB(version=meta["version"] if meta else 0, imported_at=meta["imported_at"] if meta else None)
    for row in conn.execute("SELECT section, data FROM kb_facts"):
        setattr(kb, row["section"], json.loads(row["data"]))
    kb.faq = [(r["question"], r["answer"])
              for r in conn.execute("SELECT question, answer FROM kb_faq ORDER BY position, id")]
    return kb


# A dated promotion is in force from the start of promo_start to the end of promo_end (store time);
# outside it the product reads as if it had no promo_price, so ``where`` may test promo_price too.
_IN_FORCE = ("SELECT id, sku, name, brand, category, unit, price, wholesale_price, wholesale_min_qty, aliases,"
             " promo_end, promo_until_ts, CASE WHEN (promo_from_ts IS NULL OR promo_from_ts <= ?1)"
             " AND (promo_until_ts IS NULL OR ?1 < promo_until_ts) THEN promo_price END AS promo_price"
             " FROM kb_products")


def products(conn, where: str = "1", params: tuple = (), limit: int = 1000) -> list[Product]:
    # ?1 is the time now; the caller's ``?`` placeholders number on from 2.
    return [Product.from_row(r) for r in
            conn.execute(f"SELECT * FROM ({_IN_FORCE}) WHERE {where} ORDER BY id LIMIT ?",
                         (clock.now(), *params, limit))]


def product(conn, product_id: int) -> Product | None:
    found = products(conn, "id=?", (product_id,), 1)
    return found[0] if found else None


def summary(conn) -> dict:
    """What `chatbot kb show` prints."""
    kb = load(conn)
    meta = conn.execute("SELECT * FROM kb_meta WHERE id=1").fetchone()
    counts = conn.execute(f"SELECT COUNT(*) n, COUNT(promo_price) promos, COUNT(wholesale_price) wholesale"
                          f" FROM ({_IN_FORCE})", (clock.now(),)).fetchone()
    return {"version": kb.version, "imported_at": kb.imported_at,
            "catalog_file": meta["catalog_file"] if meta else None,
            "store_file": meta["store_file"] if meta else None,
            "products": counts["n"], "promotions": counts["promos"], "wholesale": counts["wholesale"],
            "store": kb.store, "hours": kb.hours, "delivery": kb.delivery, "payment": kb.payment,
            "wholesale_rule": kb.wholesale.get("rule", ""), "faq": [{"q": q, "a": a} for q, a in kb.faq]}
