"""Temporary files beside their destination, safe in a directory someone else can write.

The state directory belongs to the service user, and an operator may run a
command there as root. A fixed temporary name (``.store.toml.tmp``) lets
whoever owns the directory plant a symlink under that name and have root
write through it to any file. ``mkstemp`` creates a new file with a name
nobody could guess (O_EXCL: it never follows a link), and everything is
written through its descriptor, never by opening the name again.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def temp_beside(dest: Path, suffix: str = ".tmp", mode: int = 0o600):
    """A new, uniquely named file in ``dest``'s directory: (open binary file, its path)."""
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=suffix, dir=dest.parent)
    try:
        os.fchmod(fd, mode)
        return os.fdopen(fd, "wb"), Path(name)
    except BaseException:
        os.close(fd)
        os.unlink(name)
        raise


def write_atomically(path: Path, data: bytes, mode: int = 0o640, suffix: str = ".tmp") -> None:
    """Write aside (a new mkstemp file: never through a planted link), fsync, rename over."""
    out, tmp = temp_beside(path, suffix=suffix, mode=mode)
    try:
        with out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def copy_beside(src, dest: Path, mode: int = 0o600, suffix: str = ".tmp") -> Path:
    """Copy ``src`` to a new temporary file beside ``dest``, fsync'd; return its path
    (rename it over ``dest`` to finish). Nothing is left behind on failure."""
    out, tmp = temp_beside(dest, suffix, mode)
    try:
        with out, open(src, "rb") as fh:
            shutil.copyfileobj(fh, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp
