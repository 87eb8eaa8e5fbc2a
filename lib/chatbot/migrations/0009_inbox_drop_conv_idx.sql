-- The claim's "no earlier open message from this customer" check walks
-- inbox_wa_idx (wa_id, id) just as well (a store has one or two business
-- numbers), and each index on inbox is one more page every webhook commit
-- writes and fsyncs.
DROP INDEX IF EXISTS inbox_conv_idx;
