-- A claim of stored callbacks looks, for each one it takes, for an earlier one about the same message that still waits
-- (WebhookInbox.claim). On PostgreSQL only the rows with a key are in the index (${where_ordering_key}): those waiting
-- to be applied, few; a callback applied as it came, the common case, adds nothing to it. H2 has no partial indexes.
-- Built CONCURRENTLY on PostgreSQL (${concurrently}, see InfrastructureConfiguration), so this migration runs outside
-- a transaction (its .conf).
CREATE INDEX ${concurrently} webhook_inbox_waiting_by_key ON webhook_inbox (ordering_key, id) ${where_ordering_key};
