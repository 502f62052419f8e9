-- The message a report row is about (the journey's last send before the row), so that the row shows that message's
-- status as it is now: a later status (delivered after failed) updates the reports, never the journey's path.
-- Nullable, no default: on PostgreSQL the column is added without rewriting the table.
ALTER TABLE report_rows ADD COLUMN message_id UUID;
