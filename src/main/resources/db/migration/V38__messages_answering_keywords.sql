-- A message that answers the contact's own STOP or START goes out whatever its opt-out and consent; every other one is
-- checked against them again when a dispatcher takes it (a send that read the contact before an opt-out, a consent
-- withdrawal, a number change or an erasure committed is withdrawn rather than sent).
ALTER TABLE messages ADD COLUMN answers_keyword BOOLEAN DEFAULT FALSE NOT NULL;
