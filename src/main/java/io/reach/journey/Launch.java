package io.reach.journey;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.UUID;

/**
 * An audience launch and how far it got: {@code audienceSize} contacts matched when it was made, {@code taken} of
 * them gone through so far, of which {@code started} got a journey (the others had one on this version already).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Launch(
        UUID id,
        UUID flowId,
        UUID flowVersionId,
        String state,
        long audienceSize,
        long taken,
        long started,
        Instant createdAt,
        Instant updatedAt,
        Instant finishedAt) {

    public static final String RUNNING = "RUNNING";
    public static final String DONE = "DONE";
    /** Its flow was stopped before every contact was taken: a launch after the flow is resumed goes on. */
    public static final String STOPPED = "STOPPED";
}
