"""chatbot orders: the orders customers placed through the bot (list, show, export for the ERP)."""
from __future__ import annotations

import datetime as dt
import sys

import click

from .. import clock, db
from ..log import mask_phone
from ..orders import store
from .common import Failure, config_option, echo_json, expected_failures, load_config


@click.group(help="""Orders placed through the bot.

\b
Examples:
    chatbot orders list --status new
    chatbot orders show 42
    chatbot orders export --since 2026-12-01 --until 2026-12-31 --output pedidos-dezembro.csv
""")
def orders():
    pass


def _conn(config_path):
    cfg = load_config(config_path)
    return cfg, db.connect(cfg.db_path)


def _day(value: str | None, zone, name: str) -> float | None:
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise Failure(f"--{name} must be a date like 2026-12-31, got {value!r}", code=2) from None
    return dt.datetime.combine(day, dt.time(), zone).timestamp()


@orders.command("list")
@click.option("--status", type=click.Choice(store.STATUSES), default=None, help="Only orders in this status.")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@config_option
@expected_failures
def orders_list(status, limit, as_json, config_path):
    """Orders, oldest first (all statuses unless --status)."""
    cfg, conn = _conn(config_path)
    found = store.listing(conn, status, limit)
    if as_json:
        echo_json({"orders": found})
        return
    if not found:
        click.echo("no orders" + (f" with status {status}" if status else ""))
        return
    zone = clock.store_zone(cfg.bot.store_timezone)
    for o in found:
        when = dt.datetime.fromtimestamp(o["created_at"], zone).strftime("%Y-%m-%d %H:%M")
        click.echo(f"{o['number']:04d}  {when}  {o['status']:<16}  {o['fulfilment']:<8}  {o['total']:>9}  "
                   f"{mask_phone(o['wa_id'])}  {o['payment']}")


@orders.command("show")
@click.argument("number", type=int)
@click.option("--json", "as_json", is_flag=True)
@config_option
@expected_failures
def orders_show(number, as_json, config_path):
    """One order with its items."""
    _, conn = _conn(config_path)
    o = store.get(conn, number)
    if o is None:
        raise Failure(f"no order {number}")
    if as_json:
        echo_json(o)
        return
    click.echo(f"order {o['number']:04d}: {o['status']}, {o['fulfilment']}, {o['payment']}"
               + (f" (change for {o['change_for']})" if o["change_for"] not in (None, "none") else ""))
    click.echo(f"customer: {o['contact_name'] or '-'} {o['wa_id']}" + (f", {o['address']}" if o["address"] else ""))
    for i in o["items"]:
        mark = "" if i["state"] == "ok" else f"  [{i['state']}]"
        click.echo(f"  {i['quantity']:>6} x {i['sku']:<14} {i['name']:<40} {i['unit_price']:>8} {i['total']:>9}{mark}")
    click.echo(f"subtotal {o['subtotal']}  fee {o['fee']}  total {o['total']}")


@orders.command("export")
@click.option("--since", default=None, metavar="YYYY-MM-DD", help="First day (store time).")
@click.option("--until", default=None, metavar="YYYY-MM-DD", help="Day after the last one (store time).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file (default: stdout).")
@config_option
@expected_failures
def orders_export(since, until, output, config_path):
    """Order lines as CSV for the ERP: ';' separated, decimal comma, UTF-8 with BOM."""
    cfg, conn = _conn(config_path)
    zone = clock.store_zone(cfg.bot.store_timezone)
    data = store.export_csv(conn, _day(since, zone, "since"), _day(until, zone, "until"), zone)
    if output is None:
        sys.stdout.buffer.write(data)
        return
    try:
        with open(output, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise Failure(f"cannot write {output}: {exc.strerror}") from None
    lines = data.count(b"\n") - 1
    click.echo(f"wrote {lines} order {'line' if lines == 1 else 'lines'} to {output}", err=True)
