-- When a contact last wrote to one of the business's senders (a message or a button tap, on any channel): an
-- audience can take the contacts active, or inactive, for a while. Contacts who wrote before this column existed
-- get the time of their last inbound message.
ALTER TABLE contacts ADD COLUMN last_active_at TIMESTAMP WITH TIME ZONE;

UPDATE contacts SET last_active_at = (SELECT MAX(i.occurred_at) FROM inbound_messages i WHERE i.contact_id = contacts.id)
WHERE EXISTS (SELECT 1 FROM inbound_messages i WHERE i.contact_id = contacts.id);
