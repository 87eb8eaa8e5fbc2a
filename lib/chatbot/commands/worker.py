"""chatbot-worker: answer the inbox until stopped."""
from __future__ import annotations

import logging
import signal

import click

from .common import config_option, expected_failures, load_config

log = logging.getLogger("chatbot.worker")


@click.command(help="""Answer queued WhatsApp messages until stopped.

SIGTERM finishes the message in hand, gives back any lease and exits.

\b
Example:
    CHATBOT_CONFIG=/etc/chatbot/chatbot.toml chatbot-worker
""")
@config_option
@click.option("--exit-when-idle", type=float, metavar="SECONDS",
              help="Exit after this many idle seconds (tests and one-off drains).")
@expected_failures
def main(config_path, exit_when_idle):
    from ..worker import Worker, lower_priority
    cfg = load_config(config_path)
    lower_priority(cfg.worker.nice, cfg.worker.cpu_scheduling)
    worker = Worker(cfg)

    def stop(signum, _frame):
        log.info("received %s: finishing the current message", signal.Signals(signum).name)
        worker.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    mode = "sandbox (replies recorded, not sent)" if cfg.whatsapp.sandbox else "live"
    log.info("chatbot-worker started in %s mode, database %s", mode, cfg.db_path)
    worker.run(max_idle_seconds=exit_when_idle)
