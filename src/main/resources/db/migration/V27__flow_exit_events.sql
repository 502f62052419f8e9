-- The events on which a contact's journey on a flow version is cancelled (the document's exitOn), one row per event
-- and version, so that a posted event finds the versions it ends journeys of (Flows.exitedBy).
CREATE TABLE flow_exit_events (
    event           VARCHAR(100) NOT NULL,
    flow_version_id UUID NOT NULL REFERENCES flow_versions (id),
    PRIMARY KEY (event, flow_version_id)
);
