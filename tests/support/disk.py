"""A disk that fills up: the tmpfs of conftest's ``small_fs`` fixture, filled to the last byte."""
from __future__ import annotations


def fill_disk(folder):
    """Fill the filesystem under ``folder``; remove the returned file to give the space back."""
    filler = folder / "filler"
    with open(filler, "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    return filler
