-- SMS and voice senders share the senders table: the WhatsApp columns become optional, and every sender gets a
-- provider, a from-address, its provider settings (JSON) and one write-only secret (SMPP password, Twilio token).
ALTER TABLE senders ALTER COLUMN phone_number_id DROP NOT NULL;
ALTER TABLE senders ALTER COLUMN waba_id DROP NOT NULL;
ALTER TABLE senders ALTER COLUMN display_number DROP NOT NULL;
ALTER TABLE senders ALTER COLUMN access_token DROP NOT NULL;
ALTER TABLE senders ALTER COLUMN app_secret DROP NOT NULL;
ALTER TABLE senders ALTER COLUMN verify_token DROP NOT NULL;
ALTER TABLE senders ALTER COLUMN graph_base_url DROP NOT NULL;
ALTER TABLE senders ALTER COLUMN graph_version DROP NOT NULL;
ALTER TABLE senders ADD COLUMN provider VARCHAR(16) DEFAULT 'META' NOT NULL;
ALTER TABLE senders ADD COLUMN from_address VARCHAR(32);
ALTER TABLE senders ADD COLUMN settings VARCHAR;
ALTER TABLE senders ADD COLUMN secret VARCHAR(2000);

-- The parts of an SMS sent over SMPP: each part has its own SMSC message id and its own receipt.
CREATE TABLE sms_parts (
    message_id       UUID         NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    part_number      INTEGER      NOT NULL,
    total_parts      INTEGER      NOT NULL,
    provider_part_id VARCHAR(100),
    status           VARCHAR(16)  NOT NULL,
    error_code       VARCHAR(16),
    submitted_at     TIMESTAMP WITH TIME ZONE,
    updated_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (message_id, part_number)
);
CREATE INDEX sms_parts_by_provider_id ON sms_parts (provider_part_id);
