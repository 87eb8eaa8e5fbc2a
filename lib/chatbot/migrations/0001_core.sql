-- The message path: the durable inbox, what we sent, what Meta told us back.
-- Times are Unix epoch seconds (REAL).

-- One row per inbound WhatsApp message; the UNIQUE wamid makes redelivery a no-op.
-- status: queued -> processing -> answered | ignored | stale | failed | unknown | handoff
CREATE TABLE inbox (
    id              INTEGER PRIMARY KEY,
    wamid           TEXT NOT NULL UNIQUE,
    phone_number_id TEXT NOT NULL,
    wa_id           TEXT NOT NULL,          -- the customer
    contact_name    TEXT,
    msg_type        TEXT NOT NULL,
    body            TEXT,                   -- the text the bot reads, when there is one
    payload         TEXT NOT NULL,          -- the message object as received (JSON)
    sent_at         REAL,                   -- the customer's timestamp
    received_at     REAL NOT NULL,
    status          TEXT NOT NULL DEFAULT 'queued',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    lease_owner     TEXT,
    lease_until     REAL,
    error           TEXT,
    error_code      INTEGER,
    finished_at     REAL,
    updated_at      REAL NOT NULL
);
CREATE INDEX inbox_status_idx ON inbox (status, next_attempt_at);
CREATE INDEX inbox_conv_idx ON inbox (phone_number_id, wa_id, id);
CREATE INDEX inbox_received_idx ON inbox (received_at);

-- One row per reply. state: prepared -> sending -> sent | failed | unknown | sandbox.
-- 'sending' is written (and synced) before the Graph API is called: finding it
-- after a crash means the outcome is unknown, and we never send again on a guess.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    inbox_id        INTEGER REFERENCES inbox(id),
    phone_number_id TEXT NOT NULL,
    wa_id           TEXT NOT NULL,
    kind            TEXT NOT NULL DEFAULT 'text',
    body            TEXT NOT NULL,          -- the request JSON we send
    state           TEXT NOT NULL DEFAULT 'prepared',
    wamid           TEXT UNIQUE,            -- Meta's id for what we sent
    delivery        TEXT,                   -- last status Meta reported (sent/delivered/read/failed)
    attempts        INTEGER NOT NULL DEFAULT 0,
    error_code      INTEGER,
    error           TEXT,
    created_at      REAL NOT NULL,
    sent_at         REAL,
    updated_at      REAL NOT NULL
);
CREATE UNIQUE INDEX outbox_inbox_idx ON outbox (inbox_id);
CREATE INDEX outbox_created_idx ON outbox (created_at);
CREATE INDEX outbox_state_idx ON outbox (state);

-- Statuses as Meta reported them; they arrive out of order and may be repeated.
CREATE TABLE statuses (
    id          INTEGER PRIMARY KEY,
    wamid       TEXT NOT NULL,
    status      TEXT NOT NULL,
    recipient   TEXT,
    ts          REAL,
    error_code  INTEGER,
    error       TEXT,
    received_at REAL NOT NULL,
    UNIQUE (wamid, status)
);
CREATE INDEX statuses_received_idx ON statuses (received_at);

-- Graph API errors, for alerting (190 = token expired) and the dashboard.
CREATE TABLE api_errors (
    id          INTEGER PRIMARY KEY,
    ts          REAL NOT NULL,
    code        INTEGER,
    http_status INTEGER,
    message     TEXT,
    retryable   INTEGER NOT NULL,
    inbox_id    INTEGER
);
CREATE INDEX api_errors_ts_idx ON api_errors (ts);

-- Rejected webhook deliveries (bad signature, bad shape), for the dashboard.
CREATE TABLE webhook_rejects (
    id      INTEGER PRIMARY KEY,
    ts      REAL NOT NULL,
    reason  TEXT NOT NULL,
    detail  TEXT
);
CREATE INDEX webhook_rejects_ts_idx ON webhook_rejects (ts);

-- Long-running processes say they are alive here (worker, web).
CREATE TABLE heartbeats (
    name    TEXT PRIMARY KEY,
    pid     INTEGER,
    ts      REAL NOT NULL,
    info    TEXT
);

-- Every answered message: what the bot did, for monitoring.
CREATE TABLE events (
    id              INTEGER PRIMARY KEY,
    ts              REAL NOT NULL,
    inbox_id        INTEGER,
    phone_number_id TEXT,
    wa_id           TEXT,
    intent          TEXT,
    confidence      REAL,
    source          TEXT,                   -- template, cache, llm, fallback, system
    processing_ms   REAL,                   -- bot time
    latency_ms      REAL,                   -- received -> reply handed to the Graph API
    success         INTEGER NOT NULL,
    handoff         INTEGER NOT NULL DEFAULT 0,
    tokens_in       INTEGER,
    tokens_out      INTEGER,
    llm_ms          REAL,
    error           TEXT
);
CREATE INDEX events_ts_idx ON events (ts);

-- Each run of a timer job: its last start, end and outcome.
-- status: running, ok, failed
CREATE TABLE job_runs (
    id          INTEGER PRIMARY KEY,
    job         TEXT NOT NULL,
    started_at  REAL NOT NULL,
    finished_at REAL,
    status      TEXT NOT NULL,
    message     TEXT,
    details     TEXT                        -- JSON
);
CREATE INDEX job_runs_job_idx ON job_runs (job, started_at);
