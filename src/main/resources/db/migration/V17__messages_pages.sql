-- GET /messages pages messages newest first, all of them or a campaign's. Without an index in that order each page
-- read the whole table and sorted it: over 1,000,000 messages on PostgreSQL 0.31 s for the newest page (both cores,
-- a parallel scan), 0.23 s for a campaign's, 0.53 s at offset 20,000 of a campaign. Each index is one more entry per
-- insert and per status update (those are not HOT: status is in messages_due): 2.8 us of PostgreSQL's time per
-- entry in a bulk test: 0.5 % of a journey's for both (docs/PERFORMANCE.md, 2026-12-04 from 06:45).
-- messages is the busiest table and may be large at the upgrade: on PostgreSQL the indexes are built CONCURRENTLY
-- (${concurrently}, see InfrastructureConfiguration), without blocking the sends and statuses of nodes still running;
-- so this migration runs outside a transaction (V17__messages_pages.sql.conf).
CREATE INDEX ${concurrently} messages_by_creation ON messages (created_at, id);
CREATE INDEX ${concurrently} messages_by_campaign ON messages (campaign_id, created_at, id);

-- GET /inbound-messages pages them newest first the same way: all of them in the order Reach received them, or a
-- contact's in the order they were written. Inbound messages are never updated: one entry per insert. The contact's
-- index is built anew with id at its end before the old one goes.
CREATE INDEX ${concurrently} inbound_messages_by_receipt ON inbound_messages (received_at, id);
CREATE INDEX ${concurrently} inbound_messages_by_contact_time ON inbound_messages (contact_id, occurred_at, id);
DROP INDEX ${concurrently} inbound_messages_by_contact;
