-- Each channel's dispatcher claims its queued messages in the order of this index (Messages.claimDue), read from its
-- own channel's due messages as far as the claim's limit. messages_due (status, next_attempt_at) had no channel: behind
-- a broadcast's backlog of WhatsApp messages waiting their sender's turns, every claim of the SMS and voice dispatchers
-- read the whole backlog before it found its own (30,040 rows for 20 SMS behind 30,000 WhatsApp messages), each poll,
-- and a fallback SMS waited for it. status still leads, as it did: the statements that fix it by equality (and no
-- other) are planned as before. Built CONCURRENTLY on PostgreSQL (${concurrently}, see InfrastructureConfiguration),
-- so this migration runs outside a transaction (its .conf); nodes of the version before claim through it as well.
CREATE INDEX ${concurrently} messages_due_by_channel ON messages (status, channel, next_attempt_at);
DROP INDEX ${concurrently} messages_due;
