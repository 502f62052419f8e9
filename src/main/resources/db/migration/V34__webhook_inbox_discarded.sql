-- A stored callback given up through the API (WebhookInbox.discard) records when, so that GET /failing-callbacks
-- ?discarded=true lists those and a retry can bring one back. The ones given up before this version are the processed
-- callbacks that kept an error (an applied callback keeps none). On PostgreSQL only the discarded rows are in the index
-- (${where_discarded}): few; H2 has no partial indexes and indexes every row. Built CONCURRENTLY on PostgreSQL
-- (${concurrently}, see InfrastructureConfiguration), so this migration runs outside a transaction (its .conf), and
-- each statement may be run again should the migration stop half-way.
ALTER TABLE webhook_inbox ADD COLUMN IF NOT EXISTS discarded_at TIMESTAMP WITH TIME ZONE;
UPDATE webhook_inbox SET discarded_at = processed_at
    WHERE processed_at IS NOT NULL AND last_error IS NOT NULL AND discarded_at IS NULL;
CREATE INDEX ${concurrently} webhook_inbox_discarded ON webhook_inbox (discarded_at, id) ${where_discarded};
