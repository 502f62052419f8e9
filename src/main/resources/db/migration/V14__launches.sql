-- An audience launch is a row, worked a page of contacts at a time: each page's journeys and the launch's progress
-- (the last contact taken, counts) commit together, so a launch that a stop or a crash interrupted goes on from
-- where it was, on this node after a restart or on another one, and starts nobody twice.
CREATE TABLE launches (
    id               UUID PRIMARY KEY,
    flow_id          UUID         NOT NULL REFERENCES flows (id),
    flow_version_id  UUID         NOT NULL REFERENCES flow_versions (id),
    state            VARCHAR(16)  NOT NULL,
    -- The audience's activity bounds (active within, inactive for) count back from this instant, whenever a page is read.
    audience_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    audience_size    BIGINT       NOT NULL,
    after_contact_id UUID,
    taken            BIGINT       NOT NULL DEFAULT 0,
    started          BIGINT       NOT NULL DEFAULT 0,
    created_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    finished_at      TIMESTAMP WITH TIME ZONE
);
CREATE INDEX launches_by_state ON launches (state, created_at);
CREATE INDEX launches_by_flow ON launches (flow_id, created_at);
