"""Who holds a lease: ``host:pid:start`` of the worker process, and whether
that process still exists.

A lease names its owner so that a worker killed outright (SIGKILL, the
watchdog, the OOM killer) can be told apart from one that is merely slow:
if the owner ran on this host and its process is gone, or its pid now
belongs to a later process (the start time differs), nobody is working on
the message and it is recovered at once instead of after the lease runs
out. Anything we cannot tell (another host, a name in another format, a
process we may not look at) counts as alive: the lease's expiry still
covers it.
"""
from __future__ import annotations

import os
import socket

import psutil


def _start_time(pid: int) -> float:
    return psutil.Process(pid).create_time()


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_start_time(os.getpid()):.2f}"


def is_dead(owner: str | None, host: str | None = None) -> bool:
    """True only when ``owner`` ran on this host and its process no longer exists."""
    if not owner:
        return False
    parts = owner.split(":")
    if len(parts) not in (2, 3) or parts[0] != (host or socket.gethostname()):
        return False
    try:
        pid = int(parts[1])
        started = float(parts[2]) if len(parts) == 3 else None
    except ValueError:
        return False
    if pid <= 0:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:     # killed, not yet reaped by its parent
            return True
        now_started = proc.create_time()
    except psutil.NoSuchProcess:
        return True
    except (psutil.AccessDenied, OSError):
        return False
    # The pid was reused by a later process: the owner is gone.
    return started is not None and abs(now_started - started) > 1.0
