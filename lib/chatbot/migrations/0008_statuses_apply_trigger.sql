-- A delivery status moves its reply's outbox.delivery forward, never back
-- (Meta's statuses arrive out of order): sent < delivered < read < failed.
-- Done by a trigger so that storing a whole group of statuses is one
-- statement, one trip into SQLite for the webhook's writer.
-- A repeated status (the same wamid and status) is ignored by the INSERT
-- and fires nothing: it was applied the first time.
CREATE TRIGGER statuses_apply AFTER INSERT ON statuses
BEGIN
    UPDATE outbox
       SET delivery   = NEW.status,
           error_code = COALESCE(NEW.error_code, error_code),
           error      = COALESCE(NEW.error, error),
           updated_at = NEW.received_at
     WHERE wamid = NEW.wamid
       AND (CASE NEW.status WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3
                            WHEN 'failed' THEN 4 ELSE 0 END)
         > (CASE delivery WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3
                          WHEN 'failed' THEN 4 ELSE 0 END);
END;
