"""A tiny run of bench/bench_bot.py so the benchmark cannot rot: real
pipeline, real model, a real worker process for RSS. No timing assertions:
the numbers belong in docs/BENCHMARKS.md, not here."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from support.servers import ROOT


@pytest.mark.slow
@pytest.mark.llm
def test_bench_bot_runs(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_bot.py"), "--rounds", "1",
                           "--llm-calls", "3", "--tps-reps", "2", "--quote-rounds", "5", "--hostile-rounds", "2",
                           "--no-write"],
                          capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "<!-- bot-bench:begin -->" in out and "## Bot" in out
    assert re.search(r"\| template \| [\d.]+ \| [\d.]+ \| \d+ \|", out)
    assert re.search(r"\| cache hit \| [\d.]+ \| [\d.]+ \| \d+ \|", out)
    assert re.search(r"Ratio product/bare.*\*\*[\d.]+\*\*", out)
    rss = re.search(r"model loaded\) \| (\d+) MiB", out)
    assert rss and int(rss.group(1)) > 100          # the worker really holds the model
    assert re.search(r"\| off \| \d+/\d+ \([\d.]+%\) \| \d+/\d+ \| 0 \|", out)
    assert re.search(r"\| on \(SmolLM2-135M\) \| \d+/\d+ \([\d.]+%\) \| \d+/\d+ \| 0 \|", out)
    assert "<!-- bot-quotes:begin -->" in out
    assert re.search(r"\| quote, 40-item list \| [\d.]+ \| [\d.]+ \| 5 \|", out)
    assert re.search(r"as intended.*: 0\.", out)
    assert "<!-- bot-hostile:begin -->" in out and "## Bot: hostile text" in out
    assert re.search(r"\| pasted 60-line shopping list \| [\d,]+ \| [\d.]+ \| [\d.]+ \|", out)
