"""The store's knowledge base: import (all or nothing) and read back.

``import_kb`` reads the catalog CSV and the store TOML (the formats of
``shared/store-sample``), checks every row and key, and only when nothing is
wrong replaces the old data in one transaction, bumping ``kb_meta.version``
(the response cache keys on it). Any error leaves the old data in force and
raises ``KBImportError`` listing every bad row by line number.

Product search lives in ``search.py``; this module owns the kb_* tables.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .. import clock, db, files
from . import cache, fmt, text

CATALOG_COLUMNS = ("sku", "name", "brand", "category", "unit", "price", "promo_price",
                   "wholesale_price", "wholesale_min_qty", "aliases")
DAYS = fmt.DAY_KEYS
STORE_SCHEMA = {
    "store": {"name": str, "address": str, "city": str, "phone": str, "maps_url": str},
    "hours": {**{d: str for d in DAYS}, "holidays": str},
    "delivery": {"available": bool, "fee": float, "free_above": float, "min_order": float,
                 "areas": list, "lead_time": str},
    "payment": {"methods": list, "installments": str},
    "wholesale": {"rule": str},
}
REQUIRED = {"store": ("name", "address"), "hours": DAYS, "payment": ("methods",)}
_HOURS = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)-([01]?\d|2[0-4]):([0-5]\d)$")
DEMO_DIR = Path(__file__).resolve().parent.parent / "data"


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

    @classmethod
    def from_row(cls, row) -> "Product":
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

def parse_money(raw: str) -> float:
    """'27.90', '27,90', 'R$ 1.234,56' -> float; ValueError otherwise."""
    s = raw.strip().replace("R$", "").replace(" ", "")
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".")
    elif "," in s:
        s = s.replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d{1,2})?", s):
        raise ValueError(raw)
    return round(float(s), 2)


def _money_field(row: dict, key: str, where: str, errors: list, required: bool = False) -> float | None:
    raw = (row.get(key) or "").strip()
    if not raw:
        if required:
            errors.append(f"{where}: {key} is empty")
        return None
    try:
        value = parse_money(raw)
    except ValueError:
        errors.append(f"{where}: {key} {raw!r} is not a price (write 8.49 or 8,49)")
        return None
    if value <= 0:
        errors.append(f"{where}: {key} must be greater than zero")
        return None
    return value


def parse_catalog(path: str | os.PathLike) -> tuple[list[dict], list[str]]:
    """Rows ready for kb_products, and every error found (by line number)."""
    name = Path(path).name
    errors: list[str] = []
    rows: list[dict] = []
    try:
        fh = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        return [], [f"{name}: cannot read: {exc.strerror}"]
    with fh:
        try:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            missing = [c for c in CATALOG_COLUMNS if c not in header]
            extra = [c for c in header if c not in CATALOG_COLUMNS]
            if missing or extra:
                parts = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + \
                        ([f"unknown column(s) {', '.join(extra)}"] if extra else [])
                return [], [f"{name} line 1: {'; '.join(parts)} (expected: {','.join(CATALOG_COLUMNS)})"]
            seen: dict[str, int] = {}
            for row in reader:
                line = reader.line_num
                where = f"{name} line {line}"
                if None in row:
                    errors.append(f"{where}: more fields than columns (quote names that contain commas)")
                    continue
                if any(v is None for v in row.values()):
                    errors.append(f"{where}: fewer fields than columns")
                    continue
                row = {k: v.strip() for k, v in row.items()}
                if not any(row.values()):
                    continue
                rows.append(_check_product(row, where, errors, seen, line))
        except (csv.Error, UnicodeDecodeError) as exc:
            errors.append(f"{name}: not a readable UTF-8 CSV file: {exc}")
    if not rows and not errors:
        errors.append(f"{name}: the catalog has no products")
    return rows, errors


def _check_product(row: dict, where: str, errors: list, seen: dict, line: int) -> dict:
    sku = row["sku"]
    if not sku:
        errors.append(f"{where}: sku is empty")
    elif sku in seen:
        errors.append(f"{where}: sku {sku} repeats line {seen[sku]}")
    else:
        seen[sku] = line
    for key in ("name", "unit"):
        if not row[key]:
            errors.append(f"{where}: {key} is empty")
    price = _money_field(row, "price", where, errors, required=True)
    promo = _money_field(row, "promo_price", where, errors)
    wprice = _money_field(row, "wholesale_price", where, errors)
    wqty = None
    raw_qty = row["wholesale_min_qty"]
    if raw_qty:
        if not raw_qty.isdigit() or int(raw_qty) < 2:
            errors.append(f"{where}: wholesale_min_qty {raw_qty!r} must be a whole number of at least 2")
        else:
            wqty = int(raw_qty)
    if price is not None:
        if promo is not None and promo >= price:
            errors.append(f"{where}: promo_price {promo:.2f} is not below price {price:.2f}")
        if wprice is not None and wprice >= price:
            errors.append(f"{where}: wholesale_price {wprice:.2f} is not below price {price:.2f}")
    if bool(row["wholesale_price"]) != bool(raw_qty):
        errors.append(f"{where}: wholesale_price and wholesale_min_qty go together (give both or neither)")
    aliases = [a.strip() for a in row["aliases"].split("|") if a.strip()]
    return {"sku": sku, "name": row["name"], "brand": row["brand"], "category": row["category"],
            "unit": row["unit"], "price": price, "promo_price": promo, "wholesale_price": wprice,
            "wholesale_min_qty": wqty, "aliases": "|".join(aliases)}


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
            elif want is float and isinstance(value, (int, float)) and not isinstance(value, bool):
                if value < 0:
                    errors.append(f"{where} must not be negative")
                clean[key] = round(float(value), 2)
            elif want is list and isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
                clean[key] = [v.strip() for v in value]
            elif not isinstance(value, want) or want is list:
                errors.append(f"{where}: expected {_kind(want)}, got {value!r}")
            elif want is str and not value.strip():
                errors.append(f"{where} is empty")
            else:
                clean[key] = value.strip() if isinstance(value, str) else value
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


def _kind(t) -> str:
    return {str: "a string", float: "a number", bool: "true or false", list: "a list of strings"}[t]


def _valid_hours(value: str) -> bool:
    if value.strip().lower() == "closed":
        return True
    ranges = [r.strip() for r in value.split(",")]
    return all(_HOURS.match(r) for r in ranges) and bool(ranges)


# -- import ------------------------------------------------------------------

def import_kb(conn, catalog_path, store_path, sources_dir: str | os.PathLike | None = None) -> dict:
    """Replace the knowledge base with these sources, or raise KBImportError
    and change nothing. ``sources_dir`` (cfg.kb_sources_dir) receives copies
    of both files after a successful import, for the backup job."""
    products, errors = parse_catalog(catalog_path)
    facts, faq, store_errors = parse_store(store_path)
    errors += store_errors
    if errors:
        raise KBImportError(errors)
    now = clock.now()
    with db.transaction(conn):
        row = conn.execute("SELECT version FROM kb_meta WHERE id=1").fetchone()
        version = (row["version"] if row else 0) + 1
        for table in ("kb_products", "kb_products_fts", "kb_facts", "kb_faq"):
            conn.execute(f"DELETE FROM {table}")
        cache.clear(conn)           # answers from the old knowledge are stale
        for p in products:
            cur = conn.execute(
                "INSERT INTO kb_products (sku, name, brand, category, unit, price, promo_price, wholesale_price,"
                " wholesale_min_qty, aliases) VALUES (:sku,:name,:brand,:category,:unit,:price,:promo_price,"
                ":wholesale_price,:wholesale_min_qty,:aliases)", p)
            conn.execute("INSERT INTO kb_products_fts (rowid, name, aliases, brand, category) VALUES (?,?,?,?,?)",
                         (cur.lastrowid, text.search_text(p["name"]),
                          text.search_text(" ".join(p["aliases"].split("|"))),
                          text.search_text(p["brand"]), text.search_text(p["category"])))
        for section, data in facts.items():
            conn.execute("INSERT INTO kb_facts (section, data) VALUES (?, ?)",
                         (section, json.dumps(data, ensure_ascii=False)))
        conn.executemany("INSERT INTO kb_faq (position, question, answer) VALUES (?,?,?)",
                         [(i, q, a) for i, (q, a) in enumerate(faq)])
        conn.execute(
            "INSERT INTO kb_meta (id, version, imported_at, catalog_file, store_file, catalog_sha256,"
            " store_sha256, products) VALUES (1,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET"
            " version=excluded.version, imported_at=excluded.imported_at, catalog_file=excluded.catalog_file,"
            " store_file=excluded.store_file, catalog_sha256=excluded.catalog_sha256,"
            " store_sha256=excluded.store_sha256, products=excluded.products",
            (version, now, str(catalog_path), str(store_path), _sha256(catalog_path), _sha256(store_path),
             len(products)))
    if sources_dir:
        keep_sources(sources_dir, catalog_path, store_path)
    return {"version": version, "products": len(products),
            "promotions": sum(1 for p in products if p["promo_price"]),
            "wholesale": sum(1 for p in products if p["wholesale_price"]),
            "faq": len(faq), "store": facts.get("store", {}).get("name", ""), "imported_at": now}


def demo_sources() -> tuple[Path, Path]:
    """The packaged demo store, so a fresh install answers at once."""
    return DEMO_DIR / "demo_catalog.csv", DEMO_DIR / "demo_store.toml"


def keep_sources(sources_dir, catalog_path, store_path) -> None:
    """Copy the imported files beside the database (written aside, then renamed)."""
    target = Path(sources_dir)
    target.mkdir(parents=True, exist_ok=True)
    for src, name in ((catalog_path, "catalog.csv"), (store_path, "store.toml")):
        os.replace(files.copy_beside(src, target / name, mode=0o640), target / name)


def _sha256(path) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


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
    kb.faq = [(r["question"], r["answer"]) for r in conn.execute("SELECT question, answer FROM kb_faq ORDER BY position")]
    return kb


def products(conn, where: str = "1", params: tuple = (), limit: int = 1000) -> list[Product]:
    cols = "id, sku, name, brand, category, unit, price, promo_price, wholesale_price, wholesale_min_qty, aliases"
    return [Product.from_row(r) for r in
            conn.execute(f"SELECT {cols} FROM kb_products WHERE {where} ORDER BY id LIMIT ?", (*params, limit))]


def product(conn, product_id: int) -> Product | None:
    found = products(conn, "id=?", (product_id,), 1)
    return found[0] if found else None


def summary(conn) -> dict:
    """What `chatbot kb show` prints."""
    kb = load(conn)
    meta = conn.execute("SELECT * FROM kb_meta WHERE id=1").fetchone()
    counts = conn.execute("SELECT COUNT(*) n, COUNT(promo_price) promos, COUNT(wholesale_price) wholesale"
                          " FROM kb_products").fetchone()
    return {"version": kb.version, "imported_at": kb.imported_at,
            "catalog_file": meta["catalog_file"] if meta else None,
            "store_file": meta["store_file"] if meta else None,
            "products": counts["n"], "promotions": counts["promos"], "wholesale": counts["wholesale"],
            "store": kb.store, "hours": kb.hours, "delivery": kb.delivery, "payment": kb.payment,
            "wholesale_rule": kb.wholesale.get("rule", ""), "faq": [{"q": q, "a": a} for q, a in kb.faq]}
