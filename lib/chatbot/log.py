"""Logging to stdout/stderr for journald.

Each line starts with a ``<N>`` syslog priority prefix when running under
systemd (``$JOURNAL_STREAM`` is set), so ``journalctl -p err`` finds errors.
Phone numbers are masked to their last four digits and secret values are
replaced before anything is written: customers' numbers stay in the
database only, and a token never reaches the journal.
"""
from __future__ import annotations

import logging
import os
import re
import sys

_PRIORITY = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4,
             logging.INFO: 6, logging.DEBUG: 7}
# Brazilian mobile numbers in E.164 without '+' are 12-13 digits; catch 10-15.
_PHONE = re.compile(r"(?<![\w.])\+?(\d{6,11})(\d{4})(?![\w])")


def mask_phone(number: str) -> str:
    number = str(number or "")
    return "*" * max(len(number) - 4, 0) + number[-4:]


def remove_secrets(text: str, secrets: list[str] = ()) -> str:
    """The configured secrets (tokens, passwords) replaced by ***."""
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "***")
    return text


def scrub(text: str, secrets: list[str] = ()) -> str:
    """For the journal: secrets out, and customers' phone numbers masked."""
    return _PHONE.sub(lambda m: "*" * len(m.group(1)) + m.group(2), remove_secrets(text, secrets))


def scrub_tree(obj, secrets: list[str]):
    """Every string in a JSON-like tree that quotes a secret, scrubbed: free
    text from other modules (alert details, job messages, health details) may
    quote a configuration value before it reaches a page or a JSON answer."""
    if isinstance(obj, str):
        return scrub(obj, secrets) if any(s and s in obj for s in secrets) else obj
    if isinstance(obj, dict):
        return {k: scrub_tree(v, secrets) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [scrub_tree(v, secrets) for v in obj]
    return obj


class _Formatter(logging.Formatter):
    def __init__(self, journald: bool, secrets: list[str]):
        fmt = "%(name)s: %(message)s" if journald else "%(asctime)s %(levelname)s %(name)s: %(message)s"
        super().__init__(fmt)
        self.journald = journald
        self.secrets = list(secrets)

    def format(self, record):
        text = scrub(super().format(record), self.secrets)
        if self.journald:
            prio = _PRIORITY.get(record.levelno, 6)
            text = "\n".join(f"<{prio}>{line}" for line in text.splitlines() or [""])
        return text


def under_journald() -> bool:
    """Is stderr the journal? systemd sets ``$JOURNAL_STREAM`` for a unit's output."""
    return bool(os.environ.get("JOURNAL_STREAM"))


def setup(level: str | int = "INFO", secrets: list[str] = (), stream=None) -> None:
    """Configure the root logger once per process."""
    journald = under_journald()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_Formatter(journald, secrets))
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(os.environ.get("CHATBOT_LOG_LEVEL", level))
    # waitress logs its INFO chatter, and "Task queue depth is N" at WARNING for
    # every request that waits for a thread: thousands of journal lines a
    # minute under load (and measurable CPU). Queue depth shows on /metrics and
    # the dashboard's latency instead.
    logging.getLogger("waitress").setLevel(logging.WARNING)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
