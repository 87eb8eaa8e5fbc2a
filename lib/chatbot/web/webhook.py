"""GET/POST /webhook: verify, check the signature, store, answer 200 at once.

Nothing slow runs here: the message is committed to the inbox and the
worker answers it. A 200 is only sent once the batch is durable; when the
database cannot take it (locked past the busy timeout, disk full), or a
batch cannot be stored at all, the answer is 503 so Meta delivers it again
later: never a 500. Refused deliveries are counted in memory and sampled to
the database (``whatsapp.rejects``).
"""
from __future__ import annotations

import logging
import sqlite3
import time

from flask import Blueprint, Response, current_app, g, request

from .. import config
from ..db import describe_error
from ..whatsapp import spool, webhook
from ..whatsapp.group_commit import GroupCommitter
from ..whatsapp.rejects import Rejects
from .db import get_db

bp = Blueprint("webhook", __name__)
log = logging.getLogger("chatbot.web")

# After the database was found locked, go straight to the spool for a moment
# instead of making every request wait out the busy timeout again.
BUSY_BACKOFF_SECONDS = 1.0


def _busy_state() -> dict:
    return current_app.extensions.setdefault("chatbot.db_busy", {"until": 0.0})


def _committer(cfg) -> GroupCommitter:
    ext = current_app.extensions
    writer = ext.get("chatbot.inbox_writer")
    if writer is None:   # setdefault is atomic: two first requests still share one writer
        writer = ext.setdefault("chatbot.inbox_writer", GroupCommitter(
            cfg.db_path, cfg.web.db_busy_timeout_ms, cfg.whatsapp.phone_number_ids))
    return writer


def _rejects() -> Rejects:
    return current_app.extensions["chatbot.rejects"]


def _reject(status: int, reason: str, detail: str = "") -> Response:
    try:
        conn = get_db()
    except sqlite3.Error:
        conn = None
    _rejects().record(conn, status, reason, detail)
    return Response(reason + "\n", status=status, mimetype="text/plain")


@bp.get("/webhook")
def verify():
    challenge = webhook.verify_challenge(request.args, g.cfg.whatsapp.verify_token)
    if challenge is None:
        return _reject(403, "verification failed")
    return Response(challenge, status=200, mimetype="text/plain")


@bp.post("/webhook")
def receive():
    cfg = g.cfg
    length = request.content_length
    if length is not None and length > current_app.config["MAX_CONTENT_LENGTH"]:
        return _reject(413, "body too large", str(length))
    body = request.get_data(cache=False)
    secret = cfg.whatsapp.app_secret
    if secret and not webhook.signature_ok(body, request.headers.get("X-Hub-Signature-256"), secret):
        return _reject(403, "bad signature")
    if not secret and not (unsigned_allowed(cfg) and local_peer(cfg, request)):
        return _reject(403, "unsigned webhook refused",
                       "no [whatsapp] app_secret, and not a loopback client on a loopback listener"
                       " (set allow_unsigned = true)")
    try:
        batch = webhook.parse(body)
    except webhook.BadPayload as exc:
        return _reject(400, "bad payload", str(exc))
    if time.monotonic() < _busy_state()["until"]:
        return _spool_or_503(cfg, body, "database was locked a moment ago")
    try:
        result = _committer(cfg).store(batch)
    except sqlite3.Error as exc:
        return _store_later(cfg, body, exc)
    except Exception as exc:   # a batch SQLite cannot take: it fails alone, Meta redelivers it
        log.error("webhook could not store a batch (%s: %s), answering 503 so Meta retries",
                  type(exc).__name__, str(exc)[:200])
        return _unavailable()
    if result["foreign"]:
        log.warning("ignored %d message(s) for phone_number_id(s) not configured: %s",
                    result["foreign"], ",".join(sorted(batch.phone_number_ids - set(cfg.whatsapp.phone_number_ids))))
    if batch.skipped:
        log.warning("webhook batch had %d unreadable item(s): %s", len(batch.skipped), batch.skipped[0])
    return Response("OK\n", status=200, mimetype="text/plain")


def unsigned_allowed(cfg) -> bool:
    """Sandbox mode (no app secret) takes unsigned posts only from this host,
    unless the operator says otherwise: on a public address anyone could
    post messages in a customer's name."""
    return cfg.whatsapp.allow_unsigned or config.is_loopback(cfg.web.host)


# Headers a proxy adds: behind one, every client's connection comes from 127.0.0.1.
FORWARDING = ("Forwarded", "X-Forwarded-For", "X-Real-IP", "X-Forwarded-Host", "X-Forwarded-Proto",
              "X-Forwarded-Port", "X-Forwarded-Server", "Via")


def local_peer(cfg, req) -> bool:
    """The post came from a program on this host, not through a proxy: no forwarding header, and
    the connection's peer (and, with ``[web] trusted_proxies``, the client the proxy saw) is
    loopback. ``allow_unsigned = true`` takes unsigned posts from anyone, as documented."""
    if cfg.whatsapp.allow_unsigned:
        return True
    if any(req.headers.get(h) is not None for h in FORWARDING):
        return False
    peer = (req.environ.get("werkzeug.proxy_fix.orig") or {}).get("REMOTE_ADDR") or req.remote_addr or ""
    return config.is_loopback(peer) and config.is_loopback(req.remote_addr or "")


def _store_later(cfg, body: bytes, exc: sqlite3.Error) -> Response:
    """The database is busy or failing: spool the batch, or 503 so Meta retries."""
    reason = describe_error(exc)
    if "locked" in reason:
        # Only a real lock timeout re-arms the shortcut, so it ends a second
        # after the lock does, however steady the traffic.
        _busy_state()["until"] = time.monotonic() + BUSY_BACKOFF_SECONDS
        return _spool_or_503(cfg, body, reason)
    log.error("webhook could not store a batch, answering 503 so Meta retries: %s", reason)
    return _unavailable()


def _spool_or_503(cfg, body: bytes, reason: str) -> Response:
    try:
        spool.write(cfg.spool_dir, body)
    except OSError as oserr:
        log.error("webhook could not spool a batch (%s), answering 503 so Meta retries", oserr.strerror)
        return _unavailable()
    log.warning("database busy: webhook batch spooled for the worker (%s)", reason)
    return Response("OK\n", status=200, mimetype="text/plain")


def _unavailable() -> Response:
    return Response("temporarily unavailable\n", status=503, mimetype="text/plain", headers={"Retry-After": "30"})


@bp.errorhandler(413)
def too_large(_exc):
    return _reject(413, "body too large")
