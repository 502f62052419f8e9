-- The category a message was sent under (consent is given per category), so that a contact who withdraws consent
-- for one has its queued messages of that category withdrawn. Messages recorded before are left without one.
ALTER TABLE messages ADD COLUMN category VARCHAR(32);
