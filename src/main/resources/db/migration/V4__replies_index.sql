-- A journey waiting for a reply looks up the replies to its message: without this index every lookup read the
-- whole table (the benchmark found it growing with the square of the journeys).
CREATE INDEX inbound_messages_by_replied_to ON inbound_messages (replied_to_message_id);
