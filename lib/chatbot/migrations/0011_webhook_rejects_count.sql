-- webhook_rejects keeps samples, not one row per refused delivery: a flood of
-- forged posts must not become a flood of writes. Each row stands for
-- `count` refusals of its reason (itself and those left unsampled before it).
ALTER TABLE webhook_rejects ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
