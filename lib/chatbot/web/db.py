"""The web service's database connection: one per waitress thread, kept open."""
from __future__ import annotations

import threading

from flask import g

from .. import db

_local = threading.local()


def get_db():
    """One connection per waitress thread, kept open: opening SQLite and
    setting its pragmas on every webhook call would cost more than the insert."""
    path = str(g.cfg.db_path)
    conns = getattr(_local, "conns", None)
    if conns is None:
        conns = _local.conns = {}
    conn = conns.get(path)
    if conn is None:
        # NORMAL: what must survive a power cut here (a stored inbox batch) is
        # committed with durable=True anyway; a reject record need not cost an
        # fsync, or a flood of forged posts becomes a flood of disk syncs.
        conn = conns[path] = db.connect(path, busy_timeout_ms=g.cfg.web.db_busy_timeout_ms,
                                        synchronous="NORMAL")
    return conn


def close_thread_connections() -> None:
    """Close this thread's connections. Tests call it after each test: every test has a database
    file of its own, and a test process's main thread would otherwise keep one open per test."""
    for conn in (getattr(_local, "conns", None) or {}).values():
        conn.close()
    _local.conns = {}
