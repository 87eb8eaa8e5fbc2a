-- People answering customers (operators.py, whatsapp/operator_outbox.py).

-- Who holds a conversation the bot has stepped back from, since when; and
-- whether a free-form message was refused by Meta because the 24-hour
-- window had closed (131047): then only an approved template gets through.
ALTER TABLE conversations ADD COLUMN held_by TEXT;
ALTER TABLE conversations ADD COLUMN held_since REAL;
ALTER TABLE conversations ADD COLUMN needs_template INTEGER NOT NULL DEFAULT 0;

-- Per handoff: who took it, the first human reply (time to first reply),
-- when staff were told, when the customer got the "we were told" note.
ALTER TABLE handoffs ADD COLUMN taken_by TEXT;
ALTER TABLE handoffs ADD COLUMN first_reply_at REAL;
ALTER TABLE handoffs ADD COLUMN notified_at REAL;
ALTER TABLE handoffs ADD COLUMN pickup_sent_at REAL;

-- Messages written by a person (or the system's notes while a person holds
-- the conversation) have no inbox row: they are queued here by the web
-- service and sent by the worker with the bot's rules (state queued ->
-- sending, committed before the request -> sent | failed | unknown).
ALTER TABLE outbox ADD COLUMN operator TEXT;            -- who wrote it; NULL = the bot
ALTER TABLE outbox ADD COLUMN next_attempt_at REAL;
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until REAL;
CREATE INDEX outbox_staff_queue_idx ON outbox (state, next_attempt_at) WHERE inbox_id IS NULL;
CREATE INDEX outbox_staff_wa_idx ON outbox (wa_id, id) WHERE inbox_id IS NULL;

-- The operator's name on the monitoring event of a message a person sent.
ALTER TABLE events ADD COLUMN operator TEXT;
