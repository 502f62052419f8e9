-- The sweep that matches statuses to messages that appeared after them (Messages.reconcilePending, every 5 s) looks
-- only at statuses received in the last hour: a status whose message Reach sends waits for it seconds at most, and
-- those of messages Reach never sent (another app on the same number) stay unmatched for good. Without this index
-- each sweep read every unmatched status ever received: 0.26-0.31 s a sweep over 1,000,000 of them on PostgreSQL,
-- 0.4 ms with it (docs/PERFORMANCE.md, 2026-12-04 from 11:26). Built CONCURRENTLY on PostgreSQL (${concurrently}, see
-- InfrastructureConfiguration), so this migration runs outside a transaction (its .conf).
CREATE INDEX ${concurrently} unmatched_statuses_by_receipt ON unmatched_statuses (received_at);
