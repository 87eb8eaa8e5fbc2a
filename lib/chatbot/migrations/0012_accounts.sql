-- Staff accounts and their server-side web sessions (accounts.py owns both).

-- role: operator (inbox and conversations) < manager (+ catalog, FAQ,
-- unanswered questions) < admin (everything). password_hash is
-- "scrypt$N$r$p$salt$hash" (base64), never the password.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role          TEXT NOT NULL CHECK (role IN ('operator', 'manager', 'admin')),
    password_hash TEXT NOT NULL,
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL
);

-- One row per login. The cookie holds a random id; only its SHA-256 is kept,
-- so a copy of the database (a backup) opens no session. A session made with
-- the admin token has no user and the token's fingerprint instead: a new
-- token ends it. Removing a user removes their sessions with them.
CREATE TABLE web_sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    INTEGER REFERENCES users(id) ON DELETE CASCADE,
    token_fp   TEXT,
    csrf       TEXT NOT NULL,
    client     TEXT,
    created_at REAL NOT NULL,
    last_seen  REAL NOT NULL,
    expires_at REAL NOT NULL,
    revoked_at REAL,
    revoked_why TEXT,
    CHECK ((user_id IS NULL) <> (token_fp IS NULL))
);
CREATE INDEX web_sessions_user_idx ON web_sessions (user_id);
CREATE INDEX web_sessions_expires_idx ON web_sessions (expires_at);
