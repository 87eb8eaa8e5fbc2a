"""bench/bench_orders.py runs end to end on tiny numbers and prints its section (nothing written)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_orders_bench_runs():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_orders.py"), "--customers", "2", "--rounds",
                          "2", "--orders", "20", "--no-write"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "<!-- orders-bench:begin -->" in out.stdout and "### /pedidos with 20 open orders" in out.stdout
    assert "The checkout adds" in out.stdout and "wrote" not in out.stdout
