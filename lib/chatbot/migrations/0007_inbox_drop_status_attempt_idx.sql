-- The claim walks inbox_status_id_idx (0006); nothing reads (status,
-- next_attempt_at) any more, and every webhook insert paid for it.
DROP INDEX IF EXISTS inbox_status_idx;
