package io.reach.journey;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.UUID;

/** One step a journey entered: when, when it left, the branch it took and what the step did. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JourneyStep(int seq, String stepId, Instant enteredAt, Instant leftAt, String branch, String outcome, UUID messageId) {}
