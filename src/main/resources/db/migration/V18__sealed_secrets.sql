-- Senders' secrets may be stored sealed (AES-256-GCM under reach.secrets-key, base64): room for the longest secret a
-- sender takes (2,000 characters, up to 4 bytes each in UTF-8) once sealed, with its nonce and tag.
ALTER TABLE senders ALTER COLUMN access_token SET DATA TYPE VARCHAR(12000);
ALTER TABLE senders ALTER COLUMN app_secret SET DATA TYPE VARCHAR(12000);
ALTER TABLE senders ALTER COLUMN verify_token SET DATA TYPE VARCHAR(12000);
ALTER TABLE senders ALTER COLUMN secret SET DATA TYPE VARCHAR(12000);
