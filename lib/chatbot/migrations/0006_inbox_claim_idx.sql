-- The worker's claim walks queued messages in arrival order and stops at the
-- first one it may answer; with this index that is a short index walk however
-- long the queue is (6 ms at 12,000 queued without it, under the write lock).
CREATE INDEX inbox_status_id_idx ON inbox (status, id);
