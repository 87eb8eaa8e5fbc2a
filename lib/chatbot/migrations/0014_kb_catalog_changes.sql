-- Catalog and FAQ changes by staff and by the ERP sync (chatbot.bot.knowledge, chatbot.bot.catalog).

-- Dated promotions: in force from the start of promo_start to the end of promo_end (store time).
-- The *_ts columns are those instants, computed at import with [bot] store_timezone.
ALTER TABLE kb_products ADD COLUMN promo_start TEXT;        -- YYYY-MM-DD
ALTER TABLE kb_products ADD COLUMN promo_end TEXT;          -- YYYY-MM-DD
ALTER TABLE kb_products ADD COLUMN promo_from_ts REAL;
ALTER TABLE kb_products ADD COLUMN promo_until_ts REAL;
-- The response cache asks whether a promotion started or ended since a reply was cached.
CREATE INDEX kb_products_promo_from_idx ON kb_products (promo_from_ts);
CREATE INDEX kb_products_promo_until_idx ON kb_products (promo_until_ts);

-- 'store': from the store TOML, replaced by each import; 'staff': written on /admin/faq, kept.
ALTER TABLE kb_faq ADD COLUMN origin TEXT NOT NULL DEFAULT 'store';
ALTER TABLE kb_faq ADD COLUMN updated_at REAL;
ALTER TABLE kb_faq ADD COLUMN updated_by TEXT;

-- Who changed the knowledge base, how, and what changed (the preview's summary as JSON).
-- previous_catalog: the copy of the catalog this change replaced (kb_sources_dir/history/), for rollback.
CREATE TABLE kb_changes (
    id               INTEGER PRIMARY KEY,
    ts               REAL NOT NULL,
    actor            TEXT NOT NULL,
    action           TEXT NOT NULL,     -- import, upload, sync, rollback, faq_add, faq_edit, faq_delete
    kb_version       INTEGER NOT NULL,
    details          TEXT,
    previous_catalog TEXT
);
CREATE INDEX kb_changes_ts_idx ON kb_changes (ts);

-- A catalog file checked and shown to staff, waiting for "confirmar": the token names
-- exactly these bytes, checked against exactly this knowledge-base version.
CREATE TABLE kb_previews (
    token        TEXT PRIMARY KEY,
    created_at   REAL NOT NULL,
    actor        TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    data         BLOB NOT NULL,
    sha256       TEXT NOT NULL,
    base_version INTEGER NOT NULL,
    suspicious   INTEGER NOT NULL,
    applicable   INTEGER NOT NULL,   -- 0 when rows were rejected: such a preview is never applied
    summary      TEXT NOT NULL       -- JSON: the counts and flags (the lists are recomputed on apply)
);
CREATE INDEX kb_previews_created_idx ON kb_previews (created_at);
