-- When a node last saw a provider take one of the sender's messages, told to every node (SendersAtWork, at most every
-- few seconds per node): a node that sends nothing itself (its dispatchers off) tells from it whether the sender's
-- queue moves, and so whether a journey's message still waits its turn. Nullable with no default: on PostgreSQL the
-- column is added without rewriting the table.
ALTER TABLE sender_turns ADD COLUMN handed_over_at TIMESTAMP WITH TIME ZONE;
