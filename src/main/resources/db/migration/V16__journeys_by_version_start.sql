-- GET /flows/{id}/journeys pages a flow's journeys oldest first. Without an index in that order, each page sorted all
-- of a version's journeys: 0.2 s for the first page of a million on PostgreSQL, 1 s at offset 500,000. With it, a page
-- after a journey (the `after` cursor) reads just its rows: about 1 ms anywhere in the million (H2: 3-16 s before, ms
-- after; JourneyStore.ofVersions words its query so that H2 reads the index in order). started_at and id never
-- change, so the journeys' updates stay HOT on PostgreSQL; an insert writes one more index entry.
CREATE INDEX journeys_by_version_start ON journeys (flow_version_id, started_at, id);
