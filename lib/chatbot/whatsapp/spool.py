"""A durable overflow for webhook batches the database cannot take right now.

When another process holds the write lock longer than the webhook's short
busy timeout (a VACUUM, a long job), the verified raw body is written here
(fsync'd, then renamed into place) and acknowledged; the worker moves
spooled batches into the inbox as soon as the database is free again. The
inbox's UNIQUE wamid makes a batch that is both spooled and redelivered
harmless. A full disk fails here too, and the webhook then answers 503.
"""
from __future__ import annotations

import logging
import os
import time
import uuid
from pathlib import Path

from . import inbox, webhook

log = logging.getLogger("chatbot.spool")


def write(folder: Path, body: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True, mode=0o750)
    name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
    tmp = folder / f".{name}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        os.write(fd, body)
        os.fsync(fd)
    finally:
        os.close(fd)
    final = folder / f"{name}.json"
    os.rename(tmp, final)
    dfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
    return final


def pending(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.suffix == ".json")
    except FileNotFoundError:
        return []


def drain(conn, folder: Path, accept_ids: list[str] | None = None) -> int:
    """Store spooled batches in arrival order; return how many files were taken."""
    taken = 0
    for path in pending(folder):
        try:
            batch = webhook.parse(path.read_bytes())
        except webhook.BadPayload as exc:   # cannot happen for what the webhook spooled; keep it visible
            log.error("spooled batch %s is unreadable (%s); kept as .bad", path.name, exc)
            path.rename(path.with_suffix(".bad"))
            continue
        inbox.store_batch(conn, batch, accept_ids)
        path.unlink()
        taken += 1
    if taken:
        log.info("moved %d spooled webhook batch(es) into the inbox", taken)
    return taken
