-- A flow can be stopped: from then on no journey starts on it (events skip it, API starts and launches are refused)
-- until it is resumed. NULL: the flow runs.
ALTER TABLE flows ADD COLUMN stopped_at TIMESTAMP WITH TIME ZONE;
