"""chatbot users: staff accounts for the web pages."""
from __future__ import annotations

import sys

import click

from .. import accounts, db, formats, push
from .common import Failure, config_option, echo_json, expected_failures, json_option

# The code or the word staff use: operator/atendente, manager/gerente, admin/administrador.
ROLE = click.Choice(accounts.ROLES + tuple(accounts.ROLE_LABELS[r] for r in accounts.ROLES), case_sensitive=False)


@click.group(help="""Staff accounts for the web pages (operators, managers, admins).

\b
Roles: operator  = the inbox and conversations;
       manager   = an operator's rights + catalog, FAQ, unanswered questions;
       admin     = everything (dashboard, backups, test message, users).

\b
Examples:
    chatbot users add ana --role operator          # asks for the password twice
    chatbot users add "João Silva" --role gerente  # names with accents and spaces; roles in Portuguese too
    printf '%s\\n%s\\n' "$PW" "$PW" | chatbot users add ana --role operator
    chatbot users passwd ana                        # also ends ana's sessions
    chatbot users list
    chatbot users remove ana
""")
def users():
    pass


def read_password(prompt: str = "Password") -> str:
    """From the terminal (hidden, asked twice), or two lines of stdin (new + repeat).
    Never from an argument: /proc and shell history would show it."""
    if sys.stdin.isatty():
        first = click.prompt(prompt, hide_input=True)
        second = click.prompt("Repeat", hide_input=True)
    else:
        first, second = sys.stdin.readline(), sys.stdin.readline()
        if not first.endswith("\n") or not second.endswith("\n"):
            raise Failure("give the password twice on stdin, one line each (new, then repeat)", code=2)
        first, second = first.rstrip("\r\n"), second.rstrip("\r\n")
    if first != second:
        raise Failure("the two passwords differ; nothing changed", code=2)
    try:
        accounts.check_password(first)
    except accounts.AccountError as exc:
        raise Failure(str(exc), code=2) from None
    return first


def _conn(config_path):
    # Started with sudo: become the state directory's owner first (as the jobs
    # do), so a -wal/-shm file we create stays usable by the services.
    from .jobs import job_config
    return db.connect(job_config(config_path).db_path)


@users.command("add")
@click.argument("name")
@click.option("--role", type=ROLE, required=True,
              help="operator (atendente), manager (gerente) or admin (administrador).")
@config_option
@expected_failures
def add(name, role, config_path):
    """Create the account NAME; the password is asked for (or read from stdin twice).

    \b
    Example:
        chatbot users add ana --role operator
    """
    conn = _conn(config_path)
    try:
        accounts.check_name(name)
        if accounts.get(conn, name) is not None:
            raise accounts.AccountError(f"user {name!r} already exists")
        password = read_password()
        user = accounts.add(conn, name, role, password)
    except accounts.AccountError as exc:
        raise Failure(str(exc), code=2) from None
    click.echo(f"added {user.name} ({user.role})")


@users.command("list")
@json_option
@config_option
@expected_failures
def list_(as_json, config_path):
    """List the accounts, their role, open sessions and last activity."""
    rows = accounts.listing(_conn(config_path))
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no users (add one: chatbot users add NAME --role operator)")
        return
    click.echo(f"{'name':<20} {'role':<9} {'sessions':>8}  last seen (UTC)")
    for r in rows:
        seen = formats.utc(r["last_seen"], zone=False) if r["last_seen"] else "never"
        click.echo(f"{r['name']:<20} {r['role']:<9} {r['sessions']:>8}  {seen}")


# The commands share the shape of their decorator stack and docstring (as in commands/bot.py:
# `duplicates` pairs passwd with remove); what they share is a decorator in commands/common.py.
@users.command("passwd")
@click.argument("name")
@config_option
@expected_failures
def passwd(name, config_path):
    """Set a new password for NAME and end all of NAME's sessions.

    \b
    Example:
        chatbot users passwd ana
    """
    conn = _conn(config_path)
    if accounts.get(conn, name) is None:
        raise Failure(f"no user {name!r}", code=1)
    password = read_password("New password")
    try:
        ended = accounts.set_password(conn, name, password)
    except accounts.AccountError as exc:
        raise Failure(str(exc)) from None
    click.echo(f"password changed for {name}; {ended} session(s) ended")


@users.command("role")
@click.argument("name")
@click.argument("role", type=ROLE)
@config_option
@expected_failures
def role(name, role, config_path):
    """Give NAME another role (takes effect on NAME's next request).

    \b
    Example:
        chatbot users role ana manager
    """
    try:
        role = accounts.role_of(role)
        accounts.set_role(_conn(config_path), name, role)
    except accounts.AccountError as exc:
        raise Failure(str(exc)) from None
    click.echo(f"{name} is now {role}")


@users.command("remove")
@click.argument("name")
@config_option
@expected_failures
def remove(name, config_path):
    """Remove the account NAME; its sessions end at once.

    \b
    Example:
        chatbot users remove ana
    """
    conn = _conn(config_path)
    try:
        ended = accounts.remove(conn, name)
    except accounts.AccountError as exc:
        raise Failure(str(exc)) from None
    push.forget_user(conn, name)            # their phones stop ringing
    click.echo(f"removed {name}; {ended} session(s) ended")


@users.command("logout")
@click.argument("name", required=False)
@click.option("--all", "everyone", is_flag=True, help="End every session, admin-token logins included.")
@config_option
@expected_failures
def logout(name, everyone, config_path):
    """End NAME's web sessions (or everyone's with --all) without changing passwords.

    \b
    Examples:
        chatbot users logout ana
        chatbot users logout --all
    """
    if bool(name) == everyone:
        raise Failure("give a user name or --all", code=2)
    try:
        ended = accounts.end_sessions(_conn(config_path), None if everyone else name)
    except accounts.AccountError as exc:
        raise Failure(str(exc)) from None
    click.echo(f"{ended} session(s) ended")
