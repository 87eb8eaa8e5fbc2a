"""`chatbot ask`, `chatbot kb ...`, `chatbot handoff ...`: the bot from the command line."""
from __future__ import annotations

import click

from .. import db, formats
from ..log import mask_phone
from .common import Failure, config_option, echo_json, expected_failures, json_option, load_config

DEFAULT_FROM = "5500000000000"


def _when(ts: float | None) -> str:
    """A moment in the tables below, in UTC (the first column, so without the word)."""
    return formats.utc(ts, zone=False) if ts else "-"


@click.command()
@click.argument("text")
@click.option("--from", "sender", default=DEFAULT_FROM, show_default=True, metavar="NUMBER",
              help="Customer number: its conversation context and handoff state are used and updated.")
@click.option("--phone-number-id", default="cli", show_default=True, help="Business number the message came to.")
@click.option("--name", "contact_name", default=None, help="Customer's profile name.")
@json_option(help="Print reply, intent, confidence, source and handoff as JSON.")
@click.option("--debug", is_flag=True, help="With --json: add the time taken, LLM tokens and the guard's verdict.")
@config_option
@expected_failures
def ask(text, sender, phone_number_id, contact_name, as_json, debug, config_path):
    """Answer TEXT with the same pipeline as the worker, in this process.

    Nothing is sent to WhatsApp. Successive calls with the same --from
    share a conversation, so follow-up questions work.

    \b
    Examples:
        chatbot ask "qto ta o feijao?"
        chatbot ask "e no atacado?" --json
        chatbot ask "me conta uma piada" --json --debug
        chatbot ask "vcs entregam na Boa Vista?" --from 5585999990000
    """
    from ..bot.pipeline import answer_text, build_bot
    cfg = load_config(config_path)
    conn = db.connect(cfg.db_path)
    bot = build_bot(cfg, conn, preload=False)
    reply, ms = answer_text(bot, text, phone_number_id=phone_number_id, wa_id=sender, contact_name=contact_name)
    if as_json:
        out = reply.as_json()
        if debug:
            out.update(ms=round(ms, 1), tokens_in=reply.tokens_in, tokens_out=reply.tokens_out,
                       llm_ms=reply.llm_ms, guard=reply.guard)
        echo_json(out)
    elif reply.text is None:
        click.echo("(no reply: this conversation is with a person; `chatbot handoff release "
                   f"{sender}` gives it back to the bot)")
    else:
        click.echo(reply.text)


@click.group()
def kb():
    """Load and inspect the store's knowledge base (catalog and facts)."""


def cli_actor() -> str:
    """Who runs a kb command, for the audit record ("cli:USER")."""
    import getpass
    import os
    user = os.environ.get("SUDO_USER") or os.environ.get("USER")
    if not user:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = str(os.getuid())
    return f"cli:{user}"


@kb.command("import")
@click.option("--catalog", type=click.Path(dir_okay=False), metavar="FILE.csv",
              help="Product catalog: CSV (';' or ',', UTF-8 or Windows-1252) or .xlsx.")
@click.option("--store", type=click.Path(dir_okay=False), metavar="FILE.toml", help="Store facts.")
@click.option("--demo", is_flag=True, help="Load the demo store shipped with the package.")
@json_option
@config_option
@expected_failures
def kb_import(catalog, store, demo, as_json, config_path):
    """Replace the knowledge base with CATALOG and STORE, all or nothing.

    Every bad row is reported with its line number and the data in force
    stays as it was. Cached replies are dropped. Copies of both files are
    kept in [paths] kb_sources_dir for the backup, and the catalog replaced
    is kept for `chatbot kb rollback`. FAQ entries written by staff on
    /admin/faq are kept.

    \b
    Examples:
        chatbot kb import --catalog catalog.csv --store store.toml
        chatbot kb import --demo
    """
    from ..bot.store import knowledge
    if demo:
        if catalog or store:
            raise Failure("--demo loads the packaged demo store: give it alone", code=2)
        catalog, store = knowledge.demo_sources()
    elif not (catalog and store):
        raise Failure("give both --catalog and --store (or --demo)", code=2)
    cfg = load_config(config_path)
    try:
        result = knowledge.import_kb(db.connect(cfg.db_path), catalog, store, sources_dir=cfg.kb_sources_dir,
                                     tz=cfg.bot.store_timezone, actor=cli_actor())
    except knowledge.KBImportError as exc:
        raise Failure(str(exc)) from None
    if as_json:
        echo_json(result)
        return
    click.echo(f"imported {result['products']} products ({result['promotions']} on promotion, "
               f"{result['wholesale']} with a wholesale price) and {result['faq']} FAQ entries for "
               f"{result['store']!r}: knowledge base version {result['version']}")


@kb.command("rollback")
@json_option
@config_option
@expected_failures
def kb_rollback(as_json, config_path):
    """Put back the catalog that was in force before the last catalog change.

    The catalog replaced by every import, upload or sync is kept under
    [paths] kb_sources_dir/history; this imports the newest one through the
    same checks. Running it twice undoes the first rollback. Store facts and
    FAQ entries are not touched.

    \b
    Example:
        sudo -u chatbot chatbot kb rollback
    """
    from ..bot.store import knowledge
    cfg = load_config(config_path)
    try:
        result = knowledge.rollback(db.connect(cfg.db_path), cfg.kb_sources_dir, cli_actor(), cfg.bot.store_timezone)
    except knowledge.KBImportError as exc:
        raise Failure("; ".join(exc.errors)) from None
    if as_json:
        echo_json(result)
        return
    click.echo(f"restored {result['products']} products from {result['restored']}:"
               f" knowledge base version {result['version']}")


@kb.command("history")
@click.option("--limit", default=20, show_default=True)
@json_option
@config_option
@expected_failures
def kb_history(limit, as_json, config_path):
    """Who changed the knowledge base, when and how (newest first).

    \b
    Example:
        chatbot kb history --limit 5
    """
    from ..bot.store import knowledge
    cfg = load_config(config_path)
    rows = knowledge.changes(db.connect(cfg.db_path), limit)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        d = r["details"]
        what = d.get("counts") or {k: d[k] for k in ("products", "q", "id") if k in d}
        click.echo(f"{_when(r['ts'])}  v{r['kb_version']:<5} {r['action']:<10} {r['actor']:<16} {what}")
    if not rows:
        click.echo("no changes recorded")


@kb.command("show")
@json_option
@config_option
@expected_failures
def kb_show(as_json, config_path):
    """Print what is loaded: the store, hours, delivery, payment, counts.

    \b
    Example:
        chatbot kb show
    """
    from ..bot import fmt
    from ..bot.answering import replies
    from ..bot.store import knowledge
    cfg = load_config(config_path)
    s = knowledge.summary(db.connect(cfg.db_path))
    if as_json:
        echo_json(s)
        return
    if not s["version"]:
        raise Failure("no knowledge base loaded: run `chatbot kb import --catalog FILE --store FILE`")
    st, d, p = s["store"], s["delivery"], s["payment"]
    click.echo(f"{st.get('name')} - {st.get('address')}, {st.get('city', '')}  {st.get('phone', '')}")
    click.echo(f"version {s['version']}, imported {_when(s['imported_at'])}"
               f" from {s['catalog_file']} and {s['store_file']}")
    click.echo(f"products: {s['products']} ({s['promotions']} on promotion, {s['wholesale']} with wholesale price)")
    click.echo("hours:\n" + "\n".join("  " + x for x in replies.week(s["hours"]).splitlines()))
    if d.get("available"):
        click.echo(f"delivery: fee {fmt.money(d.get('fee') or 0)}, free above {fmt.money(d.get('free_above') or 0)}, "
                   f"minimum {fmt.money(d.get('min_order') or 0)}; areas: {', '.join(d.get('areas', []))}")
    else:
        click.echo("delivery: none")
    click.echo(f"payment: {', '.join(p.get('methods', []))}")
    click.echo(f"FAQ entries: {len(s['faq'])}")


# Commands share the shape of their decorator stack (options, --json, --config, expected
# failures): each names its own options; what they share is a decorator in commands/common.py.
@kb.command("search")
@click.argument("text")
@click.option("--limit", default=5, show_default=True)
@json_option
@config_option
@expected_failures
def kb_search(text, limit, as_json, config_path):
    """Show which products TEXT matches, best first, with scores.

    \b
    Example:
        chatbot kb search "fejao carioca"
    """
    from ..bot import fmt
    from ..bot.store import search
    cfg = load_config(config_path)
    result = search.Searcher(db.connect(cfg.db_path)).search(text, limit=limit)
    rows = [{"sku": m.product.sku, "name": m.product.name, "brand": m.product.brand, "price": m.product.price,
             "promo_price": m.product.promo_price, "score": m.score, "missing": m.missing} for m in result.matches]
    if as_json:
        echo_json({"query": result.query, "unknown": result.unknown, "matches": rows})
        return
    click.echo(f"query words: {' '.join(result.query) or '(none)'}"
               + (f"; not in the catalog: {' '.join(result.unknown)}" if result.unknown else ""))
    for r in rows:
        miss = f"  (missing: {' '.join(r['missing'])})" if r["missing"] else ""
        click.echo(f"{r['score']:6.2f}  {r['sku']:<14} {r['name']} ({r['brand']})  {fmt.money(r['price'])}{miss}")
    if not rows:
        click.echo("no product matches")


@click.group()
def handoff():
    """Conversations handed to a person: list them, give them back to the bot."""


@handoff.command("list")
@click.option("--all", "show_all", is_flag=True, help="Recent handoffs, including ended ones.")
@json_option
@config_option
@expected_failures
def handoff_list(show_all, as_json, config_path):
    """List conversations waiting for a person (oldest first).

    \b
    Examples:
        chatbot handoff list
        chatbot handoff list --all --json
    """
    from ..bot import handoff as handoff_mod
    cfg = load_config(config_path)
    conn = db.connect(cfg.db_path)
    rows = handoff_mod.history(conn) if show_all else handoff_mod.waiting(conn)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        if show_all:
            ended = f"ended {_when(r['ended_at'])} by {r['ended_by']}" if r["ended_at"] else "waiting"
            click.echo(f"{_when(r['created_at'])}  {r['wa_id']}  {r['reason']:<13} {ended}")
        else:
            click.echo(f"{_when(r['since'])}  {r['wa_id']}  via {r['phone_number_id']}  {r['reason']}")
    if not rows:
        click.echo("no conversation is waiting for a person" if not show_all else "no handoffs")


@handoff.command("release")
@click.argument("number")
@click.option("--phone-number-id", default=None, help="Only the conversation on this business number.")
@config_option
@expected_failures
def handoff_release(number, phone_number_id, config_path):
    """Give the conversation with customer NUMBER back to the bot.

    \b
    Example:
        chatbot handoff release 5585999990000
    """
    from ..bot import handoff as handoff_mod
    cfg = load_config(config_path)
    n = handoff_mod.release(db.connect(cfg.db_path), number, phone_number_id)
    if not n:
        raise Failure(f"no conversation with {mask_phone(number)} is waiting for a person")
    click.echo(f"released {n} conversation(s) with {mask_phone(number)}: the bot answers again")
