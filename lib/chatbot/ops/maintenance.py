"""Weekly cleanup: rows past their retention, old backups, statistics, space.

Deletes run in batches of ``BATCH`` rows, one short transaction each, so
the worker and the web service never wait long for the write lock. Rows
still in use are never deleted: unanswered inbox messages, the latest run
of every job, alerts still pending or firing, notices still to be sent,
staff messages on their way, open handoffs, conversations a person holds.
"""
from __future__ import annotations

import sqlite3
import time

from .. import clock, db
from ..bot.store import catalog
from ..orders import store as orders_store
from ..whatsapp import media
from . import backup

BATCH = 5000
DAY = 86400.0

FINISHED = "('answered', 'ignored', 'stale', 'failed', 'unknown', 'handoff')"
# SQL conditions (on the row of ``conversations`` being considered) under which a conversation
# past its retention is kept all the same: each written by the module that owns its table.
KEEP_CONVERSATION: tuple[str, ...] = (orders_store.HAS_OPEN_ORDER,)


def _delete(conn: sqlite3.Connection, table: str, where: str, params: tuple) -> int:
    """DELETE in batches by rowid; returns rows deleted."""
    total = 0
    while True:
        with db.transaction(conn):
            n = conn.execute(f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE {where}"
                             f" LIMIT {BATCH})", params).rowcount
        total += n
        if n < BATCH:
            return total


def _exists(conn: sqlite3.Connection, table: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone() is not None


def purge(conn: sqlite3.Connection, cfg) -> dict[str, int]:
    """Delete rows past their retention; return rows deleted per table."""
    now = clock.now()
    r = cfg.retention
    ev, met, al, ib = (now - r.events_days * DAY, now - r.metrics_days * DAY,
                       now - r.alerts_days * DAY, now - r.inbox_days * DAY)
    out = {}
    out["events"] = _delete(conn, "events", "ts < ?", (ev,))
    out["api_errors"] = _delete(conn, "api_errors", "ts < ?", (ev,))
    out["webhook_rejects"] = _delete(conn, "webhook_rejects", "ts < ?", (ev,))
    out["statuses"] = _delete(conn, "statuses", "received_at < ?", (ev,))
    out["metrics"] = _delete(conn, "metrics", "ts < ?", (met,))
    out["alert_history"] = _delete(conn, "alert_history", "ts < ?", (al,))
    out["notifications"] = _delete(conn, "notifications", "created_at < ? AND status IN ('sent', 'expired')", (al,))
    out["unit_failures"] = _delete(conn, "unit_failures", "ts < ?", (al,))
    out["job_runs"] = _delete(conn, "job_runs", "started_at < ? AND status != 'running' AND id NOT IN"
                              " (SELECT max(id) FROM job_runs GROUP BY job)", (ev,))
    out["backups"] = _delete(conn, "backups", "deleted_at IS NOT NULL AND deleted_at < ?", (al,))
    # Web sessions that ended (expired or revoked) a month ago: kept that long to see who logged in.
    month = now - 30 * DAY
    out["web_sessions"] = _delete(conn, "web_sessions", "expires_at < ? OR revoked_at < ?", (month, month))
    # Files of customers' photos, voice notes...: deleted after [media] keep_days (or with their message),
    # their rows then say "expired" (media.py owns them); rows of messages deleted below go with them.
    files_before = max(now - cfg.media.keep_days * DAY, ib)
    out["media_files"] = media.purge(conn, cfg.media_dir, files_before)["media_files_deleted"]
    old_inbox = f"inbox_id IN (SELECT id FROM inbox WHERE received_at < ? AND status IN {FINISHED})"
    out["media"] = _delete(conn, "media", old_inbox, (ib,))
    out["reactions"] = _delete(conn, "reactions", old_inbox, (ib,))
    # Finished messages and their replies; the reply rows reference the inbox.
    out["outbox"] = _delete(conn, "outbox", f"inbox_id IN (SELECT id FROM inbox WHERE received_at < ?"
                            f" AND status IN {FINISHED})", (ib,))
    out["inbox"] = _delete(conn, "inbox", f"received_at < ? AND status IN {FINISHED}", (ib,))
    # Orders are fiscal records: closed ones go after [retention] orders_days (their items and
    # history with them, ON DELETE CASCADE); open ones never. Carts past their time go now.
    out["orders"] = _delete(conn, "orders", "created_at < ? AND status IN ('delivered', 'cancelled')",
                            (now - r.orders_days * DAY,))
    out["carts"] = _delete(conn, "carts", "expires_at < ?", (now,))
    # What people wrote to customers, and the system's notes (outbox rows with no inbox message):
    # the same retention as the customers' own words, once they are no longer on their way.
    out["staff_messages"] = _delete(conn, "outbox", "inbox_id IS NULL AND created_at < ?"
                                    " AND state NOT IN ('queued', 'sending')", (ib,))
    out["handoffs"] = _delete(conn, "handoffs", "ended_at IS NOT NULL AND ended_at < ?", (ib,))
    # A conversation nobody wrote in for inbox_days, unless a person holds it or it still has an
    # open handoff or an open order (KEEP_CONVERSATION).
    out["conversations"] = _delete(conn, "conversations", "COALESCE(last_seen, mode_since, 0) < ? AND mode = 'bot'"
                                   " AND held_by IS NULL AND NOT EXISTS (SELECT 1 FROM handoffs h"
                                   " WHERE h.phone_number_id = conversations.phone_number_id"
                                   " AND h.wa_id = conversations.wa_id AND h.ended_at IS NULL)"
                                   + "".join(f" AND NOT ({rule})" for rule in KEEP_CONVERSATION), (ib,))
    # A catalog preview nobody confirmed: its file is kept no longer than its token is valid.
    out["kb_previews"] = _delete(conn, "kb_previews", "created_at < ?", (now - catalog.PREVIEW_TTL_SECONDS,))
    return out


def compact(conn: sqlite3.Connection, cfg, vacuum: str = "auto") -> dict:
    """Refresh statistics, truncate the WAL, and VACUUM when worth it.

    ``vacuum``: "auto" (when a quarter of the file is free pages and there
    is room for the copy VACUUM writes), "always" or "never". VACUUM holds
    the write lock for its duration: seconds on this database's size.
    """
    # PRAGMA optimize runs ANALYZE, which reads before it writes: a commit elsewhere in between makes
    # SQLite answer SQLITE_BUSY_SNAPSHOT at once, without waiting, and a busy worker commits often
    # enough that retrying the whole statement kept losing (CI, stops 25 and 27). Inside BEGIN
    # IMMEDIATE the write lock comes first, so what ANALYZE reads cannot go stale.
    with db.transaction(conn):
        conn.execute("PRAGMA optimize").fetchall()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    result = {"pages": pages, "free_pages": free, "vacuumed": False}
    want = vacuum == "always" or (vacuum == "auto" and pages and free / pages >= 0.25)
    if want:
        import shutil
        room = shutil.disk_usage(cfg.state_dir).free
        if room < 2 * pages * page_size:
            result["vacuum_skipped"] = "not enough free disk for VACUUM's copy"
        else:
            t0 = time.monotonic()
            # VACUUM meets a busy writer (the worker's heartbeat) with SQLITE_BUSY at once: poll for it.
            db._polling_for_lock(conn, lambda: conn.execute("VACUUM"))
            result.update(vacuumed=True, vacuum_seconds=round(time.monotonic() - t0, 3))
    if vacuum == "always":
        with db.transaction(conn):
            conn.execute("ANALYZE")
    busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    result["wal_checkpoint"] = "complete" if not busy else "partial (readers active)"
    return result


def run_cleanup(conn: sqlite3.Connection, cfg, vacuum: str = "auto") -> dict:
    deleted = purge(conn, cfg)
    try:
        with backup.locked(cfg.backup_dir):
            kept, removed = backup.apply_retention(cfg, conn)
    except backup.BackupError as exc:   # a backup is running right now: prune next week
        kept, removed = [], []
        deleted_note = str(exc)
    else:
        deleted_note = ""
    result = {"deleted_rows": deleted, "rows_total": sum(deleted.values()),
              "backups_kept": len(kept), "backups_deleted": removed, **compact(conn, cfg, vacuum)}
    if deleted_note:
        result["backups_note"] = deleted_note
    return result
