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


def test_describe_error_is_one_operator_line():
    assert "locked" in db.describe_error(sqlite3.OperationalError("database is locked"))
    assert "disk is full" in db.describe_error(sqlite3.OperationalError("database or disk is full"))
