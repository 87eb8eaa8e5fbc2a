-- The bot: the store's knowledge base, conversations (context, handoff) and the response cache.
-- Times are Unix epoch seconds (REAL). Queries live in lib/chatbot/bot/*.py.

-- The catalog, replaced as a whole by `chatbot kb import`.
CREATE TABLE kb_products (
    id                INTEGER PRIMARY KEY,
    sku               TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    brand             TEXT NOT NULL DEFAULT '',
    category          TEXT NOT NULL DEFAULT '',
    unit              TEXT NOT NULL DEFAULT '',
    price             REAL NOT NULL,
    promo_price       REAL,
    wholesale_price   REAL,
    wholesale_min_qty INTEGER,
    aliases           TEXT NOT NULL DEFAULT ''      -- '|'-separated, as in the CSV
);
CREATE INDEX kb_products_promo_idx ON kb_products (promo_price);

-- Search text, normalized by chatbot.bot.text (no accents, lower case, light
-- plural stemming) so the query side and the index side agree; rowid = kb_products.id.
CREATE VIRTUAL TABLE kb_products_fts USING fts5 (
    name, aliases, brand, category,
    tokenize = "unicode61 remove_diacritics 2 tokenchars '.,'"
);
-- Every indexed term: the vocabulary that typos are corrected against.
CREATE VIRTUAL TABLE kb_products_vocab USING fts5vocab (kb_products_fts, 'row');

-- The store's facts ([store], [hours], [delivery], [payment], [wholesale]) as one JSON document per section.
CREATE TABLE kb_facts (
    section TEXT PRIMARY KEY,
    data    TEXT NOT NULL
);

CREATE TABLE kb_faq (
    id       INTEGER PRIMARY KEY,
    position INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer   TEXT NOT NULL
);

-- One row: which import is in force. `version` grows with every import; the
-- response cache keys on it, so a re-import invalidates every cached reply.
CREATE TABLE kb_meta (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    version       INTEGER NOT NULL,
    imported_at   REAL NOT NULL,
    catalog_file  TEXT,
    store_file    TEXT,
    catalog_sha256 TEXT,
    store_sha256  TEXT,
    products      INTEGER NOT NULL
);

-- One row per customer per business number. mode: 'bot' or 'human'.
-- The dashboard reads it; chatbot.bot.handoff owns it.
CREATE TABLE conversations (
    phone_number_id TEXT NOT NULL,
    wa_id           TEXT NOT NULL,
    mode            TEXT NOT NULL DEFAULT 'bot',
    mode_since      REAL,
    handoff_reason  TEXT,
    human_until     REAL,                           -- mode 'human' ends by itself at this time
    last_seen       REAL,
    PRIMARY KEY (phone_number_id, wa_id)
);
CREATE INDEX conversations_mode_idx ON conversations (mode, mode_since);
CREATE INDEX conversations_seen_idx ON conversations (last_seen);

-- Every handoff, for the operators: when, why, what the customer wrote, how it ended.
CREATE TABLE handoffs (
    id              INTEGER PRIMARY KEY,
    phone_number_id TEXT NOT NULL,
    wa_id           TEXT NOT NULL,
    reason          TEXT NOT NULL,                  -- human_request or complaint
    message         TEXT,
    created_at      REAL NOT NULL,
    ended_at        REAL,
    ended_by        TEXT                            -- operator or timeout
);
CREATE INDEX handoffs_created_idx ON handoffs (created_at);
CREATE INDEX handoffs_conv_idx ON handoffs (phone_number_id, wa_id, ended_at);

-- The last turns of each conversation, so "e a calabresa?" follows a price question.
CREATE TABLE conversation_turns (
    id              INTEGER PRIMARY KEY,
    phone_number_id TEXT NOT NULL,
    wa_id           TEXT NOT NULL,
    ts              REAL NOT NULL,
    question        TEXT NOT NULL,
    reply           TEXT,
    intent          TEXT,
    topic           TEXT                            -- JSON: what the turn was about (skus, day, area)
);
CREATE INDEX conversation_turns_conv_idx ON conversation_turns (phone_number_id, wa_id, id);
CREATE INDEX conversation_turns_ts_idx ON conversation_turns (ts);

-- Replies to identical normalized questions. Bounded by [bot] cache_max_entries,
-- expired by cache_ttl_seconds, emptied by every knowledge base import.
CREATE TABLE response_cache (
    key         TEXT PRIMARY KEY,
    kb_version  INTEGER NOT NULL,
    reply       TEXT NOT NULL,                      -- JSON: text, intent, confidence, topic
    created_at  REAL NOT NULL,
    last_hit    REAL NOT NULL,
    hits        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX response_cache_hit_idx ON response_cache (last_hit);
