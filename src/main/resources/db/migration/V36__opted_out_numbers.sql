-- The numbers of erased contacts that had opted out, kept as a suppression list keeps them: the SHA-256 of the number
-- in E.164 (hex), and when it opted out. A number that comes back (the API, an import, a message it writes) comes back
-- opted out; its row goes once the number is a contact's again, which then carries the opt-out.
CREATE TABLE opted_out_numbers (
    number_hash  VARCHAR(64) PRIMARY KEY,
    opted_out_at TIMESTAMP WITH TIME ZONE NOT NULL
);
