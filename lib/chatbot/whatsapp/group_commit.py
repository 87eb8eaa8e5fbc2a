"""Group commit for the webhook: concurrent requests share one fsync.

Every acknowledgement must be durable first (synchronous=FULL), and one
fsync'd commit per request, serialised under SQLite's single write lock, is
what bounds the webhook's throughput. Here one thread owns the web service's
write connection: request threads hand it their parsed batch and wait; it
takes everything that queued up meanwhile, stores it in one transaction and
wakes each request with its own result (or the shared error, which the
route turns into a spool write or a 503). At low traffic a request waits
for nobody: the queue holds only its own batch.
"""
from __future__ import annotations

import logging
import queue
import sqlite3
import threading

from .. import db
from . import inbox

log = logging.getLogger("chatbot.web")
MAX_GROUP = 64
WEB_CHECKPOINT_PAGES = 20_000      # about 80 MB of WAL


class _Item:
    __slots__ = ("batch", "done", "result", "error")

    def __init__(self, batch):
        self.batch = batch
        self.done = threading.Event()
        self.result = None
        self.error: BaseException | None = None


class GroupCommitter:
    def __init__(self, db_path, busy_timeout_ms: int, accept_ids: list[str] | None):
        self.db_path, self.busy_timeout_ms, self.accept_ids = db_path, busy_timeout_ms, accept_ids
        self.queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def store(self, batch, timeout: float = 30.0) -> dict:
        """Store one batch durably; raises sqlite3.Error as store_batch would."""
        self._ensure_thread()
        item = _Item(batch)
        self.queue.put(item)
        if not item.done.wait(timeout):
            raise sqlite3.OperationalError("database is locked (the inbox writer did not answer in time)")
        if item.error is not None:
            raise item.error
        return item.result

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
                results = inbox.store_batches(conn, [i.batch for i in items], self.accept_ids)
            except Exception as exc:   # handed to every waiting request; the thread lives on
                for i in items:
                    i.error = exc
                if not isinstance(exc, sqlite3.Error):
                    log.exception("the inbox writer failed")
                    conn = None
            else:
                for i, r in zip(items, results):
                    i.result = r
            for i in items:
                i.done.set()
