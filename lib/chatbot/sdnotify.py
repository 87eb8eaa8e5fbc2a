"""sd_notify without a dependency: READY, STATUS, WATCHDOG, STOPPING.

A no-op when not started by systemd with Type=notify ($NOTIFY_SOCKET unset).
"""
from __future__ import annotations

import os
import socket


def notify(**fields) -> bool:
    addr = os.environ.get("NOTIFY_SOCKET")
    if not addr:
        return False
    if addr.startswith("@"):
        addr = "\0" + addr[1:]
    msg = "\n".join(f"{k.upper()}={v}" for k, v in fields.items()).encode()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.connect(addr)
            s.sendall(msg)
        return True
    except OSError:
        return False
