-- Whether the error a queued message records is its provider asking Reach to send more slowly (Meta's throughput or
-- rate limits, an SMSC's throttling, Twilio's 429), not a refusal of the message: such a message still waits its turn
-- behind others of its sender, and a journey's timeout does not withdraw it while the sender's queue moves
-- (Messages.progress). A constant default: on PostgreSQL the column is added without rewriting the table.
ALTER TABLE messages ADD COLUMN slowed_down BOOLEAN DEFAULT FALSE NOT NULL;
