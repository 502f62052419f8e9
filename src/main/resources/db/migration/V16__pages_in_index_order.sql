-- Indexes in the order of the API's pages.
-- GET /flows/{id}/journeys pages a flow's journeys oldest first. Without an index in that order, each page sorted all
-- of a version's journeys: 0.2 s for the first page of a million on PostgreSQL, 1 s at offset 500,000. With it, a page
-- after a journey (the `after` cursor) reads just its rows: about 1 ms anywhere in the million (H2: 3-16 s before, ms
-- after; JourneyStore.ofVersions words its query so that H2 reads the index in order). It is one more index entry per
-- insert and per update PostgreSQL cannot make HOT (state, wake_at, current_step are in other indexes): within the
-- noise of bench/run (docs/PERFORMANCE.md, 2026-12-04 from 04:05).
CREATE INDEX journeys_by_version_start ON journeys (flow_version_id, started_at, id);

-- GET /flows/{id}/reports pages a flow's report rows the same way, oldest first (occurred_at, id). Report rows are never
-- updated; this index takes the place of the one without id.
DROP INDEX report_rows_by_version;
CREATE INDEX report_rows_by_version ON report_rows (flow_version_id, occurred_at, id);

-- GET /contacts pages contacts in the order they were created (created_at, id), from an index in that order rather
-- than a sort of all of them per page. created_at never changes: the contacts' updates stay HOT on PostgreSQL.
CREATE INDEX contacts_by_creation ON contacts (created_at, id);
