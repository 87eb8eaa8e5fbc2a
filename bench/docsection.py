"""What the benchmarks share: each owns one section of a Markdown file, between its
own marker lines, and this puts a new section in place of the old one (or appends it)
and leaves the rest of the file as it was; ``pct``, the percentile they report; and ``timed``."""
from __future__ import annotations

import os
import time
from pathlib import Path


def replace_section(text: str, section: str, heading: str = "# Benchmarks") -> str:
    """``section`` carries its own start and end markers on its first and last line."""
    if not text.strip():
        text = heading + "\n"
    lines = section.splitlines()
    mark_start, mark_end = lines[0], lines[-1]
    start, end = text.find(mark_start), text.find(mark_end)
    if start != -1 and end > start:
        return text[:start] + section + text[end + len(mark_end):]
    return text.rstrip("\n") + "\n\n" + section + "\n"


def write_doc(path: Path, section: str, heading: str = "# Benchmarks") -> Path:
    """Replace the section in ``path`` atomically (another benchmark may write the same file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(replace_section(old, section, heading), encoding="utf-8")
    os.replace(tmp, path)
    return path


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``values``, linear between the nearest ranks; NaN when empty."""
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def timed(fn) -> float:
    """Seconds ``fn()`` took, by the monotonic performance counter."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0
