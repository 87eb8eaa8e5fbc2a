"""The timer jobs and the restore command: thin faces over ``chatbot.ops``.

Each job runs once and exits. Every run is recorded in ``job_runs``
(start, end, outcome) and ends with one log line naming the job, its
result and its duration, at ERROR on failure (``<3>`` under journald, so
``journalctl -p err`` finds it). ``--json`` prints the result for
machines. Expected failures (locked database, full disk, SMTP down) end in
that one line and exit status 1, never a traceback.

Imports stay light (no Flask, no llama_cpp): the metrics job runs every
five minutes.
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from dataclasses import dataclass

import click

from .. import db, formats
from .. import log as logmod
from .common import config_option, json_option, load_config, one_line

log = logging.getLogger("chatbot.jobs")



class JobError(Exception):
    """The job ran but did not succeed; one line for the operator."""


def job_config(config_path: str | None):
    """Load the config; when started as root (``sudo chatbot-backup``), become
    the owner of the state directory first, so every file we create (backups,
    the lock, -wal/-shm) stays usable by the services' user (load_config does)."""
    return load_config(config_path)


def connect(cfg) -> sqlite3.Connection:
    return db.connect(cfg.db_path)


def _expected(exc: BaseException) -> str | None:
    """The one-line message for an expected failure, None for a bug."""
    from ..ops.backup import BackupError
    from ..ops.notify import NotifyError
    if isinstance(exc, (JobError, BackupError, NotifyError)):
        return str(exc)
    return one_line(exc)


def _emit_json(cfg, data: dict) -> None:
    click.echo(logmod.remove_secrets(json.dumps(data, ensure_ascii=False, indent=2, default=str), cfg.secrets()))


def _by_hand() -> bool:
    """Run by an operator (not by systemd): print a human summary too."""
    return not logmod.under_journald()


@dataclass
class Outcome:
    """What a job's unit of work hands back to ``run_job``."""
    result: dict                    # the details: --json output and job_runs.details
    message: str                    # the one result line
    failed: bool = False            # an expected failure that still has a result (a notice not sent)
    exit_code: int | None = None    # the exit status, when it is not 0 / ``fail_code``


def run_job(name: str, cfg, as_json: bool, work, *, record: bool = True, open_db: bool = True,
            fail_code: int = 1, show=None) -> dict:
    """Run ``work(conn, run_id) -> Outcome`` with bookkeeping and the one
    result line; exit non-zero on failure, return the result on success.

    An expected failure raised by ``work`` (locked database, full disk, a
    damaged archive) becomes a failed outcome with its one line; ``fail_code``
    is the exit status of a failed outcome (the health check's is 2).
    """
    t0 = time.monotonic()
    conn, run_id = None, None
    try:
        conn = connect(cfg) if open_db else None
        if record:
            from ..ops import jobs
            run_id = jobs.start(conn, name)
        outcome = work(conn, run_id)
    except Exception as exc:
        message = _expected(exc)
        if message is None:         # a bug: record it, then let the traceback show
            _finish(conn, run_id, "failed", f"internal error: {type(exc).__name__}: {exc}", None)
            raise
        outcome = Outcome({}, message, failed=True)
    duration = time.monotonic() - t0
    result, message, failed = outcome.result, outcome.message, outcome.failed
    _finish(conn, run_id, "failed" if failed else "ok", message, result)
    if failed:
        log.error("%s failed after %.2fs: %s", name, duration, message)
    else:
        log.info("%s ok in %.2fs: %s", name, duration, message)
    if as_json:
        _emit_json(cfg, {"job": name, "status": "failed" if failed else "ok", "message": message,
                         "duration": round(duration, 3), **result})
    elif show is not None and result and (_by_hand() or name == "healthcheck"):
        show(result)
    if conn is not None:
        conn.close()
    code = outcome.exit_code if outcome.exit_code is not None else (fail_code if failed else 0)
    if code:
        raise SystemExit(code)
    return result


def _finish(conn, run_id, status, message, result) -> None:
    if conn is None or run_id is None:
        return
    from ..ops import jobs
    details = dict(result or {})
    try:
        jobs.finish(conn, run_id, status, message, details)
    except (sqlite3.Error, OSError) as exc:   # full disk or locked: the log line still tells
        log.warning("could not record the run's outcome: %s", _expected(exc))


# -- collect-metrics ---------------------------------------------------------------
@click.command(help="""Record one metrics sample (CPU, memory, disk, load, inbox, replies, errors, latency).

Run every 5 minutes by chatbot-collect-metrics.timer. CPU usage is the
delta of the CPU counters since the previous run (empty on the first run
and after a reboot).

\b
Example:
    chatbot-collect-metrics --json
""")
@config_option
@json_option
def collect_metrics(config_path, as_json):
    cfg = job_config(config_path)

    def work(conn, run_id):
        from ..ops import metrics
        row = metrics.collect(conn, cfg)
        if row["missing"]:
            log.warning("could not read %s (is /proc hidden by ProcSubset=pid?)", ", ".join(row["missing"]))
        cpu = "n/a (first sample)" if row["cpu_percent"] is None else f"{row['cpu_percent']:.1f}%"
        msg = (f"cpu {cpu}, memory {_pct(row['memory_percent'])}, disk {_pct(row['disk_percent'])},"
               f" inbox {row['inbox_depth']}, replies {row['replies']}, errors {row['errors']}")
        return Outcome(row, msg)
    run_job("collect-metrics", cfg, as_json, work)


def _pct(v) -> str:
    return "n/a" if v is None else f"{v:.0f}%"


# -- check-alerts ------------------------------------------------------------------
@click.command(help="""Evaluate the alert rules and send notices (e-mail, webhook).

Run every 15 minutes by chatbot-check-alerts.timer. An alert fires after
its condition held for [alerts] pending_minutes, repeats every
repeat_hours while it holds, and sends one RESOLVED notice when it clears.
Notices that could not be sent are retried on the next run.

\b
Examples:
    chatbot-check-alerts
    chatbot-check-alerts --test      # send a test notice on every channel
""")
@config_option
@json_option
@click.option("--test", "test", is_flag=True, help="Send a test notice now and report each channel.")
def check_alerts(config_path, as_json, test):
    cfg = job_config(config_path)
    from ..ops import alerts, notify

    if test:
        def test_work(conn, run_id):
            result = notify.send_test(conn, cfg)
            bad = {c: s for c, s in result["test"].items() if s != "sent"}
            if bad:
                return Outcome(result, "test notice failed: " + "; ".join(f"{c} {s}" for c, s in bad.items()),
                               failed=True)
            return Outcome(result, "test notice sent via " + ", ".join(result["test"]))
        run_job("check-alerts --test", cfg, as_json, test_work, record=False,
                show=lambda r: [click.echo(f"{c}: {s}") for c, s in r["test"].items()])
        return

    def work(conn, run_id):
        result = alerts.run_check(conn, cfg, current_run_id=run_id)
        n = result["notifications"]
        msg = (f"{len(result['firing'])} firing, {len(result['pending'])} pending,"
               f" {len(result['transitions'])} change(s), {n['sent']} notice(s) sent")
        if not result["channels"] and result["transitions"]:
            log.warning("no notification channel configured ([smtp] host/recipients or [alerts] webhook_url)")
        if n["failed"]:
            msg += f", {n['failed']} failed (retried next run): " + "; ".join(n["errors"])
        return Outcome(result, msg, failed=bool(n["failed"]))
    run_job("check-alerts", cfg, as_json, work, show=_show_alerts)


def _show_alerts(result: dict) -> None:
    for t in result["transitions"]:
        click.echo(f"{t['event']:<9} {t['name']}: {t['summary']}")
    for a in result["firing"]:
        click.echo(f"firing    {a['name']}: {a['summary']}")
    if not result["firing"]:
        click.echo("no alert firing")


# -- backup ------------------------------------------------------------------------
@click.command(help="""Back up the database (online, consistent), the config and the KB sources.

Writes chatbot-backup-<UTC time>.tar.gz with a manifest (sizes, SHA-256,
row counts) into the backup directory, after the copy passed
integrity_check; then applies the retention ([backup] keep_count,
keep_days; the newest good backup is never deleted). Run daily by
chatbot-backup.timer (05:00 UTC = 02:00 in Brazil).

--list shows the archives instead, newest first: time (UTC), size,
whether each still matches the SHA-256 recorded when it was written, and
the one retention deletes next. It takes no backup.

\b
Examples:
    sudo -u chatbot chatbot-backup
    chatbot-backup --json
    chatbot-backup --list
    chatbot-backup --list --json
""")
@config_option
@json_option
@click.option("--no-prune", is_flag=True, help="Do not apply the retention after this backup.")
@click.option("--list", "list_", is_flag=True, help="List the backups (newest first) instead of taking one.")
def backup(config_path, as_json, no_prune, list_):
    cfg = job_config(config_path)
    if list_:
        _list_backups(cfg, as_json)
        return

    def work(conn, run_id):
        from ..ops.backup import run_backup
        r = run_backup(cfg, prune=not no_prune)
        rows = sum(r["tables"].values())
        msg = (f"wrote {r['path']} ({r['size'] / 1e6:.1f} MB, {len(r['tables'])} tables, {rows} rows);"
               f" kept {len(r['kept'])}, deleted {len(r['deleted'])} old backup(s)")
        return Outcome(r, msg)
    run_job("backup", cfg, as_json, work, show=_show_backup)


def _show_backup(r: dict) -> None:
    click.echo(f"backup written: {r['path']}")
    click.echo(f"  size {r['size'] / 1e6:.2f} MB, sha256 {r['sha256']}, {r['files']} file(s), {r['duration']:.1f}s")
    for t in ("inbox", "outbox", "events", "kb_products", "conversations"):
        if t in r["tables"]:
            click.echo(f"  {t}: {r['tables'][t]} rows")
    click.echo(f"  retention: kept {len(r['kept'])}, deleted {', '.join(r['deleted']) or 'none'}")


def _list_backups(cfg, as_json: bool) -> None:
    from ..ops.backup import list_backups
    conn, unreadable = None, None
    if cfg.db_path.exists():
        try:
            conn = db.connect(cfg.db_path, migrate_schema=False)
        except sqlite3.Error as exc:     # list the archives anyway: this is when they matter
            unreadable = db.describe_error(exc)
    try:
        data = list_backups(cfg, conn)
        data["records_error"] = data["records_error"] or unreadable
    except Exception as exc:
        message = _expected(exc)
        if message is None:
            raise
        log.error("backup --list failed: %s", message)
        raise SystemExit(1) from None
    finally:
        if conn is not None:
            conn.close()
    if data["records_error"]:
        log.warning("cannot read the backup records (%s): the archives are listed unverified",
                    data["records_error"])
    if as_json:
        _emit_json(cfg, data)
        return
    click.echo(backup_list_text(data))


def backup_list_text(data: dict) -> str:
    """The table ``chatbot-backup --list`` prints."""
    def utc(ts: float) -> str:
        return formats.utc(ts, zone=False)          # the heading says UTC
    lines = [f"backups in {data['backup_dir']} (retention: the newest {data['keep_count']},"
             f" and all younger than {data['keep_days']} days)"]
    if not data["archives"]:
        return "\n".join(lines + ["no backups"])
    lines.append(f"{'TIME (UTC)':<17}  {'SIZE':>9}  {'VERIFIED':<8}  ARCHIVE")
    verdict = {True: "yes", False: "NO", None: "unknown"}
    nxt = data["next_to_delete"]
    for a in data["archives"]:
        line = f"{utc(a['created_at']):<17}  {a['size'] / 1e6:>6.1f} MB  {verdict[a['verified']]:<8}  {a['name']}"
        if a["verified"] is False:
            line += f"  ({a['check']})"
        if a["next_to_delete"]:
            if nxt["at_next_run"]:
                line += "  <- deleted by the next retention run"
            else:
                line += (f"  <- next to delete: after {utc(nxt['not_before'])} UTC"
                         + (f", once {nxt['newer_backups_needed']} more backup(s) exist"
                            if nxt["newer_backups_needed"] else ""))
        lines.append(line)
    lines.append(f"{data['count']} backup(s), {data['total_size'] / 1e6:.1f} MB")
    return "\n".join(lines)


# -- restore -----------------------------------------------------------------------
@click.command(help="""Restore ARCHIVE (a chatbot-backup .tar.gz) over the current state.

Checks every file's SHA-256 and the database's integrity first, refuses a
damaged archive or one with unsafe paths, refuses while the chatbot is
running, takes a safety backup of the current state, then puts the
database and the KB sources in place.

\b
Examples:
    sudo systemctl stop chatbot-web chatbot-worker 'chatbot-*.timer'
    sudo -u chatbot chatbot-restore --dry-run /var/lib/chatbot/backups/chatbot-backup-20250301T050000Z.tar.gz
    sudo -u chatbot chatbot-restore /var/lib/chatbot/backups/chatbot-backup-20250301T050000Z.tar.gz
    sudo systemctl start chatbot-web chatbot-worker 'chatbot-*.timer'
""")
@click.argument("archive", type=click.Path(dir_okay=False))
@config_option
@json_option
@click.option("--dry-run", is_flag=True, help="Verify the archive and show what would be done; change nothing.")
@click.option("--force", is_flag=True, help="Restore even though the chatbot seems to be running.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def restore(archive, config_path, as_json, dry_run, force, yes):
    cfg = job_config(config_path)
    if not dry_run and not yes and not as_json:
        click.confirm(f"Replace the database {cfg.db_path} with {archive}? (a safety backup is taken first)",
                      abort=True)

    def work(conn, run_id):
        from ..ops.restore import restore as do_restore
        r = do_restore(cfg, archive, dry_run=dry_run, force=force)
        if dry_run:
            return Outcome(r, f"{archive} is good (made {r['created_at']}); dry run, nothing changed")
        return Outcome(r, f"restored {archive} (made {r['created_at']}); safety backup: {r['safety_backup']}")
    # No connection of our own: the database is about to be replaced (or not there yet).
    run_job("restore", cfg, as_json, work, record=False, open_db=False, show=_show_restore)


def _show_restore(r: dict) -> None:
    verb = "would replace" if r["dry_run"] else "replaced"
    click.echo(f"archive: {r['archive']} (made {r['created_at']}, version {r['version']})")
    click.echo(f"{verb} database: {r['database']}")
    if r["kb_sources"]:
        click.echo(f"{verb} KB sources: {r['kb_sources']}")
    if r["config"]:
        click.echo(f"the archived config file is in {r['config']}: compare it with {r.get('config_in_use')}"
                   " and copy what you need by hand")
    for t in ("inbox", "outbox", "events", "kb_products"):
        if t in r["tables"]:
            click.echo(f"  {t}: {r['tables'][t]} rows")
    if r["dry_run"]:
        click.echo("still running: " + "; ".join(r["writers"]) if r["writers"] else "no writer running")
        click.echo("a safety backup of the current state would be taken first")
    else:
        click.echo(f"safety backup of the previous state: {r.get('safety_backup') or 'none (no database)'}")
        click.echo("start the services again: sudo systemctl start chatbot-web chatbot-worker 'chatbot-*.timer'")


# -- cleanup -----------------------------------------------------------------------
@click.command(help="""Delete rows past their retention, apply the backup retention, optimize the database.

Run weekly by chatbot-cleanup.timer. Retention is set in [retention]
(events_days, metrics_days, alerts_days, inbox_days) and [backup].

\b
Examples:
    chatbot-cleanup
    chatbot-cleanup --vacuum always
""")
@config_option
@json_option
@click.option("--vacuum", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="VACUUM the database: when a quarter of it is free space, always, or never.")
def cleanup(config_path, as_json, vacuum):
    cfg = job_config(config_path)

    def work(conn, run_id):
        from ..ops.maintenance import run_cleanup
        r = run_cleanup(conn, cfg, vacuum)
        msg = (f"deleted {r['rows_total']} old row(s), {len(r['backups_deleted'])} old backup(s);"
               f" {'vacuumed' if r['vacuumed'] else 'no vacuum'}")
        return Outcome(r, msg)
    run_job("cleanup", cfg, as_json, work, show=lambda r: [
        click.echo(f"  {t}: {n} deleted") for t, n in r["deleted_rows"].items() if n])


# -- healthcheck -------------------------------------------------------------------
@click.command(help="""Check the database, disk, web service, worker, jobs, alerts and backups.

Prints one line per check. Exit status: 0 healthy, 1 degraded (warning),
2 failing. Run hourly by chatbot-healthcheck.timer.

\b
Examples:
    chatbot-healthcheck
    chatbot-healthcheck --json
""")
@config_option
@json_option
@click.option("--url", help="The web service's /health URL (default from [web] host and port).")
def healthcheck(config_path, as_json, url):
    cfg = job_config(config_path)

    def work(conn, run_id):
        from ..ops import checks, health
        r = health.evaluate(conn, cfg)
        r["components"]["web"] = checks.check_web(cfg, url)
        del r["status"]     # "status" in the output is the job's (ok/failed); the verdict is "health"
        r["health"] = health.overall(r["components"])
        code = health.exit_code(r["health"])
        bad = [f"{n}: {c['detail']}" for n, c in r["components"].items() if c["status"] != "ok"]
        # Failing (2) is a failed run; degraded (1) is a successful run that exits 1.
        return Outcome(r, r["health"] + (f" ({'; '.join(bad)})" if bad else ""), failed=code == 2, exit_code=code)
    run_job("healthcheck", cfg, as_json, work, fail_code=2, show=_show_health)


def _show_health(r: dict) -> None:
    for name, c in r["components"].items():
        click.echo(f"{c['status']:<8} {name}: {c['detail']}")
    click.echo(f"overall: {r['health']}")


# -- sync-catalog ------------------------------------------------------------------
@click.command(help="""Import the ERP's catalog export ([kb] catalog_path) when its content changed.

Run every 15 minutes by chatbot-sync-catalog.timer. The file goes through
the same checks as `chatbot kb import` and the staff's upload. If a row is
rejected, or a price moves by more than [kb] max_price_change, or more than
[kb] max_removed_fraction of the products would go, the catalog in force is
kept, the run fails with one line naming the first problem, and the "job
sync-catalog failed" alert goes out by the usual channels (until the file
changes and imports). --dry-run prints what an import would change.

\b
Examples:
    chatbot-sync-catalog
    chatbot-sync-catalog --dry-run
    chatbot-sync-catalog --dry-run --json
""")
@config_option
@json_option
@click.option("--dry-run", is_flag=True, help="Print the preview (new, removed, changed, rejected); change nothing.")
def sync_catalog(config_path, as_json, dry_run):
    cfg = job_config(config_path)

    def work(conn, run_id):
        from ..bot.store import catalog
        r = catalog.sync(conn, cfg, dry_run=dry_run)
        return Outcome(r, r["message"], failed=r["outcome"] in ("rejected", "suspicious"))
    run_job("sync-catalog", cfg, as_json, work, record=not dry_run, show=_show_sync if dry_run else None)


def _show_sync(r: dict) -> None:
    # One echo loop per kind of line (new, removed, changed, rejected, flagged), alike in shape only.
    p = r.get("preview")
    if not p:
        return
    from ..bot import fmt
    click.echo(f"file: {p['file']} ({p['described']}), {p['products']} products;"
               f" in force: {p['current_products']} (version {p['base_version']})")
    for a in p["added"]:
        click.echo(f"  new      {a['sku']:<14} {a['name']}  {fmt.money(a['price'])}")
    for a in p["removed"]:
        click.echo(f"  removed  {a['sku']:<14} {a['name']}")
    for c in p["changes"]:
        click.echo(f"  {'CHECK' if c['suspicious'] else 'changed':<8} {c['sku']:<14} {c['name']}: {c['field']}"
                   f" {c['text']}")
    for x in p["rejected"]:
        click.echo(f"  rejected line {x['line'] or '-'}: {x['reason']}")
    for f in p["flags"]:
        click.echo(f"  flagged: {f}")
    verdict = ("would be refused (rows rejected)" if p["rejected"] or not p["applicable"] else
               "would be refused (flagged: needs a person to confirm it on /admin/catalog)" if p["suspicious"] else
               "nothing would change" if p["unchanged"] else "would be imported")
    click.echo(f"dry run: {verdict}")


# -- job-failed --------------------------------------------------------------------
@click.command(help="""Record that a chatbot unit failed, then run the alert check so it is notified.

Started by systemd's OnFailure= (chatbot-job-failed@UNIT.service). A
failed timer job raises the "job failed" alert until its next success;
another unit raises "UNIT failed" until its heartbeat is newer or --clear.

\b
Examples:
    chatbot-job-failed chatbot-backup.service
    chatbot-job-failed --clear chatbot-web.service
""")
@click.argument("unit")
@config_option
@json_option
@click.option("--clear", is_flag=True, help="Mark earlier failures of UNIT as dealt with.")
@click.option("--no-check", is_flag=True, help="Only record; leave the notice to the next alert check.")
def job_failed(unit, config_path, as_json, clear, no_check):
    cfg = job_config(config_path)

    def work(conn, run_id):
        from ..ops import alerts, jobs
        if clear:
            n = jobs.clear_unit_failures(conn, unit)
            return Outcome({"unit": unit, "cleared": n}, f"cleared {n} failure(s) of {unit}")
        # systemd passes the failed unit's result to OnFailure= units (v251+).
        how = " ".join(f"{k.split('_', 1)[1].lower()}={os.environ[k]}" for k in
                       ("MONITOR_SERVICE_RESULT", "MONITOR_EXIT_CODE", "MONITOR_EXIT_STATUS") if os.environ.get(k))
        message = f"systemd reported {unit} failed" + (f" ({how})" if how else "") + f"; see journalctl -u {unit}"
        job = jobs.record_unit_failure(conn, unit, message)
        result = {"unit": unit, "job": job, "recorded": message}
        if no_check:
            return Outcome(result, f"recorded the failure of {unit}")
        check = alerts.run_check(conn, cfg)
        result["alerts"] = check
        sent, failed = check["notifications"]["sent"], check["notifications"]["failed"]
        if failed:
            return Outcome(result, f"recorded the failure of {unit}; {failed} notice(s) not sent (retried by the"
                           f" next check): " + "; ".join(check["notifications"]["errors"]), failed=True)
        return Outcome(result, f"recorded the failure of {unit}; {sent} notice(s) sent")
    run_job("job-failed", cfg, as_json, work, record=False)
