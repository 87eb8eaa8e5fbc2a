"""The worker's heartbeat: a thread that beats only while the work moves.

Each beat writes the ``heartbeats`` row (the ``worker_down`` alert reads it)
and sends systemd ``WATCHDOG=1``. The beat comes from its own thread, so a
long but bounded step (an LLM generation, a slow send) does not starve the
watchdog; and it stops as soon as any lane has not moved on within its
bound, so a message stuck in an endless computation gets the process
killed by systemd (``WatchdogSec=``) and restarted. The attempts cap then
parks that message after ``[worker] max_attempts`` tries.
"""
from __future__ import annotations

import logging
import os
import threading
import time

from . import db, events, sdnotify

log = logging.getLogger("chatbot.worker")


class Heartbeat:
    def __init__(self, db_path, owner: str, period: float):
        self.db_path = db_path
        self.owner = owner
        self.period = period
        self._lanes: dict[str, list[float]] = {}      # lane -> [last progress, bound seconds]
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stalled_logged: set[str] = set()
        self.beats = 0

    # -- called by the lanes ---------------------------------------------------
    def watch(self, lane: str, bound_seconds: float) -> None:
        """Start watching ``lane``: it must call ``progress`` at least every ``bound_seconds``."""
        with self._lock:
            self._lanes[lane] = [time.monotonic(), bound_seconds]

    def progress(self, lane: str) -> None:
        with self._lock:
            if lane in self._lanes:
                self._lanes[lane][0] = time.monotonic()

    def forget(self, lane: str) -> None:
        with self._lock:
            self._lanes.pop(lane, None)

    # -- the beat ----------------------------------------------------------------
    def stalled(self) -> list[str]:
        now = time.monotonic()
        with self._lock:
            return [name for name, (last, bound) in self._lanes.items() if now - last > bound]

    def beat(self, conn) -> bool:
        """One beat, unless a lane is stuck; True when it beat."""
        stuck = self.stalled()
        if stuck:
            new = set(stuck) - self._stalled_logged
            if new:
                log.error("worker lane(s) %s made no progress within their bound: heartbeat withheld,"
                          " the systemd watchdog will restart the worker", ", ".join(sorted(new)))
            self._stalled_logged = set(stuck)
            return False
        self._stalled_logged = set()
        try:
            with db.transaction(conn):
                events.heartbeat(conn, "worker", os.getpid(), self.owner)
        except db.sqlite3.OperationalError as exc:     # locked: the watchdog still hears from us
            log.warning("heartbeat not recorded: %s", db.describe_error(exc))
        sdnotify.notify(WATCHDOG=1)
        self.beats += 1
        return True

    def start(self) -> Heartbeat:
        conn = db.connect(self.db_path, synchronous="NORMAL", migrate_schema=False)
        self.beat(conn)

        def loop():
            try:
                while not self._stop.wait(self.period):
                    self.beat(conn)
            finally:
                conn.close()

        self._thread = threading.Thread(target=loop, name="heartbeat", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
