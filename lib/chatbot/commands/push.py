"""chatbot push: Web Push for staff's phones."""
from __future__ import annotations

import click

from .. import push as push_mod
from .common import config_option, echo_json, expected_failures, load_config


@click.group(help="""Web Push: staff's phones ring when a customer waits for a person.

\b
Examples:
    chatbot push keys        # make the VAPID key pair (install.sh does it; for installs made before)
    chatbot push status
""")
def push():
    pass


@push.command("keys")
@config_option
@expected_failures
def keys(config_path):
    """Make the VAPID key pair in the state directory unless it exists (never replaced:
    devices subscribed with the old key would stop ringing)."""
    cfg = load_config(config_path)
    path = push_mod.key_path(cfg)
    made = push_mod.make_keys(path)
    click.echo(f"{'made' if made else 'kept the existing'} VAPID key {path}; public key {push_mod.public_key(cfg)}")


@push.command("status")
@click.option("--json", "as_json", is_flag=True)
@config_option
@expected_failures
def status(as_json, config_path):
    """Whether the key exists and how many devices of each account receive pushes."""
    from .. import db
    cfg = load_config(config_path)
    conn = db.connect(cfg.db_path)
    per_user = {r[0]: r[1] for r in conn.execute(
        "SELECT user_name, COUNT(*) FROM push_subscriptions GROUP BY user_name ORDER BY user_name")}
    out = {"key": str(push_mod.key_path(cfg)), "public_key": push_mod.public_key(cfg), "devices": per_user}
    if as_json:
        echo_json(out)
        return
    click.echo(f"key: {out['key']} ({'present' if out['public_key'] else 'missing: run chatbot push keys'})")
    for name, n in per_user.items():
        click.echo(f"{name}: {n} device{'s' if n != 1 else ''}")
