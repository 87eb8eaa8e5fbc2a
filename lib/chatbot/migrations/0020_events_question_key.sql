-- Per handled text message (chatbot.events, written by the worker):
-- question_key: how /admin/unanswered groups the question (bot/unanswered.py), computed once when
--   the event is stored from a bounded number of its words; '' when the bot answered it, NULL when
--   not computed yet (rows from before this migration: the worker fills them in at start).
-- llm_error: why the language model gave no reply ('context': the prompt did not fit [llm] n_ctx,
--   'timeout', 'error'); the llm_context alert counts the first.
ALTER TABLE events ADD COLUMN question_key TEXT;
ALTER TABLE events ADD COLUMN llm_error TEXT;
CREATE INDEX events_unanswered_idx ON events (ts) WHERE question_key != '';
