"""Web Push: a staff member's locked phone rings when a customer starts waiting
for a person, or when a colleague passes them a conversation.

Each account turns it on for its own devices (the browser's PushSubscription
is stored here, one row per device); the worker's follow-up round calls
``announce``, which sends each new event once to the devices that should hear
it, through the browser vendor's push service (RFC 8030), signed with our
VAPID key (RFC 8292, JWT ES256) and encrypted for the device (RFC 8291,
aes128gcm). The VAPID key pair is a PEM file in the state directory, made by
install.sh or by ``chatbot push keys`` for an existing install.

Owns the ``push_subscriptions`` and ``push_sent`` tables (migration 0018).
"""
from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path
from urllib.parse import urlsplit

from . import clock, db
from . import http as http_mod

log = logging.getLogger("chatbot.push")

GIVE_UP_AFTER = 5                # failures in a row: the device's subscription is dropped
EVENT_MAX_AGE = 3600             # an event older than this is not pushed (a phone ringing for the past)
TTL_SECONDS = 600                # how long the push service keeps a message for a phone that is off
MAX_SUBSCRIPTIONS_PER_USER = 10


class PushError(ValueError):
    """A refused subscription, with a pt-BR reason for the page."""


def key_path(cfg) -> Path:
    return cfg.state_dir / "push" / "vapid_private.pem"


def make_keys(path: Path) -> bool:
    """Create the VAPID key pair at ``path`` unless it exists; True if made."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return True


def _vapid(cfg):
    from py_vapid import Vapid02
    path = key_path(cfg)
    return Vapid02.from_file(str(path)) if path.exists() else None


def public_key(cfg) -> str | None:
    """The applicationServerKey browsers subscribe with (base64url of the raw P-256 point), or None."""
    from cryptography.hazmat.primitives import serialization
    vapid = _vapid(cfg)
    if vapid is None:
        return None
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# -- subscriptions --------------------------------------------------------------------------

def subscribe(conn, user_name: str, sub: dict) -> int:
    """Store (or move to this account) a device's PushSubscription; its id."""
    endpoint = str(sub.get("endpoint") or "")
    keys = sub.get("keys") if isinstance(sub.get("keys"), dict) else {}
    p256dh, auth = str(keys.get("p256dh") or ""), str(keys.get("auth") or "")
    u = urlsplit(endpoint)
    if u.scheme not in ("https", "http") or not u.hostname or len(endpoint) > 2000:
        raise PushError("Endereço de notificação inválido.")
    if not (40 <= len(p256dh) <= 200 and 10 <= len(auth) <= 100):
        raise PushError("Chaves de notificação inválidas.")
    with db.transaction(conn):
        n = conn.execute("SELECT COUNT(*) FROM push_subscriptions WHERE user_name=? AND endpoint != ?",
                         (user_name, endpoint)).fetchone()[0]
        if n >= MAX_SUBSCRIPTIONS_PER_USER:
            raise PushError(f"Esta conta já recebe avisos em {MAX_SUBSCRIPTIONS_PER_USER} aparelhos. "
                            "Desligue em algum deles primeiro.")
        return conn.execute(
            "INSERT INTO push_subscriptions (user_name, endpoint, p256dh, auth, created_at) VALUES (?,?,?,?,?)"
            " ON CONFLICT(endpoint) DO UPDATE SET user_name=excluded.user_name, p256dh=excluded.p256dh,"
            " auth=excluded.auth, failures=0, last_error=NULL RETURNING id",
            (user_name, endpoint, p256dh, auth, clock.now())).fetchone()[0]


def unsubscribe(conn, user_name: str, endpoint: str) -> int:
    with db.transaction(conn):
        return conn.execute("DELETE FROM push_subscriptions WHERE user_name=? AND endpoint=?",
                            (user_name, endpoint)).rowcount


def devices(conn, user_name: str) -> int:
    return conn.execute("SELECT COUNT(*) FROM push_subscriptions WHERE user_name=?", (user_name,)).fetchone()[0]


def forget_user(conn, user_name: str) -> int:
    """A removed account's devices stop ringing."""
    with db.transaction(conn):
        return conn.execute("DELETE FROM push_subscriptions WHERE user_name=?", (user_name,)).rowcount


# -- events ---------------------------------------------------------------------------------

def pending(conn) -> list[dict]:
    """Events not pushed yet: new handoffs (to everyone), conversations passed to someone (to them)."""
    since = clock.now() - EVENT_MAX_AGE
    events = []
    for r in conn.execute(
            "SELECT h.id, h.wa_id, h.reason, h.created_at FROM handoffs h WHERE h.created_at > ?"
            " AND h.ended_at IS NULL AND h.reason != 'operator_takeover' AND NOT EXISTS (SELECT 1 FROM push_sent"
            " p WHERE p.kind='handoff' AND p.ref=CAST(h.id AS TEXT)) ORDER BY h.id", (since,)):
        events.append({"kind": "handoff", "ref": str(r["id"]), "to": None, "wa_id": r["wa_id"],
                       "title": "Cliente aguardando atendimento",
                       "body": f"{_name(conn, r['wa_id'])} quer falar com uma pessoa.", "url": f"/handoffs/{r['id']}"})
    for r in conn.execute(
            "SELECT c.wa_id, c.held_by, c.transferred_by, c.transferred_at FROM conversations c"
            " WHERE c.transferred_at > ? AND c.held_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM push_sent p"
            " WHERE p.kind='transfer' AND p.ref=c.wa_id || ':' || c.transferred_at)", (since,)):
        events.append({"kind": "transfer", "ref": f"{r['wa_id']}:{r['transferred_at']}", "to": r["held_by"],
                       "wa_id": r["wa_id"], "title": "Conversa transferida para você",
                       "body": f"{r['transferred_by']} passou a conversa com {_name(conn, r['wa_id'])} para você.",
                       "url": f"/conversations/{r['wa_id']}"})
    return events


def _name(conn, wa_id: str) -> str:
    row = conn.execute("SELECT contact_name FROM inbox WHERE wa_id=? AND contact_name IS NOT NULL"
                       " ORDER BY id DESC LIMIT 1", (wa_id,)).fetchone()
    return row[0] if row else "Um cliente"


def announce(conn, cfg, session=None) -> int:
    """Push every pending event once to the devices that should hear it; the
    number of pushes the push services accepted. Called by the worker's
    follow-up round (``ops/handoff_followup.py``), off the customers' path."""
    events = pending(conn)
    if not events:
        return 0
    vapid = _vapid(cfg)
    subs = conn.execute("SELECT id, user_name, endpoint, p256dh, auth FROM push_subscriptions").fetchall()
    delivered = 0
    if vapid is not None and subs:
        from pywebpush import WebPushException, webpush
        session = session or http_mod.session()
        contact = cfg.web.public_url if cfg.web.public_url.startswith("https://") else "mailto:atendimento@localhost"
        for ev in events:
            for s in subs:
                if ev["to"] is not None and s["user_name"].lower() != ev["to"].lower():
                    continue
                data = json.dumps({k: ev[k] for k in ("title", "body", "url", "kind")}, ensure_ascii=False)
                info = {"endpoint": s["endpoint"], "keys": {"p256dh": s["p256dh"], "auth": s["auth"]}}
                try:
                    webpush(info, data, vapid_private_key=vapid, vapid_claims={"sub": contact}, ttl=TTL_SECONDS,
                            timeout=10, requests_session=session, headers={"Urgency": "high"})
                except WebPushException as exc:
                    _failed(conn, s, exc)
                    continue
                except Exception as exc:          # the push service unreachable: the next event tries again
                    _failed(conn, s, exc)
                    continue
                delivered += 1
                with db.transaction(conn):
                    conn.execute("UPDATE push_subscriptions SET last_ok_at=?, failures=0, last_error=NULL"
                                 " WHERE id=?", (clock.now(), s["id"]))
    with db.transaction(conn):
        conn.executemany("INSERT OR IGNORE INTO push_sent (kind, ref, sent_at) VALUES (?,?,?)",
                         [(ev["kind"], ev["ref"], clock.now()) for ev in events])
        # An event older than EVENT_MAX_AGE is never pending again: its mark can go.
        conn.execute("DELETE FROM push_sent WHERE sent_at < ?", (clock.now() - 2 * EVENT_MAX_AGE,))
    if delivered:
        log.info("pushed %d notice(s) of %d event(s)", delivered, len(events))
    return delivered


def _failed(conn, sub, exc) -> None:
    status = getattr(getattr(exc, "response", None), "status_code", None)
    with db.transaction(conn):
        if status in (404, 410):            # the device unsubscribed, or the browser was reset
            conn.execute("DELETE FROM push_subscriptions WHERE id=?", (sub["id"],))
            log.info("push subscription %d is gone (%s): removed", sub["id"], status)
            return
        conn.execute("UPDATE push_subscriptions SET failures=failures+1, last_error=? WHERE id=?",
                     (str(exc)[:300], sub["id"]))
        conn.execute("DELETE FROM push_subscriptions WHERE id=? AND failures >= ?", (sub["id"], GIVE_UP_AFTER))
    log.warning("push to subscription %d failed: %s", sub["id"], str(exc)[:200])
