-- The WhatsApp users' business-scoped user ids (BSUIDs: a country code, a dot and up to 128 letters and digits, a
-- parent one with ".ENT." in it) that Meta's webhooks carried beside a contact's number: a reply or a marketing stop
-- of a user who took a username, whose number Meta then withholds, is that contact's. Meta gives a new one when the
-- user's number changes, so a contact's ids go when its number does, and with its erasure.
CREATE TABLE whatsapp_user_ids (
    user_id    VARCHAR(200) PRIMARY KEY,
    contact_id UUID NOT NULL,
    learned_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX whatsapp_user_ids_by_contact ON whatsapp_user_ids (contact_id);
