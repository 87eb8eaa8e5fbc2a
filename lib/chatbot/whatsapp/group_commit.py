"""Group commit for the webhook: concurrent requests share one fsync.

Every acknowledgement must be durable first (synchronous=FULL), and one
fsync'd commit per request, serialised under SQLite's single write lock, is
what bounds the webhook's throughput. Here one thread owns the web service's
write connection: request threads turn their parsed batch into rows, hand
them over and wait; the writer takes everything that queued up meanwhile,
stores it in one commit (one fsync; one SQL statement unless the group mixes
messages and statuses or is very large) and wakes each request
(or hands it the shared error, which the route turns into a spool write or
a 503). A batch whose rows SQLite refuses fails alone: the group is then
stored batch by batch, so one bad batch never costs the others their 200.
At low traffic a request waits for nobody: the queue holds only its
own batch. The writer thread is the one serial step, so it does as little
as it can: no JSON, no per-row Python, as few trips into SQLite as it can.
"""
from __future__ import annotations

import logging
import queue
import sqlite3
import threading

from .. import clock, db
from . import inbox

log = logging.getLogger("chatbot.web")
MAX_GROUP = 64
WEB_CHECKPOINT_PAGES = 20_000      # about 80 MB of WAL


class _Item:
    __slots__ = ("rows", "done", "error")

    def __init__(self, rows: inbox.Rows):
        self.rows = rows
        # A bare lock held until the writer releases it: waking the request
        # this way is one C call, where threading.Event runs a Condition in Python.
        self.done = threading.Lock()
        self.done.acquire()
        self.error: BaseException | None = None


class GroupCommitter:
    def __init__(self, db_path, busy_timeout_ms: int, accept_ids: list[str] | None):
        self.db_path, self.busy_timeout_ms, self.accept_ids = db_path, busy_timeout_ms, accept_ids
        self.queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def store(self, batch, timeout: float = 30.0) -> dict:
        """Store one batch durably; raises sqlite3.Error as inbox.store_batch would.
        Returns how many of its messages were for a phone_number_id not served here."""
        self._ensure_thread()
        item = _Item(inbox.rows(batch, self.accept_ids, clock.now()))
        self.queue.put(item)
        if not item.done.acquire(timeout=timeout):
            raise sqlite3.OperationalError("database is locked (the inbox writer did not answer in time)")
        if item.error is not None:
            raise item.error
        return {"foreign": item.rows.foreign}

    def _ensure_thread(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="inbox-writer", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        conn = None
        while True:
            items = [self.queue.get()]
            while len(items) < MAX_GROUP:
                try:
                    items.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            try:
                if conn is None:
                    conn = db.connect(self.db_path, busy_timeout_ms=self.busy_timeout_ms, writer_only=True)
                    # Leave WAL checkpoints to the worker and the jobs (every 1,000 pages, as
                    # usual); the webhook's commits checkpoint only as a safety net, so copying
                    # pages into the database file is not on the acknowledgement's path.
                    conn.execute(f"PRAGMA wal_autocheckpoint={WEB_CHECKPOINT_PAGES}")
                inbox.store_rows(conn, [i.rows for i in items])
            except sqlite3.OperationalError as exc:
                # Locked, disk full, I/O: the database's state, not one batch's
                # content. Every request gets it (the route spools or answers 503).
                for i in items:
                    i.error = exc
            except Exception:
                # Something in the rows themselves: store each batch on its own,
                # so only the one that cannot be stored fails.
                conn = self._one_by_one(conn, items)
            for i in items:
                i.done.release()

    def _one_by_one(self, conn, items: list[_Item]):
        for i in items:
            try:
                inbox.store_rows(conn, [i.rows])
            except sqlite3.OperationalError as exc:
                i.error = exc
            except Exception as exc:
                i.error = exc
                log.error("the inbox writer could not store one batch (%s: %s)",
                          type(exc).__name__, str(exc)[:200])
                if not isinstance(exc, sqlite3.Error):
                    try:
                        conn.rollback()
                    except sqlite3.Error:
                        conn = None
        return conn
