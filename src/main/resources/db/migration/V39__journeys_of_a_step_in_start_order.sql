-- A flow's journeys of one state at one step (GET /flows/{id}/journeys?state=waiting&step=ask_pickup, a heatmap's step
-- drilled into) are paged in the order they started (JourneyStore.ofVersions). journeys_by_version (flow_version_id,
-- state, current_step) found them, and H2 then read and sorted every one of them for each page: 1.4 s a page for a
-- step where 140,000 of a million journeys wait. With started_at and id after them, the index gives them in that
-- order, and a page reads its 100 (a step's journeys in any state: a part per state, each reading at most a page).
-- The statements that used journeys_by_version (the counts, a state's journeys) use
-- this one as they did. Built CONCURRENTLY on PostgreSQL (${concurrently}, see InfrastructureConfiguration), so this
-- migration runs outside a transaction (its .conf); nodes of the version before read through it as well.
CREATE INDEX ${concurrently} journeys_by_version_state_step ON journeys (flow_version_id, state, current_step, started_at, id);
DROP INDEX ${concurrently} journeys_by_version;
