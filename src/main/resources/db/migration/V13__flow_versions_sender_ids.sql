-- The senders a published version's steps name, resolved to their ids when it was published (a JSON object, name or id
-- as written → id): a sender renamed afterwards still sends for the journeys of that version. Versions published
-- before have none, and resolve the names as written when they send.
ALTER TABLE flow_versions ADD COLUMN sender_ids VARCHAR;
