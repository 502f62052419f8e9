-- A contact can be erased (DELETE /api/v1/contacts/{id}): its row stays, without its number and with erased_at set,
-- as what its journeys and messages still point at (their counts and statuses stay true); the messages to and from
-- it keep their statuses without its number or their texts. Each change here is to the catalog alone on PostgreSQL
-- (a column added without a default, NOT NULL dropped): no table is rewritten or read.
ALTER TABLE contacts ADD COLUMN erased_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE contacts ALTER COLUMN phone DROP NOT NULL;
ALTER TABLE messages ALTER COLUMN recipient DROP NOT NULL;
ALTER TABLE inbound_messages ALTER COLUMN from_phone DROP NOT NULL;
ALTER TABLE inbound_messages ALTER COLUMN raw DROP NOT NULL;
