"""chatbot: the operator's tool."""
from __future__ import annotations

import sys

import click

from .. import db
from ..log import mask_phone
from .common import Failure, config_option, echo_json, expected_failures, json_option, load_config


@click.group(help="""Operate the WhatsApp chatbot.

\b
Examples:
    chatbot send-test "Vocês abrem domingo?"
    chatbot inbox list --status unknown
    chatbot inbox requeue --status failed
""")
@click.version_option(package_name="atacarejo-chatbot")
def cli():
    pass


@cli.command("send-test")
@click.argument("text")
@click.option("--from", "sender", default=None, metavar="NUMBER",
              help="Customer number to send as (default 5500999990000). In live mode the reply really goes there.")
@click.option("--timeout", default=60.0, show_default=True, help="Seconds to wait for the reply.")
@json_option
@config_option
@expected_failures
def send_test(text, sender, timeout, as_json, config_path):
    """Send TEXT through the running service as a signed webhook and print the reply.

    \b
    Example:
        chatbot send-test "qual o horário de domingo?" --from 5585999990000
    """
    from ..whatsapp import sendtest
    cfg = load_config(config_path)
    sender = sender or sendtest.DEFAULT_FROM
    pnid = cfg.whatsapp.phone_number_ids[0] if cfg.whatsapp.phone_number_ids else "sandbox"
    body, wamid = sendtest.build_payload(text, sender, pnid)
    url = cfg.web.local_url + "/webhook"
    try:
        status = sendtest.post(url, body, cfg.whatsapp.app_secret)
    except Exception as exc:  # requests' errors: the service is not reachable
        raise Failure(f"cannot reach chatbot-web at {url}: {type(exc).__name__} (is it running?)") from None
    if status != 200:
        raise Failure(f"chatbot-web answered {status} to the test message")
    result = sendtest.wait_reply(db.connect(cfg.db_path), wamid, timeout)
    if result is None:
        raise Failure(f"no reply within {timeout:.0f}s (is chatbot-worker running?)")
    if as_json:
        echo_json({"wamid": wamid, **result})
    elif result["reply"] is not None:
        click.echo(result["reply"])
    else:
        click.echo(f"(no reply: message {result['status']})")
    if result["status"] not in ("answered", "handoff"):
        sys.exit(1)


@cli.group()
def inbox():
    """Look at the inbox and requeue parked messages."""


@inbox.command("list")
@click.option("--status", help="Only this status (queued, answered, failed, unknown, stale, ...).")
@click.option("--limit", default=30, show_default=True)
@json_option
@config_option
@expected_failures
def inbox_list(status, limit, as_json, config_path):
    """List recent inbox messages, newest first.

    \b
    Example:
        chatbot inbox list --status unknown
    """
    from ..whatsapp import inbox as inbox_mod
    cfg = load_config(config_path)
    rows = inbox_mod.listing(db.connect(cfg.db_path), status, limit)
    if as_json:
        echo_json([dict(r) for r in rows])
        return
    for r in rows:
        click.echo(f"{r['id']:>7}  {r['status']:<10} {mask_phone(r['wa_id'])}  "
                   f"{(r['body'] or '[' + r['msg_type'] + ']')[:50]!r}  {r['error'] or ''}")
    if not rows:
        click.echo("no messages")


@inbox.command("requeue")
@click.argument("ids", nargs=-1, type=int)
@click.option("--status", type=click.Choice(["failed", "unknown", "stale"]), help="Requeue every message parked so.")
@config_option
@expected_failures
def inbox_requeue(ids, status, config_path):
    """Send parked messages (failed, unknown, stale) through the bot again.

    For "unknown" messages, first check in WhatsApp that the customer did not
    get the reply: requeueing may send it a second time.

    \b
    Examples:
        chatbot inbox requeue 1042 1043
        chatbot inbox requeue --status failed
    """
    from ..whatsapp import inbox as inbox_mod
    if not ids and not status:
        raise Failure("give message ids or --status", code=2)
    cfg = load_config(config_path)
    n = inbox_mod.requeue(db.connect(cfg.db_path), list(ids) or None, status)
    click.echo(f"requeued {n} message(s)")


@cli.command("web")
@click.pass_context
def web(ctx):
    """Run the web service in the foreground (same as chatbot-web)."""
    from .web import main as web_main
    ctx.invoke(web_main)


@cli.command("worker")
@click.pass_context
def worker(ctx):
    """Run the worker in the foreground (same as chatbot-worker)."""
    from .worker import main as worker_main
    ctx.invoke(worker_main)


from .bot import ask, handoff, kb  # noqa: E402  (their own module; attached here)
from .orders import orders  # noqa: E402
from .push import push  # noqa: E402
from .users import users  # noqa: E402

for _command in (ask, kb, handoff, users, orders, push):
    cli.add_command(_command)
