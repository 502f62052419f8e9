-- How many turns in a row the engine could not take a journey's step (its code threw, not the database): after a
-- few the journey is failed with the error, rather than tried again every lease for ever. Back to 0 when it moves.
ALTER TABLE journeys ADD COLUMN failed_turns INTEGER NOT NULL DEFAULT 0;
