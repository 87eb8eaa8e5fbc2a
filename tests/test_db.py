"""The database layer: migrations recorded once, transactions, durable
commits on a NORMAL connection, and the lock wait that gives up in time."""
import sqlite3
import threading
import time

import pytest

from chatbot import db


def test_migrations_applied_once_and_recorded(tmp_path):
    conn = db.connect(tmp_path / "a.db")
    names = [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]
    assert names == [n for n, _ in db.migration_files()]
    assert db.migrate(conn) == []                       # nothing left to apply
    assert db.connect(tmp_path / "a.db").execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(names)


def test_concurrent_first_connections_migrate_once(tmp_path):
    errors = []

    def open_it():
        try:
            db.connect(tmp_path / "b.db").close()
        except Exception as exc:   # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_transaction_rolls_back_on_error(tmp_path):
    conn = db.connect(tmp_path / "c.db")
    with pytest.raises(RuntimeError):
        with db.transaction(conn):
            conn.execute("INSERT INTO heartbeats (name, ts) VALUES ('x', 1)")
            raise RuntimeError("boom")
    assert conn.execute("SELECT COUNT(*) FROM heartbeats").fetchone()[0] == 0


def test_durable_commit_on_a_normal_connection(tmp_path):
    conn = db.connect(tmp_path / "d.db", synchronous="NORMAL")
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1          # NORMAL
    with db.transaction(conn, durable=True):
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2      # FULL for this commit
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1
    with db.transaction(conn):
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1


def test_lock_wait_gives_up_after_the_busy_timeout(tmp_path):
    holder = db.connect(tmp_path / "e.db")
    waiter = db.connect(tmp_path / "e.db", busy_timeout_ms=300)
    holder.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        with db.transaction(waiter):
            pass
    waited = time.monotonic() - started
    holder.execute("ROLLBACK")
    assert waited >= 0.3
    # The connection's own busy timeout is back in force afterwards.
    assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == 300


def test_lock_wait_takes_the_lock_as_soon_as_it_is_free(tmp_path):
    holder = db.connect(tmp_path / "f.db")
    waiter = db.connect(tmp_path / "f.db", busy_timeout_ms=5000)
    holder.execute("BEGIN IMMEDIATE")
    threading.Timer(0.2, lambda: holder.execute("COMMIT")).start()
    with db.transaction(waiter):
        waiter.execute("INSERT INTO heartbeats (name, ts) VALUES ('w', 1)")
    assert waiter.execute("SELECT COUNT(*) FROM heartbeats").fetchone()[0] == 1


@pytest.mark.parametrize("writer_only", [False, True])
def test_single_statement_write_waits_for_the_lock_then_commits_durably(tmp_path, writer_only):
    holder = db.connect(tmp_path / "g.db")
    waiter = db.connect(tmp_path / "g.db", busy_timeout_ms=5000, writer_only=writer_only,
                        synchronous="FULL" if writer_only else "NORMAL")
    holder.execute("BEGIN IMMEDIATE")
    order = []

    def commit():
        order.append("holder commits")      # before COMMIT: the lock is still held here
        holder.execute("COMMIT")
    threading.Timer(0.2, commit).start()
    assert db.write(waiter, [("INSERT INTO heartbeats (name, ts) VALUES (?, ?), (?, ?)", ["a", 1, "b", 2])]) == [2]
    order.append("write done")
    assert order == ["holder commits", "write done"]       # it waited for the lock, it did not fail
    assert not waiter.in_transaction
    # Committed: another connection sees it.
    assert holder.execute("SELECT COUNT(*) FROM heartbeats").fetchone()[0] == 2
    # A NORMAL connection is back at NORMAL, and its busy handler as it was.
    assert waiter.execute("PRAGMA synchronous").fetchone()[0] == (2 if writer_only else 1)
    assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == (0 if writer_only else 5000)


def test_single_statement_write_gives_up_after_the_busy_timeout(tmp_path):
    holder = db.connect(tmp_path / "h.db")
    waiter = db.connect(tmp_path / "h.db", busy_timeout_ms=200, writer_only=True)
    holder.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        db.write(waiter, [("INSERT INTO heartbeats (name, ts) VALUES ('x', 1)", [])])
    assert time.monotonic() - started >= 0.2
    holder.execute("ROLLBACK")
    assert waiter.execute("SELECT COUNT(*) FROM heartbeats").fetchone()[0] == 0


def test_several_statements_write_all_or_nothing(tmp_path):
    conn = db.connect(tmp_path / "i.db")
    ok = [("INSERT INTO heartbeats (name, ts) VALUES ('a', 1)", []),
          ("INSERT INTO heartbeats (name, ts) VALUES ('b', 1), ('c', 1)", [])]
    assert db.write(conn, ok) == [1, 2]
    with pytest.raises(sqlite3.IntegrityError):
        db.write(conn, [("INSERT INTO heartbeats (name, ts) VALUES ('d', 1)", []),
                        ("INSERT INTO heartbeats (name, ts) VALUES (NULL, NULL)", [])])
    assert conn.execute("SELECT COUNT(*) FROM heartbeats").fetchone()[0] == 3
    assert db.write(conn, []) == []


def test_describe_error_is_one_operator_line():
    assert "locked" in db.describe_error(sqlite3.OperationalError("database is locked"))
    assert "disk is full" in db.describe_error(sqlite3.OperationalError("database or disk is full"))


# -- one sequence: every database ends with the same schema -------------------------

# The migration files each released version had, by their names of the time
# (see db.RENAMED), in the order they appeared.
HISTORY = [
    ["0001_core"],
    ["0001_core", "0200_ops"],
    ["0001_core", "0100_bot", "0200_ops"],
    ["0001_core", "0100_bot", "0200_ops", "0300_web"],
    ["0001_core", "0002_outbox_meta", "0100_bot", "0200_ops", "0300_web"],
    ["0001_core", "0002_outbox_meta", "0003_inbox_claim_idx", "0100_bot", "0200_ops", "0300_web"],
    ["0001_core", "0002_outbox_meta", "0003_inbox_claim_idx", "0004_inbox_drop_status_attempt_idx",
     "0100_bot", "0200_ops", "0300_web"],
    ["0001_core", "0002_outbox_meta", "0003_inbox_claim_idx", "0004_inbox_drop_status_attempt_idx",
     "0005_statuses_apply_trigger", "0006_inbox_drop_conv_idx", "0100_bot", "0200_ops", "0300_web"],
]
# Migrations added since the last version above (today's code applies them).
SINCE_HISTORY = [name for name, _ in db.migration_files() if name > "0009_inbox_drop_conv_idx"]


def _apply_old(conn, names):
    """What that version's migrate() did: apply the files not yet recorded, in name order."""
    texts = dict(db.migration_files())
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    done = {r[0] for r in conn.execute("SELECT name FROM schema_migrations")}
    for name in sorted(names):
        if name not in done:
            with db.transaction(conn):
                for statement in db._statements(texts[db.RENAMED.get(name, name)]):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations VALUES (?, 0)", (name,))


def _schema(conn):
    return sorted(tuple(r) for r in conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))


@pytest.mark.parametrize("start", range(len(HISTORY)))
def test_a_database_upgraded_from_every_earlier_schema_ends_like_a_fresh_one(tmp_path, start):
    fresh = _schema(db.connect(tmp_path / "fresh.db"))
    # Created by that version, then upgraded through every later one, then by today's code.
    old = db.connect(tmp_path / "old.db", migrate_schema=False)
    for files in HISTORY[start:]:
        _apply_old(old, files)
    assert db.migrate(old) == SINCE_HISTORY
    assert _schema(old) == fresh
    # Created by that version and upgraded straight to today's.
    direct = db.connect(tmp_path / "direct.db", migrate_schema=False)
    _apply_old(direct, HISTORY[start])
    db.migrate(direct)
    assert _schema(direct) == fresh
    names = [r[0] for r in direct.execute("SELECT name FROM schema_migrations ORDER BY name")]
    assert names == [n for n, _ in db.migration_files()]


def test_migrations_are_one_sequence_with_unique_numbers():
    numbers = [name.split("_", 1)[0] for name, _ in db.migration_files()]
    assert numbers == [f"{i:04d}" for i in range(1, len(numbers) + 1)], "a new migration takes the next number"
