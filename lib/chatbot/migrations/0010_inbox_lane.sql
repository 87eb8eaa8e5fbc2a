-- The worker's lanes: 'fast' (templates, cache, handoff, "I only read text")
-- and 'llm' (messages only the language model can answer). Every message
-- starts in 'fast'; the fast lane moves one to 'llm' when the bot says it
-- needs the model, so template replies never wait behind a generation.
ALTER TABLE inbox ADD COLUMN lane TEXT NOT NULL DEFAULT 'fast';
