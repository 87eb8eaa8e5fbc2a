"""The only place that opens SQLite, and the schema's migrations.

Every process (web service, worker, timer jobs) opens the database the same
way: WAL so readers never block the writer, a busy timeout so short write
contention waits instead of failing, and synchronous=FULL because a commit
here may be the acknowledgement of a customer's message.

Migrations are the ``migrations/*.sql`` files beside this module, one
numbered sequence applied in name order; each runs with its record in
``schema_migrations`` inside one transaction, so a crash mid-migration leaves
nothing half-applied. A new migration takes the next free number. Tables are
created here; the queries live in the module that owns each table.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import sqlite3
import time
from importlib import resources
from pathlib import Path

from . import clock

BUSY_TIMEOUT_MS = 5000


class Connection(sqlite3.Connection):
    """A connection that remembers its busy timeout, for ``transaction``."""
    busy_timeout_ms: int = BUSY_TIMEOUT_MS
    # True when SQLite's own busy handler is off for good (a connection that
    # only writes through ``transaction`` or ``write``): the lock polling then
    # need not toggle it.
    polls_for_lock: bool = False
    # The connection's default; ``transaction(durable=True)`` raises it to FULL.
    synchronous: str = "FULL"


def busy_timeout_from_env() -> int:
    """``$CHATBOT_BUSY_TIMEOUT_MS`` (the tests and the benchmarks shorten it), else the default."""
    try:
        return int(os.environ.get("CHATBOT_BUSY_TIMEOUT_MS") or BUSY_TIMEOUT_MS)
    except ValueError:
        return BUSY_TIMEOUT_MS


def connect(path: str | os.PathLike, *, busy_timeout_ms: int | None = None,
            migrate_schema: bool = True, writer_only: bool = False,
            synchronous: str = "FULL") -> sqlite3.Connection:
    """Open the database. ``synchronous="NORMAL"`` is for a connection whose
    commits may be lost on a power cut (never on a crash) except those made
    with ``transaction(conn, durable=True)``: in WAL mode the next durable
    commit's fsync covers every frame written before it."""
    if busy_timeout_ms is None:
        busy_timeout_ms = busy_timeout_from_env()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    # isolation_level=None: we issue BEGIN ourselves, so transactions are explicit.
    conn = sqlite3.connect(str(path), timeout=busy_timeout_ms / 1000, factory=Connection,
                           isolation_level=None, check_same_thread=False)
    conn.busy_timeout_ms = int(busy_timeout_ms)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    # Switching a new file to WAL needs it to itself for an instant; several
    # processes opening it at once poll for that like for the write lock.
    _polling_for_lock(conn, lambda: conn.execute("PRAGMA journal_mode=WAL"))
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError("synchronous must be FULL or NORMAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.synchronous = synchronous
    conn.execute("PRAGMA foreign_keys=ON")
    if created:
        # The database holds customers' phone numbers: not for other users.
        with contextlib.suppress(OSError):
            os.chmod(path, 0o640)
    if migrate_schema:
        migrate(conn)
    if writer_only:
        # Every write of a write-only connection goes through transaction() or
        # write(), which poll for the lock: SQLite's handler is not needed, and
        # each PRAGMA toggle would be one more GIL round trip on a hot path.
        conn.execute("PRAGMA busy_timeout=0")
        conn.polls_for_lock = True
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection, mode: str = "IMMEDIATE", durable: bool = False):
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception.

    IMMEDIATE takes the write lock up front, so two writers never deadlock
    upgrading a read lock; the busy timeout makes the second one wait.
    ``durable=True``: this commit is fsync'd even on a synchronous=NORMAL
    connection (it acknowledges something, or precedes an irreversible act).
    """
    with _fsynced(conn, durable):
        _begin(conn, mode)
        try:
            yield conn
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")


@contextlib.contextmanager
def _fsynced(conn: sqlite3.Connection, durable: bool):
    """synchronous=FULL for what runs inside, when durable and the connection is NORMAL."""
    raise_sync = durable and getattr(conn, "synchronous", "FULL") != "FULL"
    if raise_sync:
        conn.execute("PRAGMA synchronous=FULL")
    try:
        yield
    finally:
        if raise_sync:
            conn.execute(f"PRAGMA synchronous={conn.synchronous}")


def _begin(conn: sqlite3.Connection, mode: str) -> None:
    """Take the write lock, polling in short steps until the busy timeout."""
    if mode != "IMMEDIATE" or not getattr(conn, "busy_timeout_ms", None):
        conn.execute(f"BEGIN {mode}")
        return
    _polling_for_lock(conn, lambda: conn.execute("BEGIN IMMEDIATE"))


def _polling_for_lock(conn: sqlite3.Connection, attempt):
    """Run ``attempt`` (which takes the write lock first thing) until it gets
    the lock or the connection's busy timeout has passed.

    SQLite's own busy handler sleeps in growing steps up to 100 ms, so a
    waiting writer keeps missing the instants when the lock is free while a
    busy neighbour (the worker commits several times per message) takes it
    straight back. Polling every fraction of a millisecond is fair enough to
    keep the webhook's tail latency low.
    """
    deadline = time.monotonic() + conn.busy_timeout_ms / 1000
    delay = 0.0002
    toggle = not getattr(conn, "polls_for_lock", False)
    if toggle:
        conn.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                return attempt()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 1.5, 0.004)
    finally:
        if toggle:
            conn.execute(f"PRAGMA busy_timeout={int(conn.busy_timeout_ms)}")


def write(conn: sqlite3.Connection, statements: list[tuple[str, list]]) -> list[int]:
    """Run write statements as one durable transaction; return their rowcounts.

    A single statement runs as its own transaction (SQLite's implicit one),
    not inside BEGIN..COMMIT: every call into SQLite lets go of the GIL, and
    in a busy multi-threaded process each time costs a wait to get it back.
    For the webhook's inbox writer that wait, three times per commit, was
    what bounded throughput; once per commit, it is not. A statement that
    meets the lock held elsewhere changed nothing, so it is simply retried.
    """
    if not statements:
        return []
    if len(statements) != 1 or not getattr(conn, "busy_timeout_ms", None):
        with transaction(conn, durable=True):
            return [conn.execute(sql, params).rowcount for sql, params in statements]
    sql, params = statements[0]
    with _fsynced(conn, True):
        return [_polling_for_lock(conn, lambda: conn.execute(sql, params).rowcount)]


# Migrations once had two number ranges (0100-0300 per part, 0002-0006 added
# later), so a fresh database applied them in another order than an upgraded
# one. They are one sequence now, in the order every installed database
# applied them; a database that recorded the old names has them renamed, in
# the same transaction as the rest of its upgrade's first step.
RENAMED = {
    "0100_bot": "0002_bot",
    "0200_ops": "0003_ops",
    "0300_web": "0004_web",
    "0002_outbox_meta": "0005_outbox_meta",
    "0003_inbox_claim_idx": "0006_inbox_claim_idx",
    "0004_inbox_drop_status_attempt_idx": "0007_inbox_drop_status_attempt_idx",
    "0005_statuses_apply_trigger": "0008_statuses_apply_trigger",
    "0006_inbox_drop_conv_idx": "0009_inbox_drop_conv_idx",
}


_OLD_RANGE = {"0100_bot", "0200_ops", "0300_web"}


def current_names(recorded: set[str]) -> set[str]:
    """The names a database's records have in today's sequence. 0002-0006 are
    both old and new names: they are old exactly when an old-range name
    (0100-0300, which every database of that time recorded) is there too."""
    if not recorded & _OLD_RANGE:
        return set(recorded)
    return {RENAMED.get(name, name) for name in recorded}


def _rename_old_records(conn: sqlite3.Connection) -> None:
    if not conn.execute("SELECT 1 FROM schema_migrations WHERE name IN (?, ?, ?)",
                        sorted(_OLD_RANGE)).fetchone():
        return
    with transaction(conn):
        recorded = {r[0] for r in conn.execute("SELECT name FROM schema_migrations")}
        if not recorded & _OLD_RANGE:       # another process renamed them meanwhile
            return
        old = sorted(recorded & set(RENAMED))
        # Through temporary names: 0002-0006 are taken by both sequences.
        for name in old:
            conn.execute("UPDATE schema_migrations SET name=? WHERE name=?", ("renaming:" + name, name))
        for name in old:
            conn.execute("UPDATE schema_migrations SET name=? WHERE name=?", (RENAMED[name], "renaming:" + name))


# Migrations are history: an applied one is never edited, so tables of one shape written in
# several of them (the duplicates tool pairs 0001_core.sql with 0003_ops.sql, and 0003_ops.sql's
# notifications with its notification_attempts and unit_failures) stay as written.
def migration_files() -> list[tuple[str, str]]:
    folder = resources.files("chatbot") / "migrations"
    items = [(p.name[:-4], p.read_text(encoding="utf-8"))
             for p in folder.iterdir() if p.name.endswith(".sql")]
    return sorted(items)


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply every migration not yet recorded; return the names applied."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                 "name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    _rename_old_records(conn)
    done = {r[0] for r in conn.execute("SELECT name FROM schema_migrations")}
    pending = [(name, sql) for name, sql in migration_files() if name not in done]
    if not pending:
        return []
    applied = []
    # All that is pending in one transaction: a new database is created whole or not at all,
    # with one fsync instead of one per migration (0.25 s for each new database before).
    with transaction(conn):
        for name, sql in pending:
            # Another process may have applied it while we waited for the lock.
            if conn.execute("SELECT 1 FROM schema_migrations WHERE name=?", (name,)).fetchone():
                continue
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                         (name, clock.now()))
            applied.append(name)
    return applied


def _statements(sql: str):
    """Split a migration into statements (executescript would COMMIT our transaction)."""
    buf = ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                yield buf
            buf = ""
    if buf.strip():
        yield buf


_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` with every lone UTF-16 surrogate ("\\ud800" in JSON: valid JSON, not valid UTF-8)
    replaced by U+FFFD, so SQLite can store it: what staff type must never become a 500."""
    return _SURROGATE.sub("\ufffd", text) if isinstance(text, str) else text


def is_disk_full(exc: BaseException) -> bool:
    """The one test of "is the disk full?": an OS error ENOSPC, or SQLite's SQLITE_FULL
    ("database or disk is full")."""
    return (getattr(exc, "errno", None) == errno.ENOSPC
            or getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
            or "database or disk is full" in str(exc))


def describe_error(exc: BaseException) -> str:
    """A one-line operator message for an expected SQLite/OS failure."""
    text = str(exc)
    low = text.lower()
    if "locked" in low or "busy" in low:
        return "database is locked by another process (try again later)"
    if is_disk_full(exc) or "disk i/o" in low:      # SQLite reports some ENOSPC as an I/O error
        return "disk is full: free space on the state filesystem"
    if "readonly" in low or "read-only" in low:
        return "database is read-only for this user"
    if "unable to open" in low:
        return "cannot open the database file (check state_dir and permissions)"
    return text
