"""What every command shares: loading the config once, and turning expected
failures into one clear line and a non-zero exit instead of a traceback."""
from __future__ import annotations

import functools
import json
import logging
import sqlite3
import sys

import click

from .. import config as config_mod
from .. import db, log


class Failure(click.ClickException):
    """An expected failure: printed as one line, exit status 1 (or ``code``)."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.exit_code = code

    def show(self, file=None):
        click.echo(f"<3>error: {self.format_message()}" if _journald() else f"error: {self.format_message()}",
                   err=True)


def _journald() -> bool:
    import os
    return bool(os.environ.get("JOURNAL_STREAM"))


def load_config(path: str | None = None) -> config_mod.Config:
    try:
        cfg = config_mod.load(path)
    except config_mod.ConfigError as exc:
        raise Failure(str(exc), code=2) from None
    log.setup(secrets=cfg.secrets())
    for note in cfg.notes:
        logging.getLogger("chatbot.config").warning("%s", note)
    return cfg


def expected_failures(fn):
    """Map the failures an operator can meet (locked database, full disk,
    permissions) to one line and exit 1."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except sqlite3.Error as exc:
            raise Failure(db.describe_error(exc)) from None
        except PermissionError as exc:
            raise Failure(f"permission denied: {exc.filename or exc}") from None
        except OSError as exc:
            if exc.errno == 28:
                raise Failure("disk is full: free space on the state filesystem") from None
            raise Failure(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")) from None
    return wrapper


def echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


config_option = click.option("--config", "config_path", envvar="CHATBOT_CONFIG", metavar="FILE",
                             help="Configuration file (default $CHATBOT_CONFIG or /etc/chatbot/chatbot.toml).")


def stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
