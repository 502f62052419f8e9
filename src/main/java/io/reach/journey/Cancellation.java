package io.reach.journey;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.UUID;

/**
 * The cancellation of a stopped flow's journeys under way and how far it got: {@code cancelledJourneys} so far, and
 * {@code withdrawnMessages}, the messages they had queued that no provider had taken yet.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Cancellation(
        UUID id,
        UUID flowId,
        String state,
        long cancelledJourneys,
        long withdrawnMessages,
        Instant createdAt,
        Instant updatedAt,
        Instant finishedAt) {

    public static final String RUNNING = "RUNNING";
    public static final String DONE = "DONE";

    boolean running() {
        return RUNNING.equals(state);
    }
}
