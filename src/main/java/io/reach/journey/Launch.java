package io.reach.journey;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.UUID;

/**
 * An audience launch and how far it got: {@code audienceSize} contacts matched when it began (a scheduled one's is
 * counted again when its time comes), {@code taken} of them gone through so far, of which {@code started} got a
 * journey (the others had one on this version already); {@code startsAt}, when it begins, or began.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Launch(
        UUID id,
        UUID flowId,
        UUID flowVersionId,
        String state,
        Instant startsAt,
        long audienceSize,
        long taken,
        long started,
        Instant createdAt,
        Instant updatedAt,
        Instant finishedAt) {

    /** Waiting for its {@code startsAt}: it takes no contact before, and can be cancelled until then. */
    public static final String SCHEDULED = "SCHEDULED";
    public static final String RUNNING = "RUNNING";
    public static final String DONE = "DONE";
    /** Its flow was stopped before every contact was taken: a launch after the flow is resumed goes on. */
    public static final String STOPPED = "STOPPED";
    /** Cancelled through the API before it began, or before it took every contact (those started keep their journeys). */
    public static final String CANCELLED = "CANCELLED";

    /** Every state, in the order a launch goes through them. */
    public static final java.util.List<String> STATES = java.util.List.of(SCHEDULED, RUNNING, DONE, STOPPED, CANCELLED);
}
