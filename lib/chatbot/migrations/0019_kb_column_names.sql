-- Header names staff taught on /admin/catalog's mapping step ("this column is ..."), owned by
-- chatbot.bot.catalog: used by every later upload and by chatbot-sync-catalog.
CREATE TABLE kb_column_names (
    header      TEXT PRIMARY KEY,   -- catalog_file.header_key: lower case, no accents or punctuation
    field       TEXT NOT NULL,      -- a catalog field (sku, name, price, ...), or '' to ignore the column
    updated_at  REAL NOT NULL,
    updated_by  TEXT NOT NULL
);
