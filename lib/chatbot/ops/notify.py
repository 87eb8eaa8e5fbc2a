"""Alert notices: e-mail (SMTP with STARTTLS/SSL and login) and an optional webhook.

Notices are queued in ``notifications`` (one row per channel) inside the
alert check's transaction, then delivered. A notice that fails stays
``failed`` and is retried on every later run for ``[alerts]
notify_retry_hours``, oldest first, so a FIRING always goes out before its
RESOLVED. Every attempt is recorded (``notification_attempts``) and failed
notices are listed on the dashboard (``failed_notifications``).

The SMTP password comes from the environment (``CHATBOT_SMTP_PASSWORD``)
and never appears in an error message: errors name the server and the
server's reply code only.
"""
from __future__ import annotations

import json
import re
import smtplib
import socket
import ssl
import sqlite3
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from .. import clock, db
from ..log import scrub

# A notice claimed by a run that then died is tried again after this long.
SENDING_LEASE_SECONDS = 600


class NotifyError(Exception):
    """A notice could not be delivered: one line naming the channel and the reason."""


def channels(cfg) -> list[str]:
    out = []
    if cfg.smtp.host and cfg.smtp.recipients:
        out.append("email")
    if cfg.alerts.webhook_url:
        out.append("webhook")
    return out


def hostname(cfg) -> str:
    return cfg.alerts.hostname or socket.gethostname()


# -- queue -----------------------------------------------------------------
def enqueue(conn: sqlite3.Connection, cfg, alert: str, kind: str, subject: str, body: str,
            payload: dict) -> list[int]:
    """Queue one notice per configured channel (call inside a transaction)."""
    ids = []
    for channel in channels(cfg):
        cur = conn.execute("INSERT INTO notifications (created_at, alert, kind, channel, subject, body, payload)"
                           " VALUES (?,?,?,?,?,?,?)",
                           (clock.now(), alert, kind, channel, subject, body, json.dumps(payload)))
        ids.append(cur.lastrowid)
    return ids


def _claim(conn: sqlite3.Connection, cfg) -> tuple[list[sqlite3.Row], int]:
    now = clock.now()
    with db.transaction(conn):
        expired = conn.execute(
            "UPDATE notifications SET status='expired' WHERE status IN ('pending', 'failed')"
            " AND created_at < ?", (now - cfg.alerts.notify_retry_hours * 3600,)).rowcount
        rows = conn.execute(
            "SELECT * FROM notifications WHERE status IN ('pending', 'failed')"
            " OR (status='sending' AND last_attempt_at < ?) ORDER BY id",
            (now - SENDING_LEASE_SECONDS,)).fetchall()
        conn.executemany("UPDATE notifications SET status='sending', last_attempt_at=?, attempts=attempts+1"
                         " WHERE id=?", [(now, r["id"]) for r in rows])
    return rows, expired


def deliver(conn: sqlite3.Connection, cfg) -> dict:
    """Send every queued or previously failed notice; return counts and errors."""
    rows, expired = _claim(conn, cfg)
    sent, failed, errors = 0, 0, []
    broken: dict[str, str] = {}   # channel -> error: one failure per channel per run is enough
    for row in rows:
        error = broken.get(row["channel"])
        if error is None:
            try:
                if row["channel"] == "email":
                    send_email(cfg, row["subject"], row["body"])
                elif row["channel"] == "webhook":
                    send_webhook(cfg, json.loads(row["payload"] or "{}"))
                else:
                    raise NotifyError(f"unknown channel {row['channel']!r}")
            except NotifyError as exc:
                error = scrub(str(exc), cfg.secrets())
                if row["channel"] in channels(cfg):
                    broken[row["channel"]] = error
            except Exception as exc:    # this notice's own fault (its payload, its text): it fails alone
                error = scrub(f"cannot send this notice: {type(exc).__name__}: {_first_line(exc)}", cfg.secrets())
        now = clock.now()
        with db.transaction(conn):
            if error is None:
                conn.execute("UPDATE notifications SET status='sent', sent_at=?, error=NULL WHERE id=?",
                             (now, row["id"]))
                sent += 1
            else:
                conn.execute("UPDATE notifications SET status='failed', error=? WHERE id=?", (error, row["id"]))
                failed += 1
                errors.append(f"{row['channel']}: {error}")
            conn.execute("INSERT INTO notification_attempts (notification_id, ts, ok, error) VALUES (?,?,?,?)",
                         (row["id"], now, int(error is None), error))
    return {"sent": sent, "failed": failed, "expired": expired, "errors": sorted(set(errors))}


def failed_notifications(conn: sqlite3.Connection, since_ts: float) -> list[dict]:
    """Notices not delivered (failed, still retrying, or expired) created since ``since_ts``."""
    rows = conn.execute(
        "SELECT id, created_at, alert, kind, channel, subject, status, attempts, last_attempt_at, error"
        " FROM notifications WHERE created_at >= ? AND status IN ('failed', 'expired')"
        " ORDER BY created_at DESC LIMIT 200", (since_ts,)).fetchall()
    return [dict(r) for r in rows]


def recent(conn: sqlite3.Connection, since_ts: float, limit: int = 100) -> list[dict]:
    rows = conn.execute("SELECT id, created_at, alert, kind, channel, subject, status, attempts, sent_at, error"
                        " FROM notifications WHERE created_at >= ? ORDER BY id DESC LIMIT ?",
                        (since_ts, limit)).fetchall()
    return [dict(r) for r in rows]


# -- channels --------------------------------------------------------------
def send_email(cfg, subject: str, body: str, to: list[str] | None = None) -> None:
    """Send through [smtp], to its recipients or to ``to``."""
    s = cfg.smtp
    recipients = to if to is not None else s.recipients
    if not s.host or not recipients:
        raise NotifyError("e-mail is not configured ([smtp] host and recipients)")
    msg = EmailMessage()
    try:
        msg["From"] = s.sender
        msg["To"] = ", ".join(recipients)
        msg["Subject"] = header_text(subject)
    except (ValueError, TypeError) as exc:      # a header the e-mail library refuses: this notice only
        raise NotifyError(f"cannot build the e-mail: {_first_line(exc)}") from None
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=hostname(cfg))
    msg.set_content(body)
    where = f"SMTP server {s.host}:{s.port}"
    try:
        context = ssl.create_default_context(cafile=s.ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise NotifyError(f"cannot load [smtp] ca_file {s.ca_file}: {exc}") from None
    try:
        if s.security == "ssl":
            server = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_seconds, context=context)
        else:
            server = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
        with server:
            server.ehlo()
            if s.security == "starttls":
                server.starttls(context=context)
                server.ehlo()
            if s.username:
                server.login(s.username, s.password)
            server.send_message(msg)
    # One except per SMTP failure, alike in shape: each gets its own sentence for the sysadmin.
    except smtplib.SMTPAuthenticationError as exc:
        raise NotifyError(f"{where} rejected the login as {s.username!r} ({exc.smtp_code})") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise NotifyError(f"{where}: {_first_line(exc)} (check [smtp] security)") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise NotifyError(f"{where} refused the recipients {sorted(exc.recipients)}") from None
    except smtplib.SMTPResponseException as exc:
        raise NotifyError(f"{where} answered {exc.smtp_code}: {_first_line(exc.smtp_error)}") from None
    except smtplib.SMTPException as exc:
        raise NotifyError(f"{where}: {_first_line(exc)}") from None
    except ssl.SSLError as exc:
        raise NotifyError(f"TLS with {where} failed: {exc.reason or exc}") from None
    except TimeoutError:
        raise NotifyError(f"{where} did not answer within {s.timeout_seconds:.0f}s") from None
    except OSError as exc:
        raise NotifyError(f"cannot connect to {where}: {exc.strerror or exc}") from None


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_text(value: str) -> str:
    """One line for a mail header: a customer's name with a CR/LF in it must not end the header
    (the e-mail library refuses it, and every later notice would wait behind that one)."""
    return " ".join(_CONTROL.sub(" ", str(value)).split())


def chat_escape(value: str) -> str:
    """Text for a Slack-style ``text`` field: &, < and > escaped, so a customer's name cannot
    become a link or a mention (``<!channel>``, ``<https://...|...>``)."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def send_webhook(cfg, payload: dict, url: str | None = None) -> None:
    """POST ``payload`` as JSON to [alerts] webhook_url, or to ``url``."""
    import requests

    from .. import http
    url = url or cfg.alerts.webhook_url
    if not url:
        raise NotifyError("no [alerts] webhook_url configured")
    # Webhook URLs often carry a token in the path: name only the host.
    where = f"webhook at {urlsplit(url).scheme}://{urlsplit(url).netloc}"
    try:
        with http.session(pool_size=1) as session:
            # No redirect is followed: it could carry customers' names to a host the config never named.
            resp = session.post(url, json=payload, timeout=cfg.alerts.webhook_timeout_seconds, allow_redirects=False)
    except requests.RequestException as exc:
        raise NotifyError(f"cannot reach the {where}: {type(exc).__name__}") from None
    if resp.is_redirect:
        raise NotifyError(f"the {where} answered HTTP {resp.status_code} (a redirect: not followed;"
                          " put the final URL in the config)")
    if not 200 <= resp.status_code < 300:
        raise NotifyError(f"the {where} answered HTTP {resp.status_code}")


def send_test(conn: sqlite3.Connection, cfg) -> dict:
    """Send a test notice on every channel now; record it like any notice."""
    if not channels(cfg):
        raise NotifyError("no notification channel configured: set [smtp] host and recipients,"
                          " or [alerts] webhook_url")
    host = hostname(cfg)
    subject = f"[chatbot TEST] notification test from {host}"
    body = (f"This is a test notice from chatbot-check-alerts --test on {host}.\n\n"
            "If you read this, alert e-mails reach you. Nothing needs to be done.\n")
    payload = {"status": "test", "alert": "test", "host": host, "summary": subject, "text": subject}
    with db.transaction(conn):
        enqueue(conn, cfg, "test", "test", subject, body, payload)
    # Deliver everything queued, test first or not: a test that succeeds also
    # flushes notices that were waiting for the channel to come back.
    result = deliver(conn, cfg)
    rows = conn.execute("SELECT channel, status, error FROM notifications WHERE kind='test'"
                        " ORDER BY id DESC LIMIT ?", (len(channels(cfg)),)).fetchall()
    result["test"] = {r["channel"]: (r["status"] if r["status"] == "sent" else f"failed: {r['error']}")
                      for r in rows}
    return result


def _first_line(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).strip()
    return text.splitlines()[0] if text else type(value).__name__
