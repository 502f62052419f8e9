-- When each sender's next turn to send is, shared by every node: a node books a few turns at a time (see
-- SenderRates), so that nodes sending from one number together keep its throughput.
CREATE TABLE sender_turns (
    sender_id    UUID PRIMARY KEY,
    next_turn_at TIMESTAMP WITH TIME ZONE NOT NULL
);
