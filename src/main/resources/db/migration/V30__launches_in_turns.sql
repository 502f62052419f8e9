-- Running launches take turns, a page each: the one that waited longest (updated_at) goes next, so that a small
-- launch is not held behind a large one launched before it. The launches table holds a row per launch: built at once.
CREATE INDEX launches_in_turns ON launches (state, updated_at);
DROP INDEX launches_by_state;
