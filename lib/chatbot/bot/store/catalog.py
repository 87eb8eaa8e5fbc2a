"""Catalog changes staff and the ERP make: preview, apply, roll back, sync.

``preview`` compares a catalog file with the catalog in force and says what
would change: new and removed products, every price, promotion and
wholesale change (old -> new), the rejected rows with their line numbers,
and what looks wrong (a price moving by more than ``[kb]
max_price_change``, more than ``max_removed_fraction`` of the products
removed). ``stage`` keeps the file under a token; ``apply`` puts exactly
that file in force, against exactly the version it was compared with,
through knowledge.check_catalog and knowledge.write_catalog: the same
checks and the same write as ``chatbot kb import``.

``sync`` is chatbot-sync-catalog's unit of work: the ERP's file, imported
when its content changed, unless rows are rejected or the checks flag it.

A header nobody recognises ("Cod Interno Loja") stops a file at the mapping
step: staff say which field each column holds (``remember_columns``, table
``kb_column_names``), and every later upload and sync reads that name so.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from pathlib import Path

from ... import clock, db, formats
from .. import fmt
from . import catalog_file, knowledge

PREVIEW_TTL_SECONDS = 3600
MONEY_FIELDS = ("price", "promo_price", "wholesale_price")
FIELD_NAMES = {"price": "preço", "promo_price": "promoção", "wholesale_price": "atacado",
               "wholesale_min_qty": "qtd. mínima atacado", "promo_start": "início da promoção",
               "promo_end": "fim da promoção", "name": "nome"}
WATCHED = ("price", "promo_price", "wholesale_price", "wholesale_min_qty", "promo_start", "promo_end", "name")


class CatalogError(Exception):
    """A preview cannot be applied (unknown, expired, rejected rows, not confirmed, stale)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _money(v) -> str:
    return "-" if v is None else fmt.money(v)


def _show(field: str, v) -> str:
    if field in MONEY_FIELDS:
        return _money(v)
    if field in ("promo_start", "promo_end") and v:
        y, m, d = str(v).split("-")
        return f"{d}/{m}/{y}"
    return "-" if v in (None, "") else str(v)


def current(conn) -> dict[str, dict]:
    cols = ",".join(("sku",) + WATCHED)
    return {r["sku"]: dict(r) for r in conn.execute(f"SELECT {cols} FROM kb_products")}


def preview(conn, checked: knowledge.CheckedCatalog, kb_cfg) -> dict:
    """What applying ``checked`` would change, and what looks suspicious. A file with no valid
    product (unreadable, wrong columns) changes nothing and shows no difference."""
    old = current(conn) if checked.products else {}
    new = {p["sku"]: p for p in checked.products}
    added = [{"sku": s, "name": p["name"], "price": p["price"]} for s, p in new.items() if s not in old]
    # A rejected row's sku is not "removed": the file still lists it.
    rejected_skus = _rejected_skus(checked)
    removed = [{"sku": s, "name": p["name"], "price": p["price"]} for s, p in old.items()
               if s not in new and s not in rejected_skus]
    changes, suspicious_prices = [], []
    for sku, p in new.items():
        o = old.get(sku)
        if o is None:
            continue
        for f in WATCHED:
            a, b = o[f], p[f]
            if a == b or (f in MONEY_FIELDS and a is not None and b is not None and round(a, 2) == round(b, 2)):
                continue
            ch = {"sku": sku, "name": p["name"], "field": f, "label": FIELD_NAMES[f], "old": a, "new": b,
                  "text": f"{_show(f, a)} → {_show(f, b)}", "suspicious": False}
            if f in MONEY_FIELDS and a and b and abs(b - a) / a > kb_cfg.max_price_change:
                ch["suspicious"] = True
                ch["text"] += "?"
                suspicious_prices.append(ch)
            changes.append(ch)
    flags = []
    if suspicious_prices:
        n = len(suspicious_prices)
        flags.append(f"{n} {'preço muda' if n == 1 else 'preços mudam'} mais de {kb_cfg.max_price_change:.0%}"
                     f" (ex.: {suspicious_prices[0]['name']}: {suspicious_prices[0]['text']})")
    removed_fraction = len(removed) / len(old) if old else 0.0
    if old and removed_fraction > kb_cfg.max_removed_fraction:
        flags.append(f"{len(removed)} de {len(old)} produtos ({removed_fraction:.0%}) seriam removidos"
                     f" (limite {kb_cfg.max_removed_fraction:.0%})")
    rejected = [{"line": line, "reason": reason} for line, reason in checked.rejected]
    return {
        "refused": not checked.products, "needs_mapping": checked.needs_mapping,
        "columns": [{k: c[k] for k in ("index", "header", "field", "how")} for c in checked.columns],
        "examples": _examples(checked) if checked.needs_mapping else [],
        "file": checked.file.name, "format": checked.file.format, "encoding": checked.file.encoding,
        "delimiter": checked.file.delimiter, "described": checked.file.describe(),
        "sha256": checked.sha256, "base_version": knowledge.version(conn),
        "products": len(checked.products), "current_products": conn.execute(
            "SELECT COUNT(*) FROM kb_products").fetchone()[0],
        "added": added, "removed": removed, "changes": changes, "rejected": rejected,
        "counts": {"added": len(added), "removed": len(removed), "changes": len(changes),
                   "price_changes": sum(1 for c in changes if c["field"] == "price"),
                   "promotion_changes": sum(1 for c in changes if c["field"].startswith("promo")),
                   "wholesale_changes": sum(1 for c in changes if c["field"].startswith("wholesale")),
                   "rejected": len(rejected), "suspicious_prices": len(suspicious_prices)},
        "flags": flags, "suspicious": bool(flags), "applicable": not rejected and bool(checked.products),
        "unchanged": not (added or removed or changes) and not rejected,
    }


def _examples(checked: knowledge.CheckedCatalog, rows: int = 20, each: int = 2) -> list[list[str]]:
    """For the mapping step: a couple of the first values of each column (shortened)."""
    out = []
    for i in range(len(checked.file.header)):
        seen: list[str] = []
        for _line, cells in checked.file.rows[:rows]:
            v = cells[i].strip() if i < len(cells) else ""
            if v and v not in seen:
                seen.append(v if len(v) <= 28 else v[:27] + "…")
            if len(seen) == each:
                break
        out.append(seen)
    return out


def _rejected_skus(checked: knowledge.CheckedCatalog) -> set[str]:
    """The skus on rejected lines (the file meant to keep them, even if a value is wrong)."""
    if not checked.rejected or "sku" not in checked.field_index:
        return set()
    lines = {line for line, _ in checked.rejected if line}
    i = checked.field_index["sku"]
    return {cells[i].strip() for line, cells in checked.file.rows if line in lines and len(cells) > i}


# -- staged previews (the web upload) -----------------------------------------------

def stage(conn, data: bytes, name: str, actor: str, cfg) -> dict:
    """Check and compare a file, keep it under a new token; return the preview with its token."""
    checked = knowledge.check_catalog(data, name, cfg.bot.store_timezone, remembered(conn))
    result = preview(conn, checked, cfg.kb)
    token = secrets.token_urlsafe(18)
    summary = {k: result[k] for k in ("file", "described", "products", "counts", "flags", "suspicious")}
    with db.transaction(conn):
        conn.execute("DELETE FROM kb_previews WHERE created_at < ?", (clock.now() - PREVIEW_TTL_SECONDS,))
        conn.execute("INSERT INTO kb_previews (token, created_at, actor, file_name, data, sha256, base_version,"
                     " suspicious, applicable, summary) VALUES (?,?,?,?,?,?,?,?,?,?)",
                     (token, clock.now(), actor, name, data, checked.sha256, result["base_version"],
                      int(result["suspicious"]), int(result["applicable"]), json.dumps(summary, ensure_ascii=False)))
    result["token"] = token
    result["expires_in"] = PREVIEW_TTL_SECONDS
    return result


def apply(conn, token: str, actor: str, cfg, confirm_suspicious: bool = False) -> dict:
    """Put the staged file named by ``token`` in force, exactly as previewed, or raise CatalogError."""
    row = conn.execute("SELECT * FROM kb_previews WHERE token=?", (str(token or ""),)).fetchone()
    if row is None or row["created_at"] < clock.now() - PREVIEW_TTL_SECONDS:
        raise CatalogError("Prévia não encontrada ou expirada: envie o arquivo de novo.", 404)
    if not row["applicable"]:
        raise CatalogError("Esta prévia tem linhas recusadas: corrija o arquivo e envie de novo. Nada foi alterado.",
                           422)
    if row["suspicious"] and not confirm_suspicious:
        raise CatalogError("Esta prévia tem mudanças suspeitas: confirme de novo (confirm_suspicious) para aplicar.",
                           409)
    data = row["data"]
    if hashlib.sha256(data).hexdigest() != row["sha256"]:       # never apply other bytes than those shown
        raise CatalogError("A prévia guardada está corrompida: envie o arquivo de novo.", 500)
    checked = knowledge.check_catalog(data, row["file_name"], cfg.bot.store_timezone, remembered(conn))
    result = preview(conn, checked, cfg.kb)
    if not checked.rejected:
        checked.prepare()
    try:
        with db.transaction(conn, durable=True):     # the page says "done": it must survive a power cut
            change = knowledge.write_catalog(
                conn, checked, actor=actor, action="upload", sources_dir=cfg.kb_sources_dir,
                catalog_file=row["file_name"], summary=_audit(result, confirm_suspicious),
                expect_version=row["base_version"])
            conn.execute("DELETE FROM kb_previews WHERE token=?", (token,))
    except knowledge.StaleCatalog:
        raise CatalogError("O catálogo mudou desde esta prévia: envie o arquivo de novo.", 409) from None
    except knowledge.KBImportError as exc:
        raise CatalogError("; ".join(exc.errors[:5]), 422) from None
    knowledge.keep_current(cfg.kb_sources_dir, checked)
    return {"version": change["version"], "products": len(checked.products), "counts": result["counts"],
            "file": row["file_name"], "actor": actor}


def staged(conn, token: str) -> tuple[bytes, str] | None:
    """The bytes and name of a live staged preview, or None."""
    row = conn.execute("SELECT file_name, data, created_at FROM kb_previews WHERE token=?",
                       (str(token or ""),)).fetchone()
    if row is None or row["created_at"] < clock.now() - PREVIEW_TTL_SECONDS:
        return None
    return row["data"], row["file_name"]


def map_columns(conn, token: str, chosen: dict[int, str], actor: str, cfg) -> dict:
    """The mapping step: ``chosen`` says which field each column (by position) of the staged
    file holds ("" to ignore it). Remember those names, then preview the same file again."""
    found = staged(conn, token)
    if found is None:
        raise CatalogError("Prévia não encontrada ou expirada: envie o arquivo de novo.", 404)
    data, name = found
    header = catalog_file.read(data, name).header
    fields = {}
    for i, h in enumerate(header):
        f = chosen.get(i, "")
        if f not in catalog_file.FIELDS and f != catalog_file.IGNORE:
            raise CatalogError(f"Coluna {h!r}: campo desconhecido.", 400)
        fields[i] = f
    picked = [f for f in fields.values() if f]
    if len(set(picked)) != len(picked):
        twice = sorted({catalog_file.LABELS[f] for f in picked if picked.count(f) > 1})
        raise CatalogError(f"Cada campo só pode vir de uma coluna: {', '.join(twice)} foi escolhido mais de uma"
                           " vez.", 400)
    lacking = [catalog_file.LABELS[f] for f in catalog_file.REQUIRED_FIELDS if f not in picked]
    if lacking:
        raise CatalogError(f"Falta dizer qual coluna é {', '.join(lacking)}.", 400)
    # Remember what staff said where it differs from what the page proposed, and every unknown name.
    proposed = catalog_file.fields(header, remembered(conn))
    remember_columns(conn, {c["key"]: fields[c["index"]] for c in proposed
                            if c["key"] and (c["how"] == "unknown" or fields[c["index"]] != (c["field"] or ""))},
                     actor)
    with db.transaction(conn):
        conn.execute("DELETE FROM kb_previews WHERE token=?", (token,))
    return stage(conn, data, name, actor, cfg)


def remembered(conn) -> dict[str, str]:
    """Header names staff taught: header_key -> field ("" to ignore)."""
    return {r["header"]: r["field"] for r in conn.execute("SELECT header, field FROM kb_column_names")}


def remember_columns(conn, names: dict[str, str], actor: str) -> None:
    """Keep what each header name means (header_key -> field, "" to ignore), for every later
    upload and sync."""
    now = clock.now()
    with db.transaction(conn):
        for key, f in names.items():
            conn.execute("INSERT INTO kb_column_names (header, field, updated_at, updated_by) VALUES (?,?,?,?)"
                         " ON CONFLICT(header) DO UPDATE SET field=excluded.field, updated_at=excluded.updated_at,"
                         " updated_by=excluded.updated_by", (key, f, now, actor))


def sample_csv() -> bytes:
    """The sample spreadsheet staff download: the names the import knows, two products,
    as Excel in pt-BR writes a CSV (';', decimal commas, Windows-1252)."""
    rows = [["Código", "Descrição", "Marca", "Seção", "Unidade", "Preço", "Preço Promoção", "Preço Atacado",
             "Qtd Atacado", "Apelidos", "Início Promoção", "Fim Promoção"],
            ["7891000100103", "Arroz Tipo 1 5kg", "Tio João", "Mercearia", "pacote", "27,90", "24,90", "25,90",
             "10", "arroz branco|arroz 5 quilos", "01/12/2026", "07/12/2026"],
            ["7894900011517", "Refrigerante Cola 2L", "Coca-Cola", "Bebidas", "garrafa", "9,49", "", "8,49",
             "6", "coca|coca-cola", "", ""],
            ["2000001", "Banana Prata", "", "Hortifruti", "kg", "5,98", "", "", "", "banana", "", ""]]
    return ("\r\n".join(";".join(r) for r in rows) + "\r\n").encode("cp1252")


def _audit(result: dict, confirmed: bool) -> dict:
    """What the audit keeps of a change: counts, flags and the changes themselves (bounded)."""
    cap = 500
    return {"counts": result["counts"], "flags": result["flags"], "confirmed_suspicious": confirmed,
            "added": [a["sku"] for a in result["added"][:cap]],
            "removed": [r["sku"] for r in result["removed"][:cap]],
            "changes": [{"sku": c["sku"], "field": c["field"], "old": c["old"], "new": c["new"]}
                        for c in result["changes"][:cap]],
            "truncated": any(len(result[k]) > cap for k in ("added", "removed", "changes")),
            "file_format": result["described"]}


def rollback(conn, actor: str, cfg) -> dict:
    try:
        return knowledge.rollback(conn, cfg.kb_sources_dir, actor, cfg.bot.store_timezone)
    except knowledge.KBImportError as exc:
        raise CatalogError("; ".join(exc.errors[:5]), 409) from None


# -- the ERP sync (chatbot-sync-catalog) ----------------------------------------------

def sync(conn, cfg, dry_run: bool = False) -> dict:
    """Import [kb] catalog_path when its content changed and nothing looks wrong.

    Returns ``outcome``: ``off`` (no path configured), ``unchanged``,
    ``imported``, ``rejected`` or ``suspicious`` (the last two keep the
    catalog in force), ``dry-run``; plus the preview when there is one.
    """
    path = cfg.kb.catalog_path
    if not path:
        return {"outcome": "off", "message": "no [kb] catalog_path configured: nothing to sync"}
    with open(path, "rb") as fh:       # OSError: the job's one line says what is wrong with the path
        data = fh.read()
    sha = hashlib.sha256(data).hexdigest()
    last = conn.execute("SELECT * FROM kb_sync WHERE id=1").fetchone()
    in_force = conn.execute("SELECT catalog_sha256 FROM kb_meta WHERE id=1").fetchone()
    if not dry_run and last is not None and last["sha256"] == sha and last["path"] == str(path):
        # Seen before: repeat the verdict (a rejected file stays reported until it changes).
        outcome = last["outcome"] if last["outcome"] in ("rejected", "suspicious") else "unchanged"
        message = (last["message"] if outcome != "unchanged"
                   else f"{Path(path).name} unchanged since {formats.utc(last['checked_at'])}")
        return {"outcome": outcome, "message": message, "sha256": sha, "repeat": True}
    if not dry_run and in_force is not None and in_force["catalog_sha256"] == sha:
        _remember(conn, path, sha, "unchanged", "the catalog in force is this file")
        return {"outcome": "unchanged", "message": f"{Path(path).name} is the catalog in force", "sha256": sha}
    checked = knowledge.check_catalog(data, Path(path).name, cfg.bot.store_timezone, remembered(conn))
    result = preview(conn, checked, cfg.kb)
    name = Path(path).name
    if dry_run:
        return {"outcome": "dry-run", "message": _line(name, result), "preview": result, "sha256": sha}
    if result["rejected"] or result["suspicious"] or not result["applicable"]:
        outcome = "rejected" if result["rejected"] or not result["applicable"] else "suspicious"
        message = f"{_line(name, result)}; the catalog in force is kept"
        if checked.needs_mapping:
            message += ("; upload the file once on /admin/catalog to say which field each column holds"
                        " (later syncs remember it)")
        _remember(conn, path, sha, outcome, message)
        return {"outcome": outcome, "message": message, "preview": result, "sha256": sha}
    checked.prepare()
    with db.transaction(conn, durable=True):
        change = knowledge.write_catalog(conn, checked, actor="sync", action="sync",
                                         sources_dir=cfg.kb_sources_dir, catalog_file=str(path),
                                         summary=_audit(result, False))
        _remember(conn, path, sha, "imported", None, in_transaction=True)
    knowledge.keep_current(cfg.kb_sources_dir, checked)
    return {"outcome": "imported", "message": f"imported {name}: {_line(name, result, counts_only=True)};"
            f" knowledge base version {change['version']}", "preview": result, "sha256": sha,
            "version": change["version"]}


def _line(name: str, r: dict, counts_only: bool = False) -> str:
    c = r["counts"]
    text = (f"{r['products']} products ({r['described']}): {c['added']} new, {c['removed']} removed,"
            f" {c['price_changes']} price, {c['promotion_changes']} promotion, {c['wholesale_changes']}"
            f" wholesale change(s)")
    if counts_only:
        return text
    if r["rejected"]:
        first = r["rejected"][0]
        where = f"line {first['line']}: " if first["line"] else ""
        text = (f"{name}: {len(r['rejected'])} row(s) rejected (first: {where}{first['reason']})")
    elif r["flags"]:
        text = f"{name}: {text}; flagged: " + "; ".join(r["flags"])
    else:
        text = f"{name}: {text}"
    return text


def _remember(conn, path, sha: str, outcome: str, message: str | None, in_transaction: bool = False) -> None:
    sql = ("INSERT INTO kb_sync (id, path, sha256, checked_at, outcome, message) VALUES (1,?,?,?,?,?)"
           " ON CONFLICT(id) DO UPDATE SET path=excluded.path, sha256=excluded.sha256,"
           " checked_at=excluded.checked_at, outcome=excluded.outcome, message=excluded.message")
    args = (str(path), sha, clock.now(), outcome, message)
    if in_transaction:
        conn.execute(sql, args)
        return
    with db.transaction(conn):
        conn.execute(sql, args)
