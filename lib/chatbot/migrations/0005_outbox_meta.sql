-- What the bot said about a reply (intent, source, timings), kept with the
-- prepared reply so a retry records the same event as the first attempt.
ALTER TABLE outbox ADD COLUMN meta TEXT;
