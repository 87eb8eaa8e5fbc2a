"""What every command shares: loading the config once, and turning expected
failures into one clear line and a non-zero exit instead of a traceback."""
from __future__ import annotations

import functools
import json
import logging
import os
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
        click.echo(f"<3>error: {self.format_message()}" if log.under_journald() else f"error: {self.format_message()}",
                   err=True)


def load_config(path: str | None = None) -> config_mod.Config:
    """Load the config once, with the secrets the units get from their
    EnvironmentFile when they are not in our environment and that file is
    readable (``sudo chatbot send-test``). Run as root, become the owner of the
    state directory before touching anything in it."""
    as_root = os.geteuid() == 0
    try:
        cfg = config_mod.load(path, env_file=True)
    except config_mod.ConfigError as exc:
        raise Failure(str(exc), code=2) from None
    log.setup(secrets=cfg.secrets())
    if as_root:
        drop_to_state_owner(cfg)
    for note in cfg.notes:
        logging.getLogger("chatbot.config").warning("%s", note)
    return cfg


def one_line(exc: BaseException) -> str | None:
    """The operator's one line for a failure they can meet (locked database,
    full disk, permissions, a missing file); None for a bug."""
    if isinstance(exc, sqlite3.Error):
        return db.describe_error(exc)
    if isinstance(exc, OSError):
        if db.is_disk_full(exc):
            return db.describe_error(exc)
        if isinstance(exc, PermissionError):
            return f"permission denied: {exc.filename or exc}"
        return f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
    return None


def drop_to_state_owner(cfg) -> None:
    """Become the state directory's owner (the service user) when run as root.

    That directory and everything in it belong to the service user: root
    working in it would follow any symlink that user planted (a
    ``kb/.store.toml.tmp`` pointing at /etc/shadow) and leave root-owned files
    the services cannot open. A state directory owned by root (a checkout,
    nothing installed yet) keeps root."""
    try:
        st = os.stat(cfg.state_dir)
    except OSError:
        return
    if st.st_uid != 0:
        os.setgroups([])
        os.setgid(st.st_gid)
        os.setuid(st.st_uid)


def expected_failures(fn):
    """Map the failures an operator can meet to one line and exit 1."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (sqlite3.Error, OSError) as exc:
            raise Failure(one_line(exc)) from None
    return wrapper


def echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


config_option = click.option("--config", "config_path", envvar="CHATBOT_CONFIG", metavar="FILE",
                             help="Configuration file (default $CHATBOT_CONFIG or /etc/chatbot/chatbot.toml).")


def json_option(fn=None, *, help: str = "Print the result as JSON."):
    """Every command's ``--json`` flag (the ``as_json`` argument)::

        @json_option
        @json_option(help="Print reply, intent and source as JSON.")
    """
    option = click.option("--json", "as_json", is_flag=True, help=help)
    return option(fn) if fn is not None else option


def stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
