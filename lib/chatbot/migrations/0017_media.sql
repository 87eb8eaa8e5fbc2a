-- Photos, voice notes, videos, documents and stickers (whatsapp/media.py), and
-- reactions (whatsapp/reactions.py). The message itself stays in inbox.payload
-- as Meta sent it; these rows say what became of its file and its emoji.

-- One row per file: a customer's (inbox_id, fetched by the worker) or one staff
-- attached to a reply (outbox_id, uploaded to Graph's /media by the worker).
-- state: pending -> stored | failed | expired (inbound); stored -> uploaded (outbound)
CREATE TABLE media (
    id              INTEGER PRIMARY KEY,
    inbox_id        INTEGER UNIQUE REFERENCES inbox(id),
    outbox_id       INTEGER,
    kind            TEXT NOT NULL,          -- image, audio, video, document, sticker
    graph_id        TEXT,                   -- Meta's media id
    declared_mime   TEXT,                   -- what the sender said it is
    voice           INTEGER NOT NULL DEFAULT 0,
    filename        TEXT,
    caption         TEXT,
    state           TEXT NOT NULL DEFAULT 'pending',
    mime            TEXT,                   -- sniffed from the bytes: what we serve it as
    size            INTEGER,
    sha256          TEXT,                   -- hex; the file is <state_dir>/media/<sha256>
    duration_seconds REAL,                  -- voice notes (from the Ogg stream)
    transcript      TEXT,
    transcript_error TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    error           TEXT,
    created_at      REAL NOT NULL,
    fetched_at      REAL,
    updated_at      REAL NOT NULL
);
CREATE INDEX media_due_idx ON media (state, next_attempt_at);
CREATE INDEX media_created_idx ON media (created_at);
CREATE INDEX media_outbox_idx ON media (outbox_id) WHERE outbox_id IS NOT NULL;

-- A customer's reaction to a message (ours or theirs); emoji NULL: taken back.
-- The checkout reads reactions.confirmed(wamid): a 👍 on "confirma?" is a yes.
CREATE TABLE reactions (
    id              INTEGER PRIMARY KEY,
    inbox_id        INTEGER UNIQUE REFERENCES inbox(id),
    phone_number_id TEXT NOT NULL,
    wa_id           TEXT NOT NULL,
    message_wamid   TEXT NOT NULL,          -- the message reacted to
    emoji           TEXT,
    created_at      REAL NOT NULL
);
CREATE INDEX reactions_message_idx ON reactions (message_wamid, id);
