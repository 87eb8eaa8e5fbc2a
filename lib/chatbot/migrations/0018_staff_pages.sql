-- Staff pages a team would choose over the WhatsApp Business app (issue 22).

-- Web Push: each account turns it on for its own devices (push.py owns both tables).
-- endpoint, p256dh and auth are what the browser's PushSubscription gives.
CREATE TABLE push_subscriptions (
    id         INTEGER PRIMARY KEY,
    user_name  TEXT NOT NULL COLLATE NOCASE,
    endpoint   TEXT NOT NULL UNIQUE,
    p256dh     TEXT NOT NULL,
    auth       TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_ok_at REAL,
    failures   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX push_subscriptions_user_idx ON push_subscriptions (user_name);

-- What was pushed once already: ("handoff", handoff id) or ("transfer", "<wa_id>:<at>").
CREATE TABLE push_sent (
    kind    TEXT NOT NULL,
    ref     TEXT NOT NULL,
    sent_at REAL NOT NULL,
    PRIMARY KEY (kind, ref)
);

-- How far each account has read each conversation (operators.py): the
-- unread count is the customer's messages after last_inbox_id.
CREATE TABLE conversation_reads (
    user_name       TEXT NOT NULL COLLATE NOCASE,
    phone_number_id TEXT NOT NULL,
    wa_id           TEXT NOT NULL,
    last_inbox_id   INTEGER NOT NULL,
    read_at         REAL NOT NULL,
    PRIMARY KEY (user_name, phone_number_id, wa_id)
);

-- Internal notes on a conversation, never sent to the customer (operators.py).
CREATE TABLE conversation_notes (
    id              INTEGER PRIMARY KEY,
    phone_number_id TEXT NOT NULL,
    wa_id           TEXT NOT NULL,
    author          TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      REAL NOT NULL
);
CREATE INDEX conversation_notes_conv_idx ON conversation_notes (wa_id, phone_number_id, id);

-- Who passed the conversation to its holder, who it was taken from, and when
-- it was marked resolved (operators.py writes these columns).
ALTER TABLE conversations ADD COLUMN transferred_by TEXT;
ALTER TABLE conversations ADD COLUMN transferred_at REAL;
ALTER TABLE conversations ADD COLUMN taken_from TEXT;
ALTER TABLE conversations ADD COLUMN resolved_at REAL;
ALTER TABLE conversations ADD COLUMN resolved_by TEXT;

-- Quick replies ("respostas rápidas") kept by managers (quickreplies.py):
-- typed as "/shortcut" in the reply box.
CREATE TABLE quick_replies (
    id         INTEGER PRIMARY KEY,
    shortcut   TEXT NOT NULL UNIQUE COLLATE NOCASE,
    body       TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at REAL NOT NULL
);

-- Questions the bot could not answer (bot/unanswered.py owns both): a group
-- marked "feito" (answered with an FAQ) or "ignorar" leaves the list until it
-- is asked again; "resposta errada" on a bot reply puts its question on the
-- list with the wrong answer beside it.
CREATE TABLE unanswered_marks (
    group_key TEXT PRIMARY KEY,
    state     TEXT NOT NULL CHECK (state IN ('done', 'ignored')),
    marked_by TEXT NOT NULL,
    marked_at REAL NOT NULL
);
CREATE TABLE wrong_answers (
    inbox_id    INTEGER PRIMARY KEY,
    question    TEXT NOT NULL,
    answer      TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    reported_at REAL NOT NULL
);
