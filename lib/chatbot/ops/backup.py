"""Backups: a consistent online copy of the database, the config and the
knowledge-base sources in one ``.tar.gz`` with a manifest; their retention.

The database is copied with SQLite's online backup API from a separate
read connection, in one step, while the web service and the worker keep
writing: the copy is the database as of one instant, WAL content included
(a plain file copy can miss committed rows that still sit in ``-wal``). The
copy must pass ``PRAGMA integrity_check`` before the archive gets its final
name; a failed run (disk full, anything) removes its partial files and
never touches older backups.

Archive layout::

    manifest.json            version, times, host, row counts, size + SHA-256 of every file
    db/chatbot.db
    config/chatbot.toml      the config file in force (secrets live in the environment, not here)
    kb/...                   knowledge-base sources

Names carry the UTC time: ``chatbot-backup-20250301T050000Z.tar.gz``
(``-pre-restore`` for the safety copy a restore takes). Restore lives in
``ops/restore.py``.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import socket
import sqlite3
import tarfile
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from .. import __version__, clock, db, files

FORMAT = 1
MANIFEST = "manifest.json"
NAME_RE = re.compile(r"^chatbot-backup-(\d{8}T\d{6}Z)(?:-([a-z0-9-]+))?\.tar\.gz$")


class BackupError(Exception):
    """An expected backup/restore failure, as one line for the operator."""


def utc_stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def parse_stamp(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fsync_path(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(backup_dir: Path):
    """One backup or restore at a time (the timer's run and a manual one)."""
    backup_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # O_NOFOLLOW: the directory is the service user's; root must not open a planted link.
    fd = os.open(backup_dir / ".lock", os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(f"another backup or restore is running (lock {backup_dir / '.lock'})") from None
        yield


# -- taking a backup -----------------------------------------------------------
def snapshot(db_path: Path, dest: Path) -> dict:
    """Copy the live database to ``dest`` and check the copy; return its facts."""
    if not db_path.exists():
        raise BackupError(f"no database at {db_path}")
    src = db.connect(db_path, migrate_schema=False)
    try:
        dst = sqlite3.connect(str(dest), isolation_level=None)
        try:
            began = clock.now()
            # pages=-1: one step under one read snapshot, so writers that
            # commit meanwhile neither restart the copy nor tear it.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")
            check = [r[0] for r in dst.execute("PRAGMA integrity_check").fetchall()]
            if check != ["ok"]:
                raise BackupError(f"the copy failed integrity_check: {'; '.join(check[:3])}")
            tables = {}
            for (name,) in dst.execute("SELECT name FROM sqlite_master WHERE type='table'"
                                       " AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall():
                tables[name] = dst.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            migrations = [r[0] for r in dst.execute("SELECT name FROM schema_migrations ORDER BY name")]
        finally:
            dst.close()
    finally:
        src.close()
    return {"snapshot_began_at": began, "tables": tables, "migrations": migrations}


def _gather(cfg, work: Path) -> list[tuple[str, Path]]:
    """Copy config and KB sources into the work dir, so hashes match what is archived."""
    files = []
    if cfg.path and os.path.isfile(cfg.path):
        dest = work / "config" / os.path.basename(cfg.path)
        dest.parent.mkdir(exist_ok=True)
        shutil.copyfile(cfg.path, dest)
        files.append((f"config/{dest.name}", dest))
    kb = cfg.kb_sources_dir
    if kb.is_dir():
        for src in sorted(kb.rglob("*")):
            if src.is_file() and not src.is_symlink():
                rel = src.relative_to(kb).as_posix()
                dest = work / "kb" / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest)
                files.append((f"kb/{rel}", dest))
    if cfg.backup.include_media and cfg.media_dir.is_dir():
        # Named by their SHA-256 and never rewritten: archived in place, not copied first.
        for src in sorted(cfg.media_dir.iterdir()):
            if src.is_file() and not src.is_symlink() and not src.name.startswith("."):
                files.append((f"media/{src.name}", src))
    return files


def _write_archive(raw, manifest: dict, files: list[tuple[str, Path]]) -> None:
    """Write the archive into ``raw`` (a new file's binary handle, closed here)."""
    data = json.dumps(manifest, indent=2, sort_keys=True).encode()

    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mode = 0o600
        return info
    with raw:
        # compresslevel 6 (gzip's default): level 9 costs about twice the time for ~3% less size.
        with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as tar:
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(manifest["created_ts"]), 0o600
            import io
            tar.addfile(info, io.BytesIO(data))
            for arcname, path in files:
                tar.add(str(path), arcname=arcname, recursive=False, filter=clean)
        raw.flush()
        os.fsync(raw.fileno())


def run_backup(cfg, *, label: str = "", prune: bool = True, _lock: bool = True) -> dict:
    """Take one backup; return its summary (path, size, sha256, tables, duration, kept/deleted)."""
    t0 = time.monotonic()
    backup_dir = cfg.backup_dir
    old_umask = os.umask(0o077)
    try:
        with locked(backup_dir) if _lock else contextlib.nullcontext():
            created = clock.now()
            suffix = f"-{label}" if label else ""
            final = backup_dir / f"chatbot-backup-{utc_stamp(created)}{suffix}.tar.gz"
            n = 1
            while final.exists():
                n += 1
                final = backup_dir / f"chatbot-backup-{utc_stamp(created)}{suffix}-{n}.tar.gz"
            raw, partial = files.temp_beside(final, suffix=".partial")
            work = Path(tempfile.mkdtemp(prefix=".work-", dir=backup_dir))
            try:
                facts = snapshot(cfg.db_path, work / "chatbot.db")
                members = [("db/chatbot.db", work / "chatbot.db"), *_gather(cfg, work)]
                manifest = {
                    "format": FORMAT, "app": "atacarejo-chatbot", "version": __version__,
                    "created_ts": created, "created_at": datetime.fromtimestamp(created, timezone.utc).isoformat(),
                    "host": socket.gethostname(), "label": label, "sqlite_version": sqlite3.sqlite_version,
                    "integrity_check": "ok", **facts,
                    "files": [{"path": a, "size": p.stat().st_size, "sha256": sha256_file(p)} for a, p in members],
                }
                _write_archive(raw, manifest, members)
                os.replace(partial, final)
                fsync_path(backup_dir, directory=True)
            except BaseException as exc:
                raw.close()
                with contextlib.suppress(OSError):
                    partial.unlink()
                if isinstance(exc, (OSError, sqlite3.Error)) and db.is_disk_full(exc):
                    raise BackupError(f"disk is full while writing the backup in {backup_dir};"
                                      " no backup was made and older backups were kept") from None
                if isinstance(exc, sqlite3.Error):
                    raise BackupError(f"cannot copy the database: {db.describe_error(exc)}") from None
                raise
            finally:
                shutil.rmtree(work, ignore_errors=True)
            size, digest = final.stat().st_size, sha256_file(final)
            duration = time.monotonic() - t0
            conn = db.connect(cfg.db_path)
            try:
                with db.transaction(conn):
                    conn.execute("INSERT INTO backups (created_at, path, size, sha256, duration_s, label, tables)"
                                 " VALUES (?,?,?,?,?,?,?)", (created, str(final), size, digest, duration, label,
                                                             json.dumps(facts["tables"])))
                kept, deleted = apply_retention(cfg, conn) if prune else ([], [])
            finally:
                conn.close()
    finally:
        os.umask(old_umask)
    return {"path": str(final), "size": size, "sha256": digest, "created_at": created,
            "tables": facts["tables"], "files": len(manifest["files"]),
            "duration": round(time.monotonic() - t0, 3), "kept": kept, "deleted": deleted}


def last_backup(conn: sqlite3.Connection) -> dict | None:
    row = conn.execute("SELECT id, created_at, path, size, sha256, duration_s, label, tables FROM backups"
                       " WHERE deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1").fetchone()
    if row is None:
        return None
    out = dict(row)
    out["tables"] = json.loads(out["tables"] or "{}")
    return out


# -- retention ---------------------------------------------------------------------
def list_archives(backup_dir: Path, known: dict[str, int] | None = None) -> list[dict]:
    """Complete archives in the backup dir, newest first.

    Only a checked archive gets its final name, so every match is good
    unless the database recorded a different size for it (damaged since).
    """
    known = known or {}
    out = []
    if not backup_dir.is_dir():
        return out
    for p in backup_dir.iterdir():
        m = NAME_RE.match(p.name)
        if not m or not p.is_file():
            continue
        st = p.stat()
        good = st.st_size > 0 and known.get(str(p), st.st_size) == st.st_size
        out.append({"path": str(p), "name": p.name, "created_at": parse_stamp(m.group(1)),
                    "mtime": st.st_mtime, "mtime_ns": st.st_mtime_ns, "label": m.group(2) or "",
                    "size": st.st_size, "good": good})
    out.sort(key=_age_key, reverse=True)
    return out


def _age_key(a: dict) -> tuple:
    # Names have one-second resolution: two backups in the same second are
    # told apart by the file's mtime, not by the name's suffix.
    return a["created_at"], a.get("mtime", 0.0), a["name"]


def plan_retention(archives: list[dict], now: float, keep_count: int, keep_days: float) -> tuple[list, list]:
    """Split archives into (keep, delete).

    Kept: the newest ``keep_count`` good archives whatever their age (so a
    machine that was off for weeks still has them), and every good archive
    younger than ``keep_days``. The newest good one is therefore always
    kept. Damaged archives go once a good one exists; with no good archive
    at all nothing is deleted.
    """
    ordered = sorted(archives, key=_age_key, reverse=True)
    good = [a for a in ordered if a["good"]]
    if not good:
        return ordered, []
    keep_names = {a["name"] for a in good[:max(keep_count, 1)]}
    keep_names.update(a["name"] for a in good if now - a["created_at"] <= keep_days * 86400)
    keep = [a for a in ordered if a["name"] in keep_names]
    delete = [a for a in ordered if a["name"] not in keep_names]
    return keep, delete


def apply_retention(cfg, conn: sqlite3.Connection) -> tuple[list[str], list[str]]:
    known = {r["path"]: r["size"] for r in conn.execute("SELECT path, size FROM backups WHERE deleted_at IS NULL")}
    keep, delete = plan_retention(list_archives(cfg.backup_dir, known), clock.now(),
                                  cfg.backup.keep_count, cfg.backup.keep_days)
    deleted = []
    for a in delete:
        try:
            os.unlink(a["path"])
        except FileNotFoundError:
            pass
        deleted.append(a["name"])
    if deleted:
        with db.transaction(conn):
            conn.executemany("UPDATE backups SET deleted_at=? WHERE path=?",
                             [(clock.now(), a["path"]) for a in delete])
    # Work dirs and partial files left by a crashed run (a running one holds the lock).
    for p in cfg.backup_dir.glob(".*"):
        if (p.name.startswith(".work-") or p.name.endswith(".partial")) and \
                clock.now() - p.stat().st_mtime > 86400:
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
    return [a["name"] for a in keep], deleted


# -- listing -------------------------------------------------------------------------
# (path, size, mtime_ns) -> SHA-256 of the file: the dashboard refreshes every
# 30 s and must not re-read unchanged archives each time.
_digests: dict[tuple, str] = {}
_digests_lock = threading.Lock()
LIST_DIGEST_CACHE = 256


def _digest(path: str, size: int, mtime_ns: int) -> str:
    key = (path, size, mtime_ns)
    with _digests_lock:
        if key in _digests:
            return _digests[key]
    digest = sha256_file(Path(path))
    with _digests_lock:
        if len(_digests) >= LIST_DIGEST_CACHE:
            _digests.clear()
        _digests[key] = digest
    return digest


def _records(conn: sqlite3.Connection | None) -> dict[str, dict]:
    if conn is None:
        return {}
    rows = conn.execute("SELECT path, size, sha256 FROM backups WHERE deleted_at IS NULL")
    return {r["path"]: {"size": r["size"], "sha256": r["sha256"]} for r in rows}


def verify(archive: dict, record: dict | None) -> tuple[bool | None, str]:
    """Is the archive still the file that was checked and recorded when it was written?

    (True, why) when its SHA-256 matches the record, (False, why) when size
    or SHA-256 differ, (None, why) when this database has no record of it
    (copied in, or a safety backup taken before a restore). For the deeper
    check (every file's checksum, the database's integrity) use
    ``chatbot-restore --dry-run``.
    """
    if record is None:
        return None, "no record in this database (not verified)"
    if record["size"] != archive["size"]:
        return False, f"size {archive['size']} differs from the {record['size']} recorded when written"
    try:
        digest = _digest(archive["path"], archive["size"], archive["mtime_ns"])
    except OSError as exc:
        return False, f"cannot read it: {exc.strerror or exc}"
    if digest != record["sha256"]:
        return False, "SHA-256 differs from the one recorded when written"
    return True, "SHA-256 matches the one recorded when written"


def next_to_delete(archives: list[dict], keep: list[dict], delete: list[dict],
                   keep_count: int, keep_days: float) -> dict | None:
    """Which archive retention deletes next, and when.

    Anything in ``delete`` goes at the next retention run (after the next
    backup, or the weekly cleanup): the oldest of them is named. Otherwise
    the oldest kept archive is next, once it is older than ``keep_days``
    *and* ``keep_count`` newer good archives exist.
    """
    if delete:
        a = delete[-1]
        return {"name": a["name"], "at_next_run": True, "not_before": None, "newer_backups_needed": 0}
    good = [a for a in archives if a["good"]]
    if len(keep) < 2 or not good:
        return None         # the only archive is the newest good one: never deleted
    a = keep[-1]
    newer = sum(1 for g in good if g is not a and _age_key(g) > _age_key(a))
    return {"name": a["name"], "at_next_run": False, "not_before": a["created_at"] + keep_days * 86400,
            "newer_backups_needed": max(0, keep_count - newer)}


def list_backups(cfg, conn: sqlite3.Connection | None = None, now: float | None = None,
                 limit: int | None = None, check: bool = True) -> dict:
    """The archives in the backup dir, newest first: time, size, whether they
    verified, what retention keeps, and which one it deletes next.

    ``conn`` (optional) gives the records written with each backup; without
    them (no database, or one that cannot be read: ``records_error``)
    nothing can be verified, but every archive is still listed. ``limit`` shortens the list (``next_to_delete``
    still looks at all of them); ``check=False`` skips reading the archives.
    """
    now = clock.now() if now is None else now
    try:
        records, records_error = _records(conn), None
    except sqlite3.Error as exc:        # a damaged database is when the list matters most
        records, records_error = {}, db.describe_error(exc)
    archives = list_archives(cfg.backup_dir, {p: r["size"] for p, r in records.items()})
    keep, delete = plan_retention(archives, now, cfg.backup.keep_count, cfg.backup.keep_days)
    doomed = {a["name"] for a in delete}
    nxt = next_to_delete(archives, keep, delete, cfg.backup.keep_count, cfg.backup.keep_days)
    out = []
    for a in archives[:limit] if limit is not None else archives:
        ok, why = verify(a, records.get(a["path"])) if check else (None, "not checked")
        out.append({"name": a["name"], "path": a["path"], "created_at": a["created_at"],
                    "created_utc": datetime.fromtimestamp(a["created_at"], timezone.utc).isoformat(),
                    "label": a["label"], "size": a["size"], "verified": ok, "check": why,
                    "retention": "delete at next run" if a["name"] in doomed else "keep",
                    "next_to_delete": bool(nxt and nxt["name"] == a["name"])})
    return {"backup_dir": str(cfg.backup_dir), "keep_count": cfg.backup.keep_count,
            "keep_days": cfg.backup.keep_days, "count": len(archives),
            "total_size": sum(a["size"] for a in archives), "archives": out, "next_to_delete": nxt,
            "records_error": records_error}
