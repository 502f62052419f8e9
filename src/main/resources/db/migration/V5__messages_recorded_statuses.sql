-- The statuses a message's timeline holds (each at most once: message_events_once_per_status), kept on the message's
-- row so that applying a status reads them with the row's lock instead of reading the timeline: one statement fewer
-- per webhook, and no stale read (a FOR UPDATE that waited re-reads the locked row itself). Comma-separated
-- MessageStatus names. NULL on the rows written before this column: their statuses are read from the timeline.
ALTER TABLE messages ADD COLUMN recorded_statuses VARCHAR(200);
