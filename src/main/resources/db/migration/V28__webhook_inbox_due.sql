-- A source's processor claims its stored callbacks still to apply in the order of this index (WebhookInbox.claim),
-- read from the source's unprocessed entries (NULL processed_at) as far as the claim's limit. It claimed them by id,
-- an order no index of the condition gives: a claim then walked the primary key through every processed callback still
-- kept (30 days by default), or read and sorted every waiting one, the other sources' too (a backlog of 20,000 on
-- PostgreSQL: 60 ms a claim, its sort on disk, against under 1 ms). The index ends with id, so that callbacks due at
-- the same time keep the order they came in. webhook_inbox_pending stays for the purge of processed callbacks.
-- Built CONCURRENTLY on PostgreSQL (${concurrently}, see InfrastructureConfiguration), so this migration runs outside a
-- transaction (its .conf).
CREATE INDEX ${concurrently} webhook_inbox_due ON webhook_inbox (channel, processed_at, next_attempt_at, id);
