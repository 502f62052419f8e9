-- A WhatsApp sender's messaging limit (Meta's: how many contacts outside a customer-service window it may reach in a
-- moving 24 hours); null for none.
ALTER TABLE senders ADD COLUMN messaging_limit INTEGER;

-- The numbers each limited sender reached outside a customer-service window (Meta counts unique numbers), since when
-- each one counts, and the message that counted it: a row is removed once its 24 hours have passed, or when that
-- message failed (Meta counts the numbers it delivers to).
CREATE TABLE messaging_limit_reaches (
    sender_id  UUID NOT NULL,
    recipient  VARCHAR(20) NOT NULL,
    reached_at TIMESTAMP WITH TIME ZONE NOT NULL,
    message_id UUID NOT NULL,
    PRIMARY KEY (sender_id, recipient)
);
CREATE INDEX messaging_limit_reaches_by_time ON messaging_limit_reaches (sender_id, reached_at);
CREATE INDEX messaging_limit_reaches_by_message ON messaging_limit_reaches (message_id);

-- How many rows of messaging_limit_reaches a sender has: kept beside them so that no send counts them, and locked by
-- the send that adds one, so that nodes sending from one number together never go past its limit.
CREATE TABLE messaging_limit_counts (
    sender_id UUID PRIMARY KEY,
    reached   INTEGER NOT NULL
);
