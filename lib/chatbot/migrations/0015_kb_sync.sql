-- chatbot-sync-catalog's memory (chatbot.bot.catalog): the last content of [kb] catalog_path it
-- looked at and what came of it, so an unchanged file is neither imported nor alerted on twice.
CREATE TABLE kb_sync (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    path        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    checked_at  REAL NOT NULL,
    outcome     TEXT NOT NULL,      -- imported, unchanged, rejected, suspicious
    message     TEXT
);
