"""Customers' photos, voice notes, videos, documents and stickers, and the
files staff attach to a reply: the ``media`` table and ``<state_dir>/media/``.

Fetched by the worker, never in the webhook request, in Meta's two steps
(``GET /{media-id}`` gives a URL that lives about 5 minutes; ``GET <url>``
with the token gives the bytes), within ``[media] max_bytes``. The file is
written to a temporary name beside its destination, fsync'd, then renamed
to its SHA-256: a worker killed mid-download leaves only a temporary file
(swept at the next start) and a row still ``pending``, fetched once after
the restart. What it is comes from its bytes (``sniff``), never from what
the sender said: an HTML page sent as an "image" is served as an opaque
download.

Row states: ``pending`` -> ``stored`` | ``failed`` (too large, refused, or
attempts used up, with the worker's retry rules) | ``expired`` (Meta keeps a
media id 7 days; the file was not fetched by then, or cleanup removed it).
Staff files are ``stored`` from the start and ``uploaded`` once Graph has
them (``graph_id``).
"""
from __future__ import annotations

import errno
import hashlib
import logging
import os
import random
import sqlite3
from pathlib import Path

from .. import clock, db, files, http
from . import message
from .graph_api import GraphError

log = logging.getLogger("chatbot.media")

EXPIRES_AFTER = 7 * 24 * 3600       # Meta keeps a media id about 7 days
PARTIAL = ".download."              # temporary names of downloads in progress
SERVED_INLINE = ("image/", "audio/", "video/")
STAFF_TYPES = {"image/jpeg": "image", "image/png": "image", "application/pdf": "document"}


class NotYet(Exception):
    """The file could not be fetched now; the message waits for a retry."""


# -- what the bytes are -----------------------------------------------------------------

def sniff(head: bytes) -> str:
    """The type the first bytes show; ``application/octet-stream`` when unknown
    (then it is only ever offered as a download)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head[:2] in (b"\xff\xf1", b"\xff\xf9"):
        return "audio/aac"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand.startswith(b"3gp"):
            return "video/3gpp"
        return "audio/mp4" if brand in (b"M4A ", b"M4B ") else "video/mp4"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        return "application/zip"
    return "application/octet-stream"


def inline(mime: str | None) -> bool:
    """Shown in the page (image, audio, video) rather than offered as a download."""
    return bool(mime) and mime.startswith(SERVED_INLINE)


def ogg_opus_seconds(path: Path) -> float | None:
    """A voice note's length, from its Ogg stream (last granule position less
    the Opus pre-skip, at 48 kHz); None when it is not Ogg Opus."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 65536))
            tail = fh.read()
    except OSError:
        return None
    at = head.find(b"OpusHead")
    last = tail.rfind(b"OggS")
    if not head.startswith(b"OggS") or at < 0 or last < 0 or len(tail) < last + 14:
        return None
    pre_skip = int.from_bytes(head[at + 10:at + 12], "little")
    granule = int.from_bytes(tail[last + 6:last + 14], "little")
    if granule >= 1 << 62:
        return None
    return max(0.0, (granule - pre_skip) / 48000)


# -- rows ------------------------------------------------------------------------------

def note(conn: sqlite3.Connection, msg) -> int | None:
    """The media row of an inbound message (made on first sight); None when the
    message carries no file."""
    if msg["msg_type"] not in message.MEDIA_TYPES:
        return None
    row = conn.execute("SELECT id FROM media WHERE inbox_id=?", (msg["id"],)).fetchone()
    if row is not None:
        return row[0]
    d = message.describe(msg["msg_type"], msg["payload"])
    m = d["media"]
    now = clock.now()
    state, error = ("pending", None) if m["id"] else ("failed", "the message carries no media id")
    with db.transaction(conn):
        conn.execute("INSERT OR IGNORE INTO media (inbox_id, kind, graph_id, declared_mime, voice, filename, caption,"
                     " state, error, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                     (msg["id"], msg["msg_type"], m["id"], m["mime"], int(m["voice"]), m["filename"],
                      d["caption"], state, error, msg["sent_at"] or msg["received_at"], now))
    return conn.execute("SELECT id FROM media WHERE inbox_id=?", (msg["id"],)).fetchone()[0]


def get(conn: sqlite3.Connection, media_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM media WHERE id=?", (media_id,)).fetchone()


def for_inbox(conn: sqlite3.Connection, inbox_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM media WHERE inbox_id=?", (inbox_id,)).fetchone()


def by_inbox(conn: sqlite3.Connection, inbox_ids: list[int]) -> dict[int, sqlite3.Row]:
    if not inbox_ids:
        return {}
    marks = ",".join("?" * len(inbox_ids))
    return {r["inbox_id"]: r for r in conn.execute(f"SELECT * FROM media WHERE inbox_id IN ({marks})", inbox_ids)}


def by_outbox(conn: sqlite3.Connection, outbox_ids: list[int]) -> dict[int, sqlite3.Row]:
    if not outbox_ids:
        return {}
    marks = ",".join("?" * len(outbox_ids))
    return {r["outbox_id"]: r for r in conn.execute(f"SELECT * FROM media WHERE outbox_id IN ({marks})",
                                                     outbox_ids)}


def path_of(media_dir: Path, row) -> Path | None:
    """The file of a stored row, or None."""
    if row is None or not row["sha256"] or row["state"] not in ("stored", "uploaded"):
        return None
    return Path(media_dir) / row["sha256"]


def set_transcript(conn: sqlite3.Connection, media_id: int, transcript: str | None, error: str | None) -> None:
    with db.transaction(conn):
        conn.execute("UPDATE media SET transcript=?, transcript_error=?, updated_at=? WHERE id=?",
                     (transcript, error, clock.now(), media_id))


# -- fetching --------------------------------------------------------------------------

def sweep_partial(media_dir: Path) -> int:
    """Delete what downloads killed mid-way left behind (at the worker's start)."""
    n = 0
    try:
        for p in Path(media_dir).glob(f"{PARTIAL}*"):
            p.unlink(missing_ok=True)
            n += 1
    except OSError:
        pass
    return n


def fetch_due(conn: sqlite3.Connection, client, cfg) -> str | None:
    """Fetch one file whose turn has come; its new state, None when none was due.
    Voice notes whose message is still being answered are left to the lane
    that transcribes them."""
    row = conn.execute(
        "SELECT m.* FROM media m JOIN inbox i ON i.id = m.inbox_id WHERE m.state='pending'"
        " AND m.next_attempt_at <= ? AND NOT (m.voice=1 AND i.status IN ('queued','processing'))"
        " ORDER BY m.id LIMIT 1", (clock.now(),)).fetchone()
    if row is None:
        return None
    return fetch(conn, client, cfg, row)


def fetch(conn: sqlite3.Connection, client, cfg, row) -> str:
    """Download one pending file; its state afterwards ('pending' again: retry later)."""
    if row["state"] != "pending":
        return row["state"]
    if clock.now() - row["created_at"] > EXPIRES_AFTER:
        return _close(conn, row["id"], "expired", "not fetched within Meta's 7 days")
    if client.sandbox:
        return _close(conn, row["id"], "failed", "sandbox mode (no access token): files are not fetched")
    try:
        info = client.media_info(row["graph_id"])
    except GraphError as exc:
        if exc.retryable:
            return _retry(conn, row, cfg.worker, f"media URL: {exc}")
        gone = exc.http_status == 404 or exc.code == 100
        return _close(conn, row["id"], "expired" if gone else "failed", f"media URL: {exc}")
    declared = info.get("file_size") if isinstance(info.get("file_size"), int) else None
    if declared is not None and declared > cfg.media.max_bytes:
        return _close(conn, row["id"], "failed", f"{declared} bytes, more than [media] max_bytes")
    folder = cfg.media_dir
    try:
        folder.mkdir(mode=0o750, parents=True, exist_ok=True)
        out, tmp = files.temp_beside(folder / "download", suffix=".part", mode=0o640)
        # temp_beside names it ".download.<random>.part": what sweep_partial finds.
    except OSError as exc:
        return _retry(conn, row, cfg.worker, f"cannot write in {folder}: {exc.strerror}", disk=_full(exc))
    try:
        with out:
            hasher = _Hashing(out)
            size, _ctype = client.download(info["url"], hasher, cfg.media.max_bytes, cfg.media.download_seconds)
            out.flush()
            os.fsync(out.fileno())
        if declared is not None and size != declared:
            raise http.DownloadError(f"got {size} bytes, Meta said {declared}", "cut_off")
        sha = hasher.hexdigest()
        want = info.get("sha256")
        if isinstance(want, str) and len(want) == 64 and want.lower() != sha:
            raise http.DownloadError("the bytes do not match Meta's SHA-256", "cut_off")
        with open(tmp, "rb") as fh:
            mime = sniff(fh.read(64))
        dest = folder / sha
        os.replace(tmp, dest)
        _fsync_dir(folder)
    except http.DownloadError as exc:
        tmp.unlink(missing_ok=True)
        if exc.kind == "too_large":
            return _close(conn, row["id"], "failed", str(exc))
        if exc.kind == "status" and exc.status in (401, 403, 404, 410):
            # The short-lived URL ran out (or was refused): the next try asks Meta for a new one.
            return _retry(conn, row, cfg.worker, f"file URL: {exc}")
        return _retry(conn, row, cfg.worker, f"download: {exc}")
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        return _retry(conn, row, cfg.worker, f"cannot write the file: {exc.strerror}", disk=_full(exc))
    seconds = ogg_opus_seconds(dest) if mime == "audio/ogg" else None
    now = clock.now()
    with db.transaction(conn):
        conn.execute("UPDATE media SET state='stored', mime=?, size=?, sha256=?, duration_seconds=?, error=NULL,"
                     " fetched_at=?, updated_at=? WHERE id=? AND state='pending'",
                     (mime, size, sha, seconds, now, now, row["id"]))
    if row["declared_mime"] and mime.split("/")[0] != (row["declared_mime"] or "").split("/")[0]:
        log.warning("media %s: declared %s but the bytes are %s; served as %s", row["id"],
                    row["declared_mime"], mime, mime)
    log.info("media %s fetched: %s, %d bytes", row["id"], mime, size)
    return "stored"


class _Hashing:
    """A file wrapper that hashes what goes through it."""

    def __init__(self, out):
        self.out = out
        self.h = hashlib.sha256()

    def write(self, chunk: bytes) -> int:
        self.h.update(chunk)
        return self.out.write(chunk)

    def hexdigest(self) -> str:
        return self.h.hexdigest()


def _full(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _retry(conn, row, w, error: str, disk: bool = False) -> str:
    """The worker's retry rules: jittered exponential backoff, at most
    ``[worker] max_attempts``. A full disk does not use up attempts (the file is
    still at Meta for 7 days; the disk alert tells the sysadmin)."""
    attempts = row["attempts"] + (0 if disk else 1)
    if attempts >= w.max_attempts:
        return _close(conn, row["id"], "failed", f"gave up after {attempts} attempts: {error}")
    base = w.retry_max_seconds if disk else min(w.retry_max_seconds, w.retry_base_seconds * 2 ** max(attempts - 1, 0))
    now = clock.now()
    with db.transaction(conn):
        conn.execute("UPDATE media SET attempts=?, next_attempt_at=?, error=?, updated_at=? WHERE id=?",
                     (attempts, now + base * random.uniform(0.5, 1.0), error[:300], now, row["id"]))
    log.warning("media %s not fetched (%s); retried later", row["id"], error)
    return "pending"


def _close(conn, media_id: int, state: str, error: str) -> str:
    now = clock.now()
    with db.transaction(conn):
        conn.execute("UPDATE media SET state=?, error=?, updated_at=? WHERE id=?", (state, error[:300], now, media_id))
    log.warning("media %s %s: %s", media_id, state, error)
    return state


def ensure(conn: sqlite3.Connection, client, cfg, msg) -> sqlite3.Row:
    """The message's media row with its file fetched now (a voice note about to
    be transcribed). Raises NotYet when it may come on a retry."""
    media_id = note(conn, msg)
    row = get(conn, media_id)
    if row["state"] == "pending":
        fetch(conn, client, cfg, row)
        row = get(conn, media_id)
        if row["state"] == "pending":
            raise NotYet(row["error"] or "not fetched yet")
    return row


# -- staff's files ---------------------------------------------------------------------

def keep_upload(conn: sqlite3.Connection, media_dir: Path, data: bytes, filename: str, caption: str | None) -> int:
    """Store a file staff attached (call inside the transaction that queues the
    message, then ``attach`` it); its media id. Raises ValueError with a pt-BR
    reason when it is not a JPEG, PNG or PDF."""
    mime = sniff(data[:64])
    kind = STAFF_TYPES.get(mime)
    if kind is None:
        raise ValueError("Envie uma imagem (JPEG ou PNG) ou um PDF.")
    sha = hashlib.sha256(data).hexdigest()
    folder = Path(media_dir)
    folder.mkdir(mode=0o750, parents=True, exist_ok=True)
    dest = folder / sha
    if not dest.exists():
        files.write_atomically(dest, data, suffix=".part")
        _fsync_dir(folder)
    now = clock.now()
    cur = conn.execute("INSERT INTO media (kind, declared_mime, filename, caption, state, mime, size, sha256,"
                       " created_at, fetched_at, updated_at) VALUES (?,?,?,?,'stored',?,?,?,?,?,?)",
                       (kind, mime, filename[:200], caption, mime, len(data), sha, now, now, now))
    return cur.lastrowid


def attach(conn: sqlite3.Connection, media_id: int, outbox_id: int) -> None:
    conn.execute("UPDATE media SET outbox_id=?, updated_at=? WHERE id=?", (outbox_id, clock.now(), media_id))


def upload_for(conn: sqlite3.Connection, client, media_dir: Path, phone_number_id: str, media_id: int) -> str:
    """Meta's id for a staff file, uploading it the first time (a retry reuses it)."""
    row = get(conn, media_id)
    if row["graph_id"]:
        return row["graph_id"]
    if client.sandbox:
        return f"sandbox-media-{media_id}"
    graph_id = client.upload_media(phone_number_id, Path(media_dir) / row["sha256"], row["mime"],
                                   row["filename"] or "arquivo")
    with db.transaction(conn):
        conn.execute("UPDATE media SET graph_id=?, state='uploaded', updated_at=? WHERE id=?",
                     (graph_id, clock.now(), media_id))
    return graph_id


def outbound(conn: sqlite3.Connection, client, media_dir, phone_number_id: str, payload: dict) -> dict:
    """The send request for a queued staff file: ``media_row`` replaced by Meta's media id."""
    out = {k: v for k, v in payload.items() if k != "media_row"}
    kind = out["type"]
    graph_id = upload_for(conn, client, media_dir, phone_number_id, payload["media_row"])
    out[kind] = dict(out.get(kind) or {}, id=graph_id)
    return out


# -- retention -------------------------------------------------------------------------

def purge(conn: sqlite3.Connection, media_dir: Path, before: float) -> dict:
    """Delete the files of rows older than ``before`` (the rows stay, marked
    expired, so the conversation still says a photo was there)."""
    rows = conn.execute("SELECT id, sha256 FROM media WHERE created_at < ? AND state IN ('stored','uploaded')",
                        (before,)).fetchall()
    removed = freed = 0
    for r in rows:
        still = conn.execute("SELECT 1 FROM media WHERE sha256=? AND created_at >= ? LIMIT 1",
                             (r["sha256"], before)).fetchone()
        p = Path(media_dir) / r["sha256"]
        if not still and p.exists():
            freed += p.stat().st_size
            p.unlink()
            removed += 1
    with db.transaction(conn):
        n = conn.execute("UPDATE media SET state='expired', error='deleted by cleanup ([media] keep_days)',"
                         " updated_at=? WHERE created_at < ? AND state IN ('stored','uploaded')",
                         (clock.now(), before)).rowcount
    return {"media_rows_expired": n, "media_files_deleted": removed, "media_bytes_freed": freed}


def disk_usage(media_dir: Path) -> tuple[int, int]:
    """(files, bytes) under the media folder."""
    n = total = 0
    try:
        for p in Path(media_dir).iterdir():
            if p.is_file():
                n += 1
                total += p.stat().st_size
    except OSError:
        pass
    return n, total
