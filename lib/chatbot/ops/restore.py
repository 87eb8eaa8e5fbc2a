"""Restore a backup archive: verify everything first, keep a safety copy,
put the database in place atomically with the services stopped.

Order of work, each step refusing before anything is changed:

1. read the archive member by member: only regular files under
   ``manifest.json``, ``db/``, ``config/``, ``kb/``, ``media/``; no absolute paths, no
   ``..``, no links or devices (a crafted archive must not write outside
   its place); every file's size and SHA-256 must match the manifest, and
   nothing may be missing or extra; sizes are checked against the manifest
   and the free space before anything is unpacked (a decompression bomb is
   refused before it writes a byte), and a dry run writes only the database,
   to the temporary directory, never under the live state;
2. the database in it must pass ``PRAGMA integrity_check`` and must not
   come from a newer schema than this version knows;
3. no writer may be running: a fresh worker heartbeat or a process holding
   the database open refuses the restore (``--force`` overrides);
4. a safety backup of the current state (``-pre-restore``);
5. the new database is written beside the old one, fsynced, the stale
   ``-wal``/``-shm`` removed, and renamed over it; the KB sources are
   swapped in, the old ones kept aside. The archived config file is written
   to ``<state_dir>/config-from-backup-<time>.toml`` for the operator to
   compare: the live one is root's, in /etc/chatbot.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from pathlib import Path, PurePosixPath

from .. import clock, db, events, files
from .backup import MANIFEST, BackupError, fsync_path, locked, run_backup, utc_stamp

ROOTS = ("db", "config", "kb", "media")


def _safe_name(name: str) -> bool:
    p = PurePosixPath(name)
    if p.is_absolute() or "\\" in name or not p.parts or any(part in ("..", "") for part in p.parts):
        return False
    return name == MANIFEST or (len(p.parts) >= 2 and p.parts[0] in ROOTS)


MAX_MANIFEST_BYTES = 1 << 20
# A restore or a dry run must leave this much free (at most 5% of a small
# filesystem) where it unpacks: it never fills the disk the database lives on.
RESERVE_BYTES = 64 << 20
_HEX = frozenset("0123456789abcdef")


def _manifest_files(manifest, archive: Path) -> dict[str, dict]:
    """The manifest's file list by path, or one clear refusal if it has the wrong shape."""
    def wrong(what: str) -> BackupError:
        return BackupError(f"{archive}: {MANIFEST} has the wrong shape ({what}): not a chatbot backup")
    if not isinstance(manifest, dict):
        raise wrong(f"a JSON {type(manifest).__name__}, not an object")
    entries = manifest.get("files")
    if not isinstance(entries, list):
        raise wrong("no files[] list")
    listed = {}
    for f in entries:
        if not (isinstance(f, dict) and isinstance(f.get("path"), str) and _safe_name(f["path"])
                and f["path"] != MANIFEST and type(f.get("size")) is int and f["size"] >= 0
                and isinstance(f.get("sha256"), str) and len(f["sha256"]) == 64 and set(f["sha256"]) <= _HEX):
            raise wrong(f"bad file entry {str(f)[:80]!r}")
        if f["path"] in listed:
            raise wrong(f"{f['path']} listed twice")
        listed[f["path"]] = f
    return listed


def _check_room(folder: Path, needed: int, archive: Path) -> None:
    usage = shutil.disk_usage(folder)
    reserve = min(RESERVE_BYTES, usage.total // 20)
    if needed + reserve > usage.free:
        raise BackupError(f"{archive}: unpacking it needs {needed / 1e6:.1f} MB and {folder} has"
                          f" {usage.free / 1e6:.1f} MB free (keeping {reserve / 1e6:.1f} MB spare); refusing")


def _check_member(m: tarfile.TarInfo, listed: dict[str, dict], archive: Path) -> None:
    want = listed.get(m.name)
    if want is None:
        raise BackupError(f"{archive}: {m.name} is not in the manifest")
    if m.size != want["size"]:
        raise BackupError(f"{archive}: {m.name} is {m.size:,} bytes in the archive but"
                          f" {want['size']:,} in the manifest: the archive is damaged")


def _stream(tar: tarfile.TarFile, m: tarfile.TarInfo, want: dict, out, archive: Path) -> None:
    """Hash one member (and write it to ``out``), never past its declared size."""
    h, size = hashlib.sha256(), 0
    with tar.extractfile(m) as src:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            size += len(chunk)
            if size > want["size"]:
                break
            h.update(chunk)
            if out is not None:
                out.write(chunk)
    if size != want["size"] or h.hexdigest() != want["sha256"]:
        raise BackupError(f"{archive}: checksum mismatch for {m.name}: the archive is damaged")


def verify_archive(archive: Path, work: Path, *, write: bool = True) -> dict:
    """Check the archive fully and extract it into ``work``; return the manifest.

    Nothing is unpacked before every member's size in its tar header matched
    the manifest, every member's SHA-256 was checked by streaming it without
    writing (each stream stops at the member's declared size), and the total
    fits ``work``'s filesystem with room to spare: a small archive that
    inflates to gigabytes (a decompression bomb) is refused before it writes
    a byte, and one whose sizes lie, before it is even inflated.
    With ``write=False`` (a dry run) only the database is written (``PRAGMA
    integrity_check`` needs a file); everything else is only hashed.
    """
    if not archive.is_file():
        raise BackupError(f"{archive}: no such archive")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            # One pass, header by header (our archives start with the manifest):
            # a member that does not match the manifest is refused at its header,
            # before anything is inflated past it; one that does is hashed as it
            # streams by. Nothing is written before every checksum matched.
            members: list[tarfile.TarInfo] = []
            names: set[str] = set()
            hashed: set[str] = set()
            listed: dict[str, dict] | None = None
            for m in tar:
                if not _safe_name(m.name):
                    raise BackupError(f"{archive}: refusing an archive with an unsafe path: {m.name!r}")
                if not (m.isfile() or m.isdir()):
                    raise BackupError(f"{archive}: refusing an archive with a link or device: {m.name!r}")
                members.append(m)
                if not m.isfile():
                    continue
                if m.name in names:
                    raise BackupError(f"{archive}: refusing an archive with duplicate entries")
                names.add(m.name)
                if m.name == MANIFEST:
                    if m.size > MAX_MANIFEST_BYTES:
                        raise BackupError(f"{archive}: {MANIFEST} is larger than {MAX_MANIFEST_BYTES >> 20} MB:"
                                          " not a chatbot backup")
                    manifest = json.loads(tar.extractfile(m).read())
                    listed = _manifest_files(manifest, archive)
                elif listed is not None:
                    _check_member(m, listed, archive)
                    _stream(tar, m, listed[m.name], None, archive)
                    hashed.add(m.name)
            if listed is None:
                raise BackupError(f"{archive}: not a chatbot backup (no {MANIFEST})")
            stored = [m for m in members if m.isfile() and m.name != MANIFEST]
            for m in stored:
                if m.name not in hashed:        # came before the manifest
                    _check_member(m, listed, archive)
                    _stream(tar, m, listed[m.name], None, archive)
            missing = set(listed) - names
            if missing:
                raise BackupError(f"{archive}: files listed in the manifest are missing: {sorted(missing)}")
            needed = [m for m in stored if write or m.name == "db/chatbot.db"]
            _check_room(work, sum(m.size for m in needed), archive)
            for m in needed:
                dest = work / m.name
                dest.parent.mkdir(parents=True, exist_ok=True)
                with open(dest, "wb") as out:
                    _stream(tar, m, listed[m.name], out, archive)
    except BackupError:
        raise
    except (tarfile.TarError, OSError, EOFError, zlib.error, ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, OSError) and db.is_disk_full(exc):
            raise BackupError(f"disk is full while unpacking {archive}") from None
        raise BackupError(f"{archive}: the archive is damaged or not a chatbot backup"
                          f" ({type(exc).__name__}: {str(exc)[:120]})") from None
    dbfile = work / "db" / "chatbot.db"
    if not dbfile.is_file():
        raise BackupError(f"{archive}: no database in the archive")
    try:
        conn = sqlite3.connect(f"file:{dbfile}?mode=ro", uri=True)
        try:
            check = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
            names = {r[0] for r in conn.execute("SELECT name FROM schema_migrations")}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{archive}: the database in the archive is unreadable: {exc}") from None
    if check != ["ok"]:
        raise BackupError(f"{archive}: the database in the archive failed integrity_check: {check[0]}")
    unknown = db.current_names(names) - {n for n, _ in db.migration_files()}
    if unknown:
        raise BackupError(f"{archive}: made by a newer version (unknown migrations {sorted(unknown)});"
                          " upgrade the chatbot first")
    return manifest


def active_writers(cfg) -> list[str]:
    """Who might still write to the database: fresh heartbeats, processes holding it open."""
    found = []
    if cfg.db_path.exists():
        with contextlib.suppress(sqlite3.Error):
            conn = sqlite3.connect(f"file:{cfg.db_path}?mode=ro", uri=True, timeout=2)
            try:
                fresh = events.heartbeat_late_after(cfg)
                for r in conn.execute("SELECT name, pid, ts FROM heartbeats WHERE ts > ?", (clock.now() - fresh,)):
                    found.append(f"chatbot-{r[0]} heartbeat {clock.now() - r[2]:.0f}s ago (pid {r[1]})")
            finally:
                conn.close()
    import psutil
    targets = {str(cfg.db_path.resolve()) + s for s in ("", "-wal")} if cfg.db_path.exists() else set()
    for proc in psutil.process_iter(["pid", "name"]):
        if proc.pid == os.getpid() or not targets:
            continue
        try:
            if any(f.path in targets for f in proc.open_files()):
                found.append(f"process {proc.pid} ({proc.info['name']}) has the database open")
        except (psutil.Error, OSError):
            continue   # another user's process: not ours to see
    return found


def _stage(src: Path, dest: Path, mode: int) -> Path:
    """Write ``src`` beside ``dest`` and fsync it; nothing is replaced yet."""
    return files.copy_beside(src, dest, mode=mode, suffix=".restoring")


def _swap(tmp: Path, dest: Path) -> None:
    """Rename over: the old or the new file, never half of one."""
    os.replace(tmp, dest)
    fsync_path(dest.parent, directory=True)


def _safety_copy(cfg, stamp: str) -> str | None:
    if not cfg.db_path.exists():
        return None
    try:
        return run_backup(cfg, label="pre-restore", prune=False, _lock=False)["path"]
    except BackupError:
        # The current database may be the damaged thing we are replacing: keep its raw files.
        raw = cfg.backup_dir / f"pre-restore-raw-{stamp}"
        raw.mkdir(parents=True, mode=0o700)
        for suffix in ("", "-wal", "-shm"):
            f = Path(str(cfg.db_path) + suffix)
            if f.exists():
                shutil.copy2(f, raw / f.name)
        return str(raw)


def restore(cfg, archive: str | os.PathLike, *, dry_run: bool = False, force: bool = False) -> dict:
    archive = Path(archive).resolve()
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    old_umask = os.umask(0o077)
    # A real restore unpacks beside the database (the rename into place must
    # not cross filesystems); a dry run writes only the database, to the
    # temporary directory, never under the live state.
    work = Path(tempfile.mkdtemp(prefix="chatbot-restore-check-") if dry_run
                else tempfile.mkdtemp(prefix=".restore-", dir=cfg.state_dir))
    replaced = False
    try:
        manifest = verify_archive(archive, work, write=not dry_run)
        paths = [f["path"] for f in manifest["files"]]
        has_kb = any(p.startswith("kb/") for p in paths)
        config_in = next((p for p in paths if p.startswith("config/")), None)
        writers = active_writers(cfg)
        tables = manifest.get("tables")
        plan = {"archive": str(archive), "created_at": manifest.get("created_at"),
                "version": manifest.get("version"), "tables": tables if isinstance(tables, dict) else {},
                "database": str(cfg.db_path), "kb_sources": str(cfg.kb_sources_dir) if has_kb else None,
                "config": None, "config_in_use": cfg.path,
                "writers": writers, "dry_run": dry_run}
        if dry_run:
            return plan
        if writers and not force:
            raise BackupError("the chatbot is still running (" + "; ".join(writers) + "): stop it first with"
                              " `sudo systemctl stop chatbot-web chatbot-worker 'chatbot-*.timer'`"
                              " (or pass --force)")
        with locked(cfg.backup_dir):
            stamp = utc_stamp(clock.now())
            plan["safety_backup"] = _safety_copy(cfg, stamp)
            staged = _stage(work / "db" / "chatbot.db", cfg.db_path, 0o640)
            # The old -wal/-shm belong to the old file (its WAL content is in the
            # safety backup); left beside the new file they would be replayed into it.
            for suffix in ("-wal", "-shm"):
                Path(str(cfg.db_path) + suffix).unlink(missing_ok=True)
            _swap(staged, cfg.db_path)
            replaced = True
            if has_kb:
                kb = cfg.kb_sources_dir
                if kb.exists():
                    os.replace(kb, kb.with_name(f"{kb.name}.pre-restore-{stamp}"))
                kb.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(work / "kb"), str(kb))
            if (work / "media").is_dir():
                # Files named by their SHA-256: put back the ones missing, keep the rest.
                cfg.media_dir.mkdir(mode=0o750, parents=True, exist_ok=True)
                for src in (work / "media").iterdir():
                    if not (cfg.media_dir / src.name).exists():
                        os.replace(src, cfg.media_dir / src.name)
            if config_in:
                # The config lives in root's /etc/chatbot and may hold newer settings:
                # put the archived one beside the state for the operator to compare.
                dest = cfg.state_dir / f"config-from-backup-{stamp}.toml"
                _swap(_stage(work / config_in, dest, 0o640), dest)
                plan["config"] = str(dest)
        # Bring an older backup's schema up to this version now, not in the first webhook.
        db.connect(cfg.db_path).close()
        return plan
    except OSError as exc:
        if db.is_disk_full(exc):
            done = "the database was already replaced" if replaced else "the current database was not replaced"
            raise BackupError(f"disk is full while restoring; {done}") from None
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
        os.umask(old_umask)
