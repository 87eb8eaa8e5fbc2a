"""Percentiles, the one way every figure here computes them: the metrics job,
the latency alert and the benchmarks.

``statistics.quantiles`` with the inclusive method: linear interpolation
between the closest ranks, so p95 of a handful of samples is not simply the
largest one.
"""
from __future__ import annotations

import statistics


def percentile(values, q: float) -> float | None:
    """The ``q`` quantile (0 < q < 1) of ``values``; None when there are none."""
    data = list(values)
    if not data:
        return None
    if len(data) == 1:
        return data[0]
    if not 0 < q < 1:
        raise ValueError(f"quantile {q!r} is not between 0 and 1")
    cuts = statistics.quantiles(data, n=1000, method="inclusive")
    return cuts[round(q * 1000) - 1]
