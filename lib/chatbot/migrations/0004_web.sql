-- Indexes for the operator's web surface (web/stats.py, web/observe.py).

-- Covering index for the dashboard's bucketed aggregates: counts, answered vs
-- failed, handoffs, latency and intents over a ts range are read from the
-- index alone, never from the (wide) table rows.
CREATE INDEX events_ts_web_idx ON events (ts, success, handoff, latency_ms, intent);

-- /conversations/<number>: one customer's messages across business numbers.
CREATE INDEX inbox_wa_idx ON inbox (wa_id, id);

-- Queue depth and the oldest open message (dashboard, /metrics, the metrics
-- job). Once ANALYZE has run (the cleanup job), inbox_status_idx looks like
-- "half the table per status" and the planner scans the whole inbox instead:
-- 120 ms with a million rows. Covering, this stays an index search.
CREATE INDEX inbox_status_received_idx ON inbox (status, received_at);
