-- When Reach asks the provider for a message's status itself, because the callback that should have told it may
-- have been lost (Twilio does not try a callback again when Reach is down or restarting): NULL when no check is due
-- (not a Twilio message, or its status is final), and how many checks were made.
ALTER TABLE messages ADD COLUMN status_check_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE messages ADD COLUMN status_checks INTEGER DEFAULT 0 NOT NULL;
CREATE INDEX messages_status_checks ON messages (status_check_at);
