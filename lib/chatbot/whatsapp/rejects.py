"""Refused webhook deliveries: counted in memory, sampled to the database.

A forged or broken delivery costs us nothing durable. Each refusal adds one
to an in-memory counter per reason (``/metrics``); at most
``SAMPLES_PER_MINUTE`` refusals a minute are written to ``webhook_rejects``
(the dashboard's counts and the details an operator looks at), each row
carrying in ``count`` the refusals it stands for, so sums over the table stay
right. The WARNING line is written for the first refusal of a reason and
then at most once per ``LOG_EVERY_SECONDS``, with how many were not logged.
One client sending 900 forged posts a second is ten rows a minute and one
log line a minute, not 900 of each a second.
"""
from __future__ import annotations

import logging
import sqlite3
import threading

from .. import clock
from ..db import transaction

log = logging.getLogger("chatbot.web")
SAMPLES_PER_MINUTE = 10
LOG_EVERY_SECONDS = 60.0


class Rejects:
    def __init__(self, samples_per_minute: int = SAMPLES_PER_MINUTE, log_every: float = LOG_EVERY_SECONDS):
        self.samples_per_minute, self.log_every = samples_per_minute, log_every
        self.lock = threading.Lock()
        self.totals: dict[str, int] = {}        # since start: the /metrics counter
        self._unsampled: dict[str, int] = {}    # refusals not yet in a stored row
        self._unlogged: dict[str, int] = {}
        self._logged_at: dict[str, float] = {}
        self._minute, self._samples = -1, 0

    def record(self, conn: sqlite3.Connection | None, status: int, reason: str, detail: str = "") -> None:
        now = clock.now()
        with self.lock:
            self.totals[reason] = self.totals.get(reason, 0) + 1
            self._unsampled[reason] = self._unsampled.get(reason, 0) + 1
            minute = int(now // 60)
            if minute != self._minute:
                self._minute, self._samples = minute, 0
            count = 0
            if self._samples < self.samples_per_minute:
                self._samples += 1
                count = self._unsampled.pop(reason)
            last = self._logged_at.get(reason)
            unlogged = self._unlogged.get(reason, 0)
            if last is None or now - last >= self.log_every:
                self._logged_at[reason], self._unlogged[reason] = now, 0
                write_log = True
            else:
                self._unlogged[reason] = unlogged + 1
                write_log = False
        if write_log:
            more = f" ({unlogged} more since the last line)" if unlogged else ""
            log.warning("webhook rejected (%s): %s %s%s", status, reason, detail[:120], more)
        if count and conn is not None:
            detail = detail[:300].encode("utf-8", "replace").decode("utf-8")
            try:
                with transaction(conn):
                    conn.execute("INSERT INTO webhook_rejects (ts, reason, detail, count) VALUES (?,?,?,?)",
                                 (now, reason, detail, count))
            except sqlite3.Error:
                with self.lock:     # not stored: the next sample carries them
                    self._unsampled[reason] = self._unsampled.get(reason, 0) + count

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return dict(self.totals)

    def pending(self) -> dict[str, int]:
        """Refusals counted but not yet carried by a stored sample."""
        with self.lock:
            return dict(self._unsampled)


def counts_since(conn: sqlite3.Connection, since: float, pending: dict[str, int] | None = None) -> list[dict]:
    """Refusals per reason since ``since``, most first: the stored samples'
    counts plus those still ``pending`` in the web process's memory."""
    counts = dict(conn.execute("SELECT reason, SUM(count) FROM webhook_rejects WHERE ts >= ? GROUP BY reason",
                               (since,)).fetchall())
    for reason, n in (pending or {}).items():
        counts[reason] = counts.get(reason, 0) + n
    return [{"reason": r, "count": n} for r, n in sorted(counts.items(), key=lambda kv: -kv[1])]
