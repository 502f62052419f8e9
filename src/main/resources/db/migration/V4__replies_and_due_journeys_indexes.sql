-- A journey waiting for a reply looks up the replies to its message: without this index every lookup read the
-- whole table (the benchmark found it growing with the square of the journeys).
CREATE INDEX inbound_messages_by_replied_to ON inbound_messages (replied_to_message_id);

-- The engine claims due journeys oldest first (wake_at <= now ORDER BY wake_at). With (state, wake_at) alone,
-- PostgreSQL sorted every running journey on each claim; ended journeys have no wake_at, so this index holds just
-- the journeys that can move, in the order they are claimed.
CREATE INDEX journeys_by_wake_at ON journeys (wake_at);
