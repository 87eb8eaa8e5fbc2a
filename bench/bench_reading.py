#!/usr/bin/env python3
"""Benchmark: the bot's template-path latency (issue 19: reply p95 still under 50 ms), on the code of
two git revisions measured in one run on one machine: a baseline revision (before the reading work)
and the current HEAD of the integrator's checkout.

Each revision gets a detached worktree under /tmp; every measurement runs in a subprocess with that
worktree's ``lib`` and ``tests`` first on the path, so each side imports its own code. Both sides
read the same messages, from the HEAD worktree's ``tests/data`` (the baseline lacks some stores):
the teststore evaluation set and the eval3 ... eval9 sets, each item on its own store. In each
subprocess, as ``tests/test_bot_eval3.py``'s ``run_set`` does: a fresh SQLite file per store (so the
response cache starts empty), ``import_kb``, ``build_bot(preload=False)``, LLM off, the clock frozen
on Wednesday 2026-12-02 10:00 America/Fortaleza and moved 20 s after each message; one customer per
item, its earlier messages sent first, untimed; ``Bot.answer`` timed with ``time.perf_counter`` (and
the thread's CPU time beside it). Before the timed part each subprocess answers a few messages on a
scratch database, so first imports and compiled patterns are not charged to the first item.

Runs are interleaved (base, head, base, head, ...). Per side: p50, p95, p99 (the median of the runs'
values), the max over all runs, and head/base, for all messages, template replies only, and the
messages with digits (quotes, lists); an item the baseline (or HEAD) raised on is skipped on both
sides and counted. Run by hand, never by ./test.sh; ``--write`` replaces its section of
docs/BENCHMARKS.md.

    .venv/bin/python bench/bench_reading.py                 # print the table
    .venv/bin/python bench/bench_reading.py --write         # and write docs/BENCHMARKS.md
    .venv/bin/python bench/bench_reading.py --runs 1 --base 1d01be7
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docsection import pct, replace_section  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MAIN = Path("/work/main")
PYTHON = MAIN / ".venv" / "bin" / "python"
BASE_REV = "1d01be7"
SETS = ("teststore/eval_ptbr.jsonl", "eval3/tune.jsonl", "eval3/heldout.jsonl", "eval4/tune.jsonl",
        "eval4/heldout.jsonl") + tuple(f"eval{n}/heldout.jsonl" for n in range(5, 10)) \
    + ("eval10/heldout.jsonl", "eval11/tune.jsonl", "eval12/tune.jsonl", "eval13/heldout.jsonl", "eval14/tune.jsonl",
       "eval15/tune.jsonl", "eval16/heldout.jsonl", "eval17/heldout.jsonl")
# Wednesday 2026-12-02, 10:00 in the stores' zone (UTC-3), as tests/test_bot_eval3.py.
WEDNESDAY_10H = dt.datetime(2026, 12, 2, 13, 0, tzinfo=dt.timezone.utc).timestamp()
TARGET_MS = 50.0
BEGIN, END = "<!-- bot-reading:begin -->", "<!-- bot-reading:end -->"
AFTER = "<!-- bot-eval3:end -->"


def load_items(data: Path) -> list[dict]:
    """Every message to time, in a fixed order: set, store, key, text, earlier messages."""
    items = []
    for rel in SETS:
        path = data / rel
        name = f"{path.parent.name}-{path.stem}"
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            it = json.loads(line)
            items.append({"key": f"{name}:{it['id']}", "set": name, "store": it.get("store", "teststore"),
                          "text": it["text"], "context": it.get("context") or it.get("setup") or []})
    return items


# -- the child: one revision's code, one run -------------------------------------------------------------

def child(tree: Path, data: Path, out: Path) -> None:
    """Runs with PYTHONPATH=<tree>/lib; <tree>/tests goes first on sys.path for support.configs."""
    sys.path.insert(0, str(tree / "tests"))
    import chatbot
    from chatbot import clock, db
    from chatbot.bot import pipeline
    from chatbot.bot.types import Question
    from support.configs import make_cfg
    try:
        from chatbot.bot.store import knowledge      # bot/ in rooms
    except ImportError:
        from chatbot.bot import knowledge            # a baseline from before the rooms
    assert Path(chatbot.__file__).resolve().is_relative_to(tree.resolve()), chatbot.__file__

    items = load_items(data)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-reading-") as tmp:
        def build(store: str, name: str):
            cfg = make_cfg(Path(tmp) / name, bot={"store_timezone": "America/Fortaleza"})
            Path(cfg.db_path).parent.mkdir(parents=True, exist_ok=True)
            conn = db.connect(cfg.db_path)
            folder = data / store
            knowledge.import_kb(conn, folder / "catalog.csv", folder / "store.toml")
            return conn, pipeline.build_bot(cfg, conn, preload=False)

        clock.freeze(WEDNESDAY_10H)
        try:
            conn, bot = build("teststore", "warm")            # warm-up on a scratch database, thrown away
            for n, text in enumerate(["qto ta o feijao preto?", "vcs entregam no centro?", "2 arroz 3 feijao",
                                      "qual o horario de vcs?", "oi"]):
                bot.answer(Question(text=text, wa_id=f"5500000000{n}"))
            conn.close()
            for store in dict.fromkeys(it["store"] for it in items):
                conn, bot = build(store, store)
                try:
                    for n, it in enumerate(items):
                        if it["store"] != store:
                            continue
                        wa_id = f"5531{n + 1:09d}"                 # one customer per item
                        try:
                            for earlier in it["context"]:
                                bot.answer(Question(text=earlier, wa_id=wa_id))
                                clock.advance(20)
                            cpu, t = time.thread_time(), time.perf_counter()
                            reply = bot.answer(Question(text=it["text"], wa_id=wa_id))
                            ms, cpu_ms = (time.perf_counter() - t) * 1000, (time.thread_time() - cpu) * 1000
                            results[it["key"]] = {"ms": ms, "cpu_ms": cpu_ms, "source": reply.source,
                                                  "intent": reply.intent}
                        except Exception as exc:                   # counted, and the item skipped on both sides
                            results[it["key"]] = {"error": repr(exc)[:300]}
                        clock.advance(20)
                finally:
                    conn.close()
        finally:
            clock.unfreeze()
    out.write_text(json.dumps(results), encoding="utf-8")


# -- the parent: worktrees, interleaved runs, the table ------------------------------------------------------

def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(MAIN), *args], check=True, capture_output=True, text=True).stdout.strip()


def run_side(tree: Path, data: Path, tmp: Path, label: str) -> dict:
    out = tmp / f"{label}.json"
    env = dict(os.environ, PYTHONPATH=str(tree / "lib"))
    proc = subprocess.run([str(PYTHON), str(Path(__file__).resolve()), "--child", str(tree), str(data), str(out)],
                          env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{label}: the measurement failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(out.read_text(encoding="utf-8"))


def stats(runs: list[dict], keys: list[str], field: str = "ms") -> dict:
    """p50/p95/p99: the median of the runs' values; max: over all runs."""
    per_run = [[r[k][field] for k in keys] for r in runs]
    med = lambda q: statistics.median(pct(v, q) for v in per_run) if keys else float("nan")  # noqa: E731
    return {"p50": med(0.5), "p95": med(0.95), "p99": med(0.99),
            "max": max((max(v) for v in per_run if v), default=float("nan")), "n": len(keys)}


def template_keys(runs: list[dict], keys: list[str]) -> list[str]:
    """Answered by a template (not the cache, not a fallback) in every run of the side."""
    return [k for k in keys if all(r[k]["source"] == "template" for r in runs)]


def measure(runs_per_side: int, base_rev: str) -> dict:
    head = git("rev-parse", "HEAD")
    base = git("rev-parse", base_rev)
    print(f"baseline {base}\nHEAD     {head}", flush=True)
    started = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "load": os.getloadavg(),
               "platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()}
    tag = f"{os.getpid()}"
    trees = {"base": Path(f"/tmp/bench-base-{tag}"), "head": Path(f"/tmp/bench-head-{tag}")}
    added = []
    try:
        for side, rev in (("base", base), ("head", head)):
            git("worktree", "add", "--detach", str(trees[side]), rev)
            added.append(trees[side])
        data = trees["head"] / "tests" / "data"
        items = load_items(data)
        runs: dict[str, list[dict]] = {"base": [], "head": []}
        with tempfile.TemporaryDirectory(prefix="bench-reading-out-") as tmp:
            for r in range(runs_per_side):
                for side in ("base", "head"):
                    t = time.monotonic()
                    runs[side].append(run_side(trees[side], data, Path(tmp), f"{side}{r}"))
                    print(f"run {r + 1}/{runs_per_side} {side}: {time.monotonic() - t:.0f} s", flush=True)
    finally:
        for tree in added:
            git("worktree", "remove", "--force", str(tree))
    return {"base": base, "head": head, "machine": started, "items": items, "runs": runs}


def summarize(m: dict) -> dict:
    items, runs = m["items"], m["runs"]
    errors = {side: sorted({k for r in runs[side] for k, v in r.items() if "error" in v}) for side in runs}
    first_error = {side: next((r[k]["error"] for r in runs[side] for k in errors[side] if k in r
                               and "error" in r[k]), None) for side in runs}
    skipped = set(errors["base"]) | set(errors["head"])
    keys = [it["key"] for it in items if it["key"] not in skipped]
    digits = {it["key"] for it in items if any(c.isdigit() for c in it["text"])}
    tpl = {s: template_keys(runs[s], keys) for s in runs}
    groups = [("all messages", {s: keys for s in runs}, "ms"),
              ("template replies only", tpl, "ms"),
              ("messages with digits (quotes, lists)", {s: [k for k in keys if k in digits] for s in runs}, "ms"),
              ("messages with digits, template replies only", {s: [k for k in tpl[s] if k in digits] for s in runs},
               "ms"),
              ("template replies only, CPU time", tpl, "cpu_ms"),
              ("messages with digits, template replies only, CPU time",
               {s: [k for k in tpl[s] if k in digits] for s in runs}, "cpu_ms")]
    table = {g: {s: stats(runs[s], ks[s], field) for s in runs} for g, ks, field in groups}
    sources = {s: {} for s in runs}
    for s in runs:
        for k in keys:
            src = runs[s][0][k]["source"]
            sources[s][src] = sources[s].get(src, 0) + 1
    slowest = {s: sorted(((statistics.median(r[k]["ms"] for r in runs[s]), k) for k in keys), reverse=True)[:3]
               for s in runs}
    return {"table": table, "sources": sources, "errors": errors, "first_error": first_error,
            "items": len(items), "kept": len(keys), "slowest": slowest,
            "texts": {it["key"]: it["text"] for it in items}}


def fmt(x: float) -> str:
    return "n/a" if x != x else f"{x:.1f}"


def ratio(head: float, base: float) -> str:
    return fmt(head / base) if base == base and base > 0 else "n/a"


def report(m: dict, s: dict, runs_per_side: int) -> str:
    mc = m["machine"]
    rows = []
    for group, sides in s["table"].items():
        b, h = sides["base"], sides["head"]
        for side, v in (("base", b), ("HEAD", h)):
            rows.append(f"| {group} | {side} | {v['n']} | {fmt(v['p50'])} | {fmt(v['p95'])} | {fmt(v['p99'])} | "
                        f"{fmt(v['max'])} |")
        rows.append(f"| {group} | HEAD/base | | " + " | ".join(ratio(h[q], b[q]) for q in ("p50", "p95", "p99", "max"))
                    + " |")
    tp95 = s["table"]["template replies only"]["head"]["p95"]
    cpu95 = s["table"]["template replies only, CPU time"]["head"]["p95"]
    met = "met" if tp95 < TARGET_MS else "NOT met"
    src = lambda side: ", ".join(f"{k} {v}" for k, v in sorted(s["sources"][side].items(),  # noqa: E731
                                                                   key=lambda kv: -kv[1]))
    skipped = []
    for side, label in (("base", "the baseline"), ("head", "HEAD")):
        if s["errors"][side]:
            n = len(s["errors"][side])
            skipped.append(f"{label} raised on {n} item{'s' if n != 1 else ''} ({', '.join(s['errors'][side][:6])}"
                           f"{', ...' if len(s['errors'][side]) > 6 else ''}; first: `{s['first_error'][side]}`)")
    skip_line = ("Skipped on both sides because " + "; ".join(skipped) + "." if skipped
                 else "No item raised on either side.")
    slow = lambda side: "; ".join(f"{ms:.0f} ms {json.dumps(s['texts'][k][:60], ensure_ascii=False)}"  # noqa: E731
                                  for ms, k in s["slowest"][side])
    return "\n".join([
        BEGIN, "## Bot: reading latency, baseline beside HEAD (issue 19)", "",
        f"Measured by `bench/bench_reading.py` on {mc['date']}: `{mc['platform']}`, {mc['cpus']} CPUs, Python "
        f"{mc['python']}; load average at start {mc['load'][0]:.2f} / {mc['load'][1]:.2f} / {mc['load'][2]:.2f} "
        "(a shared machine: other work ran alongside). Revisions: baseline "
        f"`{m['base'][:10]}` (before the reading work of issue 19's session), HEAD `{m['head'][:10]}`. Each side's "
        "code in its own worktree and subprocess; both read the same messages (HEAD's `tests/data`): "
        + ", ".join(f"`{x}`" for x in SETS) + f", {s['items']} items, {s['kept']} kept. `Bot.answer` on a real "
        "SQLite file, a fresh one per store per run (the response cache starts empty), LLM off, clock frozen on a "
        "Wednesday 10:00, one customer per item, its earlier messages first and untimed. "
        f"{runs_per_side} run{'s' if runs_per_side != 1 else ''} per side, interleaved; p50/p95/p99 are the median "
        "of the runs' values, max is over all runs; ms of wall-clock time from call to return, except the CPU "
        "time rows.", "",
        "| messages | side | n | p50 ms | p95 ms | p99 ms | max ms |", "|---|---|---:|---:|---:|---:|---:|",
        *rows, "",
        f"Reply sources (first run), baseline: {src('base')}; HEAD: {src('head')}. \"Template replies only\" are "
        "the items a template answered in every run of that side, so the two sides' sets differ where the reading "
        f"changed. Wall-clock time includes the commit's fsync of the SQLite file (synchronous=FULL) on the "
        "machine's shared disk and the moments the core went to other work; CPU time is the answering thread's "
        "own. "
        f"Slowest items (median of runs), baseline: {slow('base')}. HEAD: {slow('head')}. "
        + skip_line, "",
        f"Target (issue 19): reply p95 < {TARGET_MS:.0f} ms on the template path: **{met}** on HEAD "
        f"({fmt(tp95)} ms wall-clock, {ratio(tp95, s['table']['template replies only']['base']['p95'])}x the "
        f"baseline's {fmt(s['table']['template replies only']['base']['p95'])} ms; CPU time p95 {fmt(cpu95)} ms).",
        END])


def write_section(path: Path, section: str) -> None:
    """Replace the section, or put it right after the eval3 section (at the end if that is absent)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN not in text and AFTER in text:
        at = text.index(AFTER) + len(AFTER)
        text = text[:at] + "\n\n" + section + text[at:]
    else:
        text = replace_section(text, section)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per side, interleaved")
    ap.add_argument("--base", default=BASE_REV, help="the baseline revision")
    ap.add_argument("--write", action="store_true", help="replace the section of docs/BENCHMARKS.md")
    ap.add_argument("--raw", type=Path, help="also save every latency and reply source to this JSON file")
    args = ap.parse_args()
    m = measure(args.runs, args.base)
    if args.raw:
        args.raw.write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")
    section = report(m, summarize(m), args.runs)
    print(section)
    if args.write:
        write_section(ROOT / "docs" / "BENCHMARKS.md", section)
        print(f"wrote {ROOT / 'docs' / 'BENCHMARKS.md'}")


if __name__ == "__main__":
    main()
