"""Waiting for something another thread or process does: one loop with a deadline."""
from __future__ import annotations

import time


def wait_until(check, timeout: float = 20.0, interval: float = 0.05, what: str | None = None):
    """Call ``check()`` until it returns something true, and return that; past ``timeout``
    seconds, fail with ``what`` (the last value returned, or the last error raised, when
    ``what`` is None). ``what=""``: return the last false value instead of failing."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value, error = check(), None
        except Exception as exc:        # e.g. a server not listening yet
            value, error = None, exc
        if value:
            return value
        if time.monotonic() > deadline:
            if what == "":
                return value
            raise AssertionError(what or f"not within {timeout:g} s: last got {error or value!r}")
        time.sleep(interval)


def wait_drained(conn, timeout: float = 120.0) -> int:
    """Wait until no message is queued or in hand; return how many still are."""
    def left():
        return conn.execute("SELECT COUNT(*) FROM inbox WHERE status IN ('queued','processing')").fetchone()[0]
    return 0 if wait_until(lambda: left() == 0, timeout, 0.2, what="") else left()
