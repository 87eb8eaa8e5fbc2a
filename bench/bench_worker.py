"""Worker lanes benchmark (issue 16), run by hand:

    .venv/bin/python bench/bench_worker.py            # about 12 minutes on 2 cores
    .venv/bin/python bench/bench_worker.py --quick    # a smoke run, seconds

Part 1, time to reply per lane: a real chatbot-worker answers a mix of 90%
template and 10% LLM questions arriving at a fixed rate (open loop, each from
its own customer, stored straight into the inbox), against an OpenAI-
compatible stand-in that takes G seconds per completion, for several G. Run
three ways in the same run: today's two lanes with [llm] concurrency 1 and 4,
and the single-lane worker as it was before (``chatbot-worker --single-lane``)
as the baseline. Time to reply = stored -> reply handed to the Graph API
stand-in (the outbox's sent_at), p50/p95 per kind of question.

Part 2, LLM throughput against concurrency: 16 LLM questions at once, G = 2 s,
concurrency 1, 2, 4: replies per minute.

Part 3 (``--llama-server PYTHON``): the same burst against llama-cpp-python's
own server (``PYTHON -m llama_cpp.server`` with the bundled model, needs its
``[server]`` extras in that interpreter), to show a real engine behind the
OpenAI-compatible backend. That server (0.3.x) has no parallel slots, so
concurrency 2 only queues at the engine: the figures show the backend works,
not a speed-up (llama.cpp's ``llama-server --parallel N`` is the engine for that).

``--write-doc`` puts the results in docs/BENCHMARKS.md ("Worker lanes").
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "tests"), str(ROOT / "lib")]

from docsection import write_doc  # noqa: E402
from support.graph_stub import GraphStub  # noqa: E402
from support.llm_stub import LLMStub  # noqa: E402
from support.servers import command, free_port, run, wait_http  # noqa: E402

from chatbot import db  # noqa: E402
from chatbot.whatsapp import inbox, sendtest, webhook  # noqa: E402

PHONE_ID = "106540352242922"
TEMPLATE = ["qual o horário de sábado?", "vocês abrem domingo?", "aceita pix?", "qual o endereço?",
            "vocês entregam?", "qto ta o feijao?", "qual o preço do arroz?", "tem promoção hoje?"]
# Small talk the templates cannot answer; each text once (no cache hit).
TOPICS = ["futebol", "novela", "poesia", "cachorro", "gato", "chuva", "música", "cinema", "viagem", "carnaval",
          "forró", "livro", "jogo", "teatro", "xadrez", "bicicleta", "festa", "pescaria", "trabalho", "férias"]


def llm_question(i: int) -> str:
    return f"você gosta de {TOPICS[i % len(TOPICS)]}? {'e ' * (i // len(TOPICS))}me conta"


def pct(values, q):
    if not values:
        return None
    s = sorted(values)
    return s[max(0, min(len(s) - 1, int(-(-q * len(s) // 1)) - 1))]


class Setup:
    """A fresh state directory with the demo store, a config for the stand-ins."""

    def __init__(self, graph_url: str, llm_url: str, concurrency: int, timeout: float = 120.0):
        self.dir = Path(tempfile.mkdtemp(prefix="bench-worker-"))
        self.cfg = self.dir / "chatbot.toml"
        self.cfg.write_text(
            f'[paths]\nstate_dir = "{self.dir / "state"}"\n'
            f'[whatsapp]\napp_secret = "bench-secret"\naccess_token = "bench-token"\n'
            f'api_base_url = "{graph_url}"\nmax_message_age_minutes = 0\n'
            # "normal": on a shared host "idle" measures the other programs' load, not the worker.
            f'[worker]\npoll_interval_seconds = 0.05\ncpu_scheduling = "normal"\n'
            f'[llm]\nenabled = true\nbackend = "openai"\nbase_url = "{llm_url}"\n'
            f'concurrency = {concurrency}\ntimeout_seconds = {timeout}\n')
        r = run("chatbot", self.cfg, "kb", "import", "--demo")
        assert r.returncode == 0, r.stderr
        self.conn = db.connect(self.dir / "state" / "chatbot.db")

    def store(self, text: str, i: int, kind: str) -> None:
        body, _ = sendtest.build_payload(text, f"5585{i:09d}", PHONE_ID)
        batch = webhook.parse(body)
        batch.messages[0].wamid = f"wamid.bench.{kind}.{i}"
        inbox.store_batch(self.conn, batch)

    def open_count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM inbox WHERE status IN ('queued','processing')").fetchone()[0]

    def start_worker(self, single_lane: bool):
        args = ["--single-lane"] if single_lane else []
        proc = command("chatbot-worker", self.cfg, *args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not self.conn.execute("SELECT 1 FROM heartbeats WHERE name='worker'").fetchone():
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.05)
        # One LLM and one template question first: the guard's word list (loaded in the
        # background at start) and the first connections are not part of the measurement.
        self.store("qual seu nome?", 999_999, "warm")
        self.store(TEMPLATE[0], 999_998, "warm")
        while self.open_count():
            assert time.monotonic() < deadline + 120, "the worker did not answer the warm-up"
            time.sleep(0.05)
        return proc

    def results(self) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {"template": [], "llm": []}
        for wamid, received, sent in self.conn.execute(
                "SELECT i.wamid, i.received_at, o.sent_at FROM inbox i JOIN outbox o ON o.inbox_id=i.id"
                " WHERE o.state='sent'"):
            if ".warm." not in wamid:
                out["llm" if ".llm." in wamid else "template"].append(sent - received)
        return out


def stop(proc) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(120)
    except subprocess.TimeoutExpired:
        proc.kill()


def mixed(graph, llm, gen: float, concurrency: int, single_lane: bool, rate: float, seconds: float) -> dict:
    llm.delay = gen
    s = Setup(graph.url, llm.url, concurrency)
    proc = s.start_worker(single_lane)
    n = int(rate * seconds)
    started = time.monotonic()
    try:
        for i in range(n):
            time.sleep(max(0.0, started + i / rate - time.monotonic()))
            if i % 10 == 5:
                s.store(llm_question(i), i, "llm")
            else:
                s.store(TEMPLATE[i % len(TEMPLATE)], i, "tpl")
        deadline = time.monotonic() + 600
        while s.open_count() and time.monotonic() < deadline:
            time.sleep(0.1)
        drained = time.monotonic() - started
    finally:
        stop(proc)
    r = s.results()
    return {"gen": gen, "concurrency": concurrency, "single_lane": single_lane, "messages": n,
            "answered": sum(len(v) for v in r.values()), "drained_s": drained,
            **{f"{k}_{q}": pct(v, p) for k, v in r.items() for q, p in (("p50", 0.5), ("p95", 0.95))}}


def burst(graph, llm_url: str, concurrency: int, n: int, stub=None, gen: float | None = None) -> dict:
    if stub is not None:
        stub.delay = gen
    s = Setup(graph.url, llm_url, concurrency)
    proc = s.start_worker(False)
    try:
        started = time.monotonic()
        for i in range(n):
            s.store(llm_question(i), i, "llm")
        deadline = time.monotonic() + 900
        while s.open_count() and time.monotonic() < deadline:
            time.sleep(0.05)
        took = time.monotonic() - started
    finally:
        stop(proc)
    sources = dict(s.conn.execute("SELECT e.source, COUNT(*) FROM events e JOIN inbox i ON i.id=e.inbox_id"
                                  " WHERE i.wamid LIKE 'wamid.bench.llm.%' GROUP BY e.source").fetchall())
    return {"concurrency": concurrency, "n": n, "seconds": took, "per_minute": n / took * 60, "sources": sources,
            "max_in_flight": stub.max_in_flight if stub is not None else None}


def llama_server(python: str, concurrency: int):
    from chatbot.bot.llm.engine import default_model_path
    port = free_port()
    args = [python, "-m", "llama_cpp.server", "--model", str(default_model_path()), "--host", "127.0.0.1",
            "--port", str(port), "--n_ctx", "2048", "--n_threads", "2", "--interrupt_requests", "False"]
    # llama-cpp-python 0.3's server has no --n_parallel: it answers one request at a time
    # (llama.cpp's own llama-server has --parallel N slots).
    # Its log goes to a file: llama.cpp writes a lot, and a full pipe would stall it.
    log_file = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)
    proc = subprocess.Popen(args, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/v1/models", timeout=120)
    except TimeoutError:
        proc.kill()
        raise SystemExit(f"llama_cpp.server did not start; see {log_file.name}") from None
    return proc, f"http://127.0.0.1:{port}"


def fmt(v, unit="s"):
    return "–" if v is None else f"{v:.2f} {unit}" if v < 10 else f"{v:.1f} {unit}"


def section(res: dict, args) -> str:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cpu = f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}"
    lines = ["<!-- worker-lanes:start -->", "## Worker lanes",
             "", f"Measured {now} on {cpu} (shared), by `python bench/bench_worker.py`"
             f"{' --quick' if args.quick else ''}. An OpenAI-compatible stand-in"
             " (tests/support/llm_stub.py) takes G seconds per completion and serves any number at once;"
             " the Graph API stand-in answers at once. Time to reply: stored in the inbox -> reply handed to"
             " the Graph API. The worker runs with `cpu_scheduling = \"normal\"` (under the default \"idle\""
             " a shared machine's other load would be measured), after one warm-up question of each kind.",
             "", f"### Time to reply, 90% template / 10% LLM questions at {args.rate:g}/s for {args.seconds:g} s",
             "", "| G (s per completion) | worker | template p50 | template p95 | LLM p50 | LLM p95"
                 " | all answered after |",
             "|---|---|---|---|---|---|---|"]
    for r in res["mixed"]:
        who = "single lane (before, baseline)" if r["single_lane"] else f"two lanes, concurrency {r['concurrency']}"
        lines.append(f"| {r['gen']:g} | {who} | {fmt(r['template_p50'])} | {fmt(r['template_p95'])} |"
                     f" {fmt(r['llm_p50'])} | {fmt(r['llm_p95'])} | {fmt(r['drained_s'])}"
                     f" ({r['answered']}/{r['messages']}) |")
    lines += ["", f"### LLM throughput against [llm] concurrency ({res['burst_n']} LLM questions at once)", "",
              "| engine | G | concurrency | time for all | replies per minute | most at once at the engine |",
              "|---|---|---|---|---|---|"]
    for r in res["burst"]:
        lines.append(f"| stand-in | {res['burst_gen']:g} s | {r['concurrency']} | {fmt(r['seconds'])} |"
                     f" {r['per_minute']:.1f} | {r['max_in_flight']} |")
    for r in res.get("llama", []):
        lines.append(f"| llama_cpp.server (bundled SmolLM2-135M, 2 threads), {r['n']} questions | real model |"
                     f" {r['concurrency']} | {fmt(r['seconds'])} | {r['per_minute']:.1f} |"
                     f" 1 (no parallel slots); replies by source: {r['sources']} |")
    lines += ["", "Reading: compare each two-lane row with the single-lane baseline of the same G (template"
              " answers wait behind generations only there); throughput grows with concurrency only when the"
              " engine serves requests in parallel.", "<!-- worker-lanes:end -->"]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny run to check the benchmark works")
    ap.add_argument("--rate", type=float, default=2.0, help="messages per second (default 2)")
    ap.add_argument("--seconds", type=float, default=40.0, help="arrival period per run (default 40)")
    ap.add_argument("--gen", default="2,6", help="completion times of the stand-in, seconds (default 2,6)")
    ap.add_argument("--llama-server", metavar="PYTHON", help="also burst against PYTHON -m llama_cpp.server")
    ap.add_argument("--write-doc", action="store_true", help="write the section into docs/BENCHMARKS.md")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.gen = 5.0, "0.5"
    graph, llm = GraphStub().start(), LLMStub().start()
    res: dict = {"mixed": [], "burst": []}
    try:
        for gen in [float(g) for g in args.gen.split(",")]:
            for single, conc in ((True, 1), (False, 1), (False, 4)):
                r = mixed(graph, llm, gen, conc, single, args.rate, args.seconds)
                print(json.dumps(r), flush=True)
                res["mixed"].append(r)
        res["burst_n"], res["burst_gen"] = (4, 0.5) if args.quick else (16, 2.0)
        for conc in (1, 2, 4):
            llm.max_in_flight = 0
            r = burst(graph, llm.url, conc, res["burst_n"], stub=llm, gen=res["burst_gen"])
            print(json.dumps(r), flush=True)
            res["burst"].append(r)
        if args.llama_server:
            res["llama"] = []
            for conc in (1, 2):
                proc, url = llama_server(args.llama_server, conc)
                try:
                    r = burst(graph, url, conc, 4)
                finally:
                    proc.terminate()
                    proc.wait(30)
                print(json.dumps(r), flush=True)
                res["llama"].append(r)
    finally:
        graph.stop()
        llm.stop()
    text = section(res, args)
    print(text)
    if args.write_doc:
        write_doc(ROOT / "docs" / "BENCHMARKS.md", text)


if __name__ == "__main__":
    main()
