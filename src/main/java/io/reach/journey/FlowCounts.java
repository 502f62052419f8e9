package io.reach.journey;

import java.util.Map;
import java.util.UUID;

/**
 * Live counts of one flow version: per step how many journeys entered it, wait at it now and took each branch;
 * and how many journeys run, wait, ended, failed and were cancelled.
 */
public record FlowCounts(UUID flowVersionId, Map<String, StepCounts> steps, long running, long waiting, long ended, long failed,
                         long cancelled) {

    /** The counts of one step. */
    public record StepCounts(long entered, long waiting, Map<String, Long> branches) {}
}
