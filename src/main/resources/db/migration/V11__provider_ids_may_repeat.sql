-- A provider's message id is unique only as far as that provider makes it so. Meta's and Twilio's are; an SMSC's are
-- unique for a while and per SMSC: one that restarts may count from the start again, and two SMSCs may hand out the
-- same id. A repeated id refused by a unique constraint failed the recording of a send the provider had accepted, so
-- the send was tried again, and sent again, every lease. A repeated id now belongs to the one it was given to last: an
-- SMS part by its submitted_at, a message otherwise by its age (the sender the status comes for first).
ALTER TABLE messages DROP CONSTRAINT messages_provider_message_id_unique;
CREATE INDEX messages_by_provider_id ON messages (provider_message_id);
