"""Staff accounts, their passwords and their web sessions.

Owns the ``users`` and ``web_sessions`` tables (migration 0012). Roles are
ranked: an ``operator`` reads and answers conversations, a ``manager`` also
keeps the catalog, the FAQ and the unanswered questions, an ``admin`` does
everything (dashboard, backups, the test message, users).

Passwords are hashed with scrypt (memory-hard, from the standard library)
and a random salt per user. A session is a random id in the cookie; the
database keeps only its SHA-256, so it can be ended on the server: logout,
a password change and removing the user end it at once.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import sqlite3
from dataclasses import dataclass

from . import clock, db

ROLES = ("operator", "manager", "admin")
RANK = {role: i for i, role in enumerate(ROLES)}
ROLE_LABELS = {"operator": "atendente", "manager": "gerente", "admin": "administrador"}
ROLE_OF_LABEL = {label: role for role, label in ROLE_LABELS.items()}
MIN_PASSWORD = 10
MAX_PASSWORD = 1024          # scrypt reads it all: no megabyte "passwords"
# A person's name as the team writes it ("ana", "João Silva"): letters (accents too), digits,
# ".", "_", "-", "'" and single spaces; 2-40 characters, starting with a letter or digit.
NAME = re.compile(r"^[^\W_](?:[\w.'-]| (?=[^ ]))*$")
NAME_MAX = 40

# scrypt with N=2**15, r=8: 32 MiB and ~0.1 s per hash on this class of host
# (OWASP's minimum is N=2**17 with r=8 and p=1 *or* this memory with more
# passes; one login a second per thread is plenty for a shop's staff).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1
# The test suite (tests/conftest.py) sets this to hash in microseconds instead of
# 0.1 s; nothing else does. Only a power of two from 16 to SCRYPT_N is taken.
TEST_COST_ENV = "CHATBOT_TEST_SCRYPT_N"
_MAXMEM = 64 * 1024 * 1024

SESSION_HOURS = 12
TOUCH_EVERY = 60             # seconds between last_seen updates of one session


class AccountError(ValueError):
    """A refused account operation, with a message for the operator."""


@dataclass(frozen=True)
class User:
    """Who is asking. ``id`` is None for the admin token (scripts, or a login with the token)."""
    name: str
    role: str
    id: int | None = None

    def can(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]

    @property
    def label(self) -> str:
        return ROLE_LABELS[self.role]


TOKEN_USER = User(name="admin (token)", role="admin")


# -- passwords -------------------------------------------------------------------------

def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password too short: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"password too long: at most {MAX_PASSWORD} characters")
    if password != password.strip():
        raise AccountError("password must not start or end with a space")


def scrypt_n() -> int:
    """The cost new hashes get: SCRYPT_N, or the test suite's cheaper one."""
    raw = os.environ.get(TEST_COST_ENV, "")
    n = int(raw) if raw.isdigit() else 0
    return n if 16 <= n <= SCRYPT_N and n & (n - 1) == 0 else SCRYPT_N


def hash_password(password: str, *, n: int | None = None, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    n = n or scrypt_n()
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        want = base64.b64decode(digest)
        got = hashlib.scrypt(password[:MAX_PASSWORD].encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                             p=int(p), maxmem=_MAXMEM, dklen=len(want))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


# Compared against when the name is unknown, so a wrong name costs the same
# time as a wrong password and does not tell which names exist.
_DUMMY_HASH = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
    return _DUMMY_HASH


# -- users -----------------------------------------------------------------------------

def check_name(name: str) -> None:
    if not (2 <= len(name or "") <= NAME_MAX and NAME.match(name)):
        raise AccountError(f"invalid user name {name!r}: 2-{NAME_MAX} letters (accents too), digits, single "
                           "spaces, '.', '_', '-' or \"'\", starting with a letter or digit")


def role_of(value: str) -> str:
    """A role given as the code ("operator") or as staff call it ("atendente", "gerente", "administrador")."""
    value = (value or "").strip().lower()
    return ROLE_OF_LABEL.get(value, value)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"invalid role {role!r}: one of {', '.join(ROLES)} "
                           f"({', '.join(ROLE_LABELS[r] for r in ROLES)})")


def add(conn: sqlite3.Connection, name: str, role: str, password: str) -> User:
    check_name(name)
    role = role_of(role)
    _check_role(role)
    check_password(password)
    hashed = hash_password(password)         # before the write lock: it takes a tenth of a second
    now = clock.now()
    try:
        with db.transaction(conn):
            cur = conn.execute("INSERT INTO users (name, role, password_hash, created_at, updated_at)"
                               " VALUES (?,?,?,?,?)", (name, role, hashed, now, now))
    except sqlite3.IntegrityError:
        raise AccountError(f"user {name!r} already exists") from None
    return User(name=name, role=role, id=cur.lastrowid)


def get(conn: sqlite3.Connection, name: str) -> User | None:
    row = conn.execute("SELECT id, name, role FROM users WHERE name=?", (name,)).fetchone()
    return User(name=row["name"], role=row["role"], id=row["id"]) if row else None


def listing(conn: sqlite3.Connection) -> list[dict]:
    now = clock.now()
    rows = conn.execute(
        "SELECT u.name, u.role, u.created_at, u.updated_at,"
        " (SELECT COUNT(*) FROM web_sessions s WHERE s.user_id=u.id AND s.revoked_at IS NULL"
        "  AND s.expires_at > ?) AS sessions,"
        " (SELECT MAX(last_seen) FROM web_sessions s WHERE s.user_id=u.id) AS last_seen"
        " FROM users u ORDER BY u.name", (now,))
    return [dict(r) for r in rows]


def set_password(conn: sqlite3.Connection, name: str, password: str) -> int:
    """Change the password and end every session of the user; return how many ended."""
    check_password(password)
    hashed = hash_password(password)
    now = clock.now()
    with db.transaction(conn):
        user = get(conn, name)
        if user is None:
            raise AccountError(f"no user {name!r}")
        conn.execute("UPDATE users SET password_hash=?, updated_at=? WHERE id=?", (hashed, now, user.id))
        return _revoke(conn, "user_id=?", (user.id,), "password changed")


def set_role(conn: sqlite3.Connection, name: str, role: str) -> None:
    role = role_of(role)
    _check_role(role)
    with db.transaction(conn):
        if conn.execute("UPDATE users SET role=?, updated_at=? WHERE name=?",
                        (role, clock.now(), name)).rowcount == 0:
            raise AccountError(f"no user {name!r}")


def remove(conn: sqlite3.Connection, name: str) -> int:
    """Remove the user; their sessions go with them. Return how many were open."""
    with db.transaction(conn):
        user = get(conn, name)
        if user is None:
            raise AccountError(f"no user {name!r}")
        ended = _revoke(conn, "user_id=?", (user.id,), "user removed")
        conn.execute("DELETE FROM users WHERE id=?", (user.id,))
        return ended


def authenticate(conn: sqlite3.Connection, name: str, password: str) -> User | None:
    row = conn.execute("SELECT id, name, role, password_hash FROM users WHERE name=?",
                       (name or "",)).fetchone() if name else None
    if row is None:
        verify_password(password, _dummy_hash())
        return None
    if not verify_password(password, row["password_hash"]):
        return None
    return User(name=row["name"], role=row["role"], id=row["id"])


def logged_in_from(conn: sqlite3.Connection, name: str, client: str, days: float = 30) -> bool:
    """Did this user open a session from this address in the last ``days``? (Logins from
    there are not rationed while someone guesses the account's password elsewhere.)"""
    if not name or not client:
        return False
    return conn.execute("SELECT 1 FROM web_sessions s JOIN users u ON u.id = s.user_id WHERE u.name=?"
                        " AND s.client=? AND s.created_at > ? LIMIT 1",
                        (name, client[:64], clock.now() - days * 86400)).fetchone() is not None


# -- sessions --------------------------------------------------------------------------

def token_fingerprint(token: str) -> str:
    """Names the admin token in a session row without storing it."""
    return hmac.new(token.encode(), b"chatbot-token-session-v1", hashlib.sha256).hexdigest()


def _hash_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    id_hash: str
    user: User
    csrf: str
    expires_at: float


def open_session(conn: sqlite3.Connection, user: User, client: str = "", token: str | None = None,
                 hours: float = SESSION_HOURS) -> tuple[str, Session]:
    """A new session for ``user`` (or for the admin ``token``): (cookie value, session)."""
    sid, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(24), clock.now()
    expires = now + hours * 3600
    fp = token_fingerprint(token) if user.id is None else None
    with db.transaction(conn, durable=True):
        conn.execute("INSERT INTO web_sessions (id_hash, user_id, token_fp, csrf, client, created_at, last_seen,"
                     " expires_at) VALUES (?,?,?,?,?,?,?,?)",
                     (_hash_id(sid), user.id, fp, csrf, client[:64], now, now, expires))
    return sid, Session(_hash_id(sid), user, csrf, expires)


def lookup(conn: sqlite3.Connection, session_id: str, token: str | None) -> Session | None:
    """The live session with this cookie value, or None (unknown, expired, revoked,
    its user gone, or opened with an admin token that is no longer the one in force)."""
    if not session_id or len(session_id) > 100:
        return None
    now = clock.now()
    row = conn.execute("SELECT s.id_hash, s.user_id, s.token_fp, s.csrf, s.last_seen, s.expires_at,"
                       " u.name, u.role FROM web_sessions s LEFT JOIN users u ON u.id = s.user_id"
                       " WHERE s.id_hash=? AND s.revoked_at IS NULL AND s.expires_at > ?",
                       (_hash_id(session_id), now)).fetchone()
    if row is None:
        return None
    if row["user_id"] is None:
        if not token or not hmac.compare_digest(row["token_fp"], token_fingerprint(token)):
            return None
        user = TOKEN_USER
    else:
        user = User(name=row["name"], role=row["role"], id=row["user_id"])
    if now - row["last_seen"] >= TOUCH_EVERY:
        # Not worth waiting for: a busy database just leaves last_seen a minute older.
        try:
            conn.execute("UPDATE web_sessions SET last_seen=? WHERE id_hash=?", (now, row["id_hash"]))
        except sqlite3.OperationalError:
            pass
    return Session(row["id_hash"], user, row["csrf"], row["expires_at"])


def end_session(conn: sqlite3.Connection, id_hash: str, why: str = "logout") -> int:
    with db.transaction(conn, durable=True):
        return _revoke(conn, "id_hash=?", (id_hash,), why)


def end_sessions(conn: sqlite3.Connection, name: str | None = None, why: str = "ended by the administrator") -> int:
    """End the sessions of one user, or everyone's (``name`` None, token sessions included)."""
    with db.transaction(conn, durable=True):
        if name is None:
            return _revoke(conn, "1=1", (), why)
        user = get(conn, name)
        if user is None:
            raise AccountError(f"no user {name!r}")
        return _revoke(conn, "user_id=?", (user.id,), why)


def end_stale_token_sessions(conn: sqlite3.Connection, token: str | None) -> int:
    """End sessions opened with an admin token other than ``token`` (it was rotated)."""
    fp = token_fingerprint(token) if token else ""
    with db.transaction(conn):
        return _revoke(conn, "token_fp IS NOT NULL AND token_fp <> ?", (fp,), "admin token changed")


def _revoke(conn, where: str, params: tuple, why: str) -> int:
    now = clock.now()
    return conn.execute(f"UPDATE web_sessions SET revoked_at=?, revoked_why=? WHERE revoked_at IS NULL"
                        f" AND expires_at > ? AND {where}", (now, why, now, *params)).rowcount
