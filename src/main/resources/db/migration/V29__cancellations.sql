-- A flow stopped with its journeys records the cancellation of those journeys as a row, worked 500 journeys at a
-- time: each chunk's cancellations and the row's progress (the last journey looked at, counts) commit together, so a
-- cancellation that a crash or a restart interrupted goes on from where it was, on this node or on another one.
CREATE TABLE cancellations (
    id               UUID PRIMARY KEY,
    flow_id          UUID         NOT NULL REFERENCES flows (id),
    state            VARCHAR(16)  NOT NULL,
    -- What each cancelled journey's step and each withdrawn message record as the reason.
    reason           VARCHAR(600) NOT NULL,
    after_journey_id UUID,
    cancelled        BIGINT       NOT NULL DEFAULT 0,
    withdrawn        BIGINT       NOT NULL DEFAULT 0,
    created_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    finished_at      TIMESTAMP WITH TIME ZONE
);
-- Running cancellations take turns, a chunk each: the one that waited longest (updated_at) goes next.
CREATE INDEX cancellations_in_turns ON cancellations (state, updated_at);
CREATE INDEX cancellations_by_flow ON cancellations (flow_id, created_at);
