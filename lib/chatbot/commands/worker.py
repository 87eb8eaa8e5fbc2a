"""chatbot-worker: answer the inbox until stopped."""
from __future__ import annotations

import logging
import os
import signal
import sys

import click

from .common import config_option, expected_failures, load_config

log = logging.getLogger("chatbot.worker")


@click.command(help="""Answer queued WhatsApp messages until stopped.

Template, cache, handoff and "I only read text" replies go out from the fast
lane; messages only the language model can answer wait in the LLM lane, which
writes up to [llm] concurrency replies at once. SIGTERM finishes the messages
in hand, gives back every other lease and exits.

\b
Example:
    CHATBOT_CONFIG=/etc/chatbot/chatbot.toml chatbot-worker
""")
@config_option
@click.option("--exit-when-idle", type=float, metavar="SECONDS",
              help="Exit after this many idle seconds (tests and one-off drains).")
@click.option("--single-lane", is_flag=True,
              help="One loop answers every message in arrival order, LLM replies included (the worker"
                   " before the LLM lane; for benchmarks and as a fallback).")
@expected_failures
def main(config_path, exit_when_idle, single_lane):
    from ..worker import Worker, lower_priority
    cfg = load_config(config_path)
    lower_priority(cfg.worker.nice, cfg.worker.cpu_scheduling)
    worker = Worker(cfg)

    def stop(signum, _frame):
        log.info("received %s: finishing the messages in hand", signal.Signals(signum).name)
        worker.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    mode = "sandbox (replies recorded, not sent)" if cfg.whatsapp.sandbox else "live"
    log.info("chatbot-worker started in %s mode, database %s", mode, cfg.db_path)
    worker.run(max_idle_seconds=exit_when_idle, single_lane=single_lane)
    end_process()


def end_process() -> None:
    """End the process now that its state is safe: every reply is committed, the
    leases are given back and systemd was told STOPPING=1.

    No interpreter teardown follows (os._exit). A generation past its deadline
    may still run inside llama.cpp in a daemon thread (it cannot be stopped), so
    freeing the model is not always safe, and the teardown's order (Python's
    finalizers, then ggml's and OpenMP's C++ destructors while such a thread
    runs) is not ours to choose: on a real systemd it ended in SIGSEGV after
    every clean stop, and the unit was marked failed. The kernel frees the
    model's memory; SQLite needs no close after a commit (the next connection
    takes over the WAL, as after any crash)."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0)
