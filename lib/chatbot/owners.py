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


def _stat(pid: int) -> tuple[str, int] | None:
    """The process's state letter and start time (clock ticks since boot) from
    /proc/PID/stat; None when there is no such process.

    Read directly rather than through psutil: psutil's create_time() needs the
    boot time from /proc/stat, which the units hide (ProcSubset=pid), and the
    raw start tick tells a reused pid apart just as well."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read().decode("ascii", "replace")
    except (FileNotFoundError, ProcessLookupError):
        return None
    rest = data[data.rindex(")") + 2:].split()      # the name may hold spaces and parentheses
    return rest[0], int(rest[19])


def this_process() -> str:
    stat = _stat(os.getpid())
    return f"{socket.gethostname()}:{os.getpid()}:{stat[1] if stat else 0}"


def is_dead(owner: str | None, host: str | None = None) -> bool:
    """True only when ``owner`` ran on this host and its process no longer exists."""
    if not owner:
        return False
    parts = owner.split(":")
    if len(parts) not in (2, 3) or parts[0] != (host or socket.gethostname()):
        return False
    try:
        pid = int(parts[1])
        started = int(float(parts[2])) if len(parts) == 3 else None
    except ValueError:
        return False
    if pid <= 0:
        return False
    try:
        stat = _stat(pid)
    except (OSError, ValueError, IndexError):
        return False                   # a process we may not look at: alive, as far as we know
    if stat is None or stat[0] in ("Z", "X"):    # gone, or killed and not yet reaped by its parent
        return True
    # The pid was reused by a later process: the owner is gone.
    return started is not None and started != 0 and stat[1] != started
