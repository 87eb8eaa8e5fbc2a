-- Operations: metrics samples, alert state and history, notifications,
-- unit failures reported by systemd's OnFailure=, and the backups taken.
-- Times are Unix epoch seconds (REAL).

-- One row per chatbot-collect-metrics run. The raw CPU counters (and the
-- boot time they count from) are kept so the next run can take the delta:
-- a short-lived process cannot sample CPU usage itself.
CREATE TABLE metrics (
    id                 INTEGER PRIMARY KEY,
    ts                 REAL NOT NULL,
    boot_time          REAL,
    cpu_total          REAL,                 -- sum of psutil.cpu_times() counters (s)
    cpu_idle           REAL,                 -- idle + iowait counters (s)
    cpu_percent        REAL,                 -- NULL on the first run and after a reboot
    memory_percent     REAL,
    disk_percent       REAL,
    disk_free_bytes    INTEGER,
    load1              REAL,
    load5              REAL,
    load15             REAL,
    inbox_depth        INTEGER,              -- queued + processing
    oldest_age_seconds REAL,                 -- oldest unanswered message
    window_seconds     REAL,                 -- what replies/errors/latency cover
    replies            INTEGER,
    errors             INTEGER,              -- failed replies
    api_errors         INTEGER,
    auth_errors        INTEGER,              -- Graph API auth errors (190 and friends)
    latency_p50_ms     REAL,
    latency_p95_ms     REAL
);
CREATE INDEX metrics_ts_idx ON metrics (ts);

-- The alert state machine, one row per rule instance (e.g. 'disk',
-- 'job_overdue:backup'). state: pending, firing (inactive rows are deleted).
CREATE TABLE alert_state (
    name             TEXT PRIMARY KEY,
    state            TEXT NOT NULL,
    severity         TEXT NOT NULL,
    title            TEXT NOT NULL,
    summary          TEXT,
    value            REAL,
    pending_since    REAL NOT NULL,
    firing_since     REAL,
    last_notified_at REAL,
    updated_at       REAL NOT NULL
);

-- Every transition: pending, firing, repeat, resolved, cancelled (pending that cleared).
CREATE TABLE alert_history (
    id       INTEGER PRIMARY KEY,
    ts       REAL NOT NULL,
    name     TEXT NOT NULL,
    event    TEXT NOT NULL,
    severity TEXT,
    value    REAL,
    summary  TEXT
);
CREATE INDEX alert_history_ts_idx ON alert_history (ts);
CREATE INDEX alert_history_name_idx ON alert_history (name, ts);

-- One row per notice per channel. status: pending -> sending -> sent | failed
-- (retried on the next run) | expired (given up after notify_retry_hours).
CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY,
    created_at      REAL NOT NULL,
    alert           TEXT NOT NULL,
    kind            TEXT NOT NULL,           -- firing, repeat, resolved, test
    channel         TEXT NOT NULL,           -- email, webhook
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    payload         TEXT,                    -- webhook JSON
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_attempt_at REAL,
    sent_at         REAL,
    error           TEXT
);
CREATE INDEX notifications_created_idx ON notifications (created_at);
CREATE INDEX notifications_status_idx ON notifications (status, id);

-- Each delivery attempt, for the dashboard and the post-mortem.
CREATE TABLE notification_attempts (
    id              INTEGER PRIMARY KEY,
    notification_id INTEGER NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
    ts              REAL NOT NULL,
    ok              INTEGER NOT NULL,
    error           TEXT
);
CREATE INDEX notification_attempts_nid_idx ON notification_attempts (notification_id);
CREATE INDEX notification_attempts_ts_idx ON notification_attempts (ts);

-- Failures reported by chatbot-job-failed (run by systemd's OnFailure=).
CREATE TABLE unit_failures (
    id      INTEGER PRIMARY KEY,
    ts      REAL NOT NULL,
    unit    TEXT NOT NULL,
    job        TEXT,                         -- the job name when the unit is a timer job
    message    TEXT,
    cleared_at REAL                          -- chatbot-job-failed --clear UNIT
);
CREATE INDEX unit_failures_ts_idx ON unit_failures (ts);
CREATE INDEX unit_failures_unit_idx ON unit_failures (unit, ts);

-- Backups written by chatbot-backup (the archive files are the truth; this
-- is the record the dashboard and the health check read quickly).
CREATE TABLE backups (
    id          INTEGER PRIMARY KEY,
    created_at  REAL NOT NULL,
    path        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    duration_s  REAL,
    label       TEXT,
    tables      TEXT,                        -- JSON {table: rows}
    deleted_at  REAL                         -- removed by retention
);
CREATE INDEX backups_created_idx ON backups (created_at);
