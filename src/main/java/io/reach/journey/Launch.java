package io.reach.journey;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.reach.flow.FlowProblem;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * An audience launch and how far it got: {@code audienceSize} contacts matched when it began (a scheduled one's is
 * counted again when its time comes), {@code taken} of them gone through so far, of which {@code started} got a
 * journey (the others had one on this version already); {@code startsAt}, when it begins, or began, and
 * {@code notAfter}, the latest a scheduled one may begin (its nodes down at its time); {@code reason},
 * why a launch was {@link #REFUSED}; {@code warnings}, in the answer to the launch only, the templates it sends that
 * Meta has not approved yet (a scheduled launch checks them again when its time comes).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Launch(
        UUID id,
        UUID flowId,
        UUID flowVersionId,
        String state,
        String reason,
        Instant startsAt,
        Instant notAfter,
        boolean despiteUnapprovedTemplates,
        long audienceSize,
        long taken,
        long started,
        Instant createdAt,
        Instant updatedAt,
        Instant finishedAt,
        List<FlowProblem> warnings) {

    /** Waiting for its {@code startsAt}: it takes no contact before, and can be cancelled until then. */
    public static final String SCHEDULED = "SCHEDULED";
    public static final String RUNNING = "RUNNING";
    public static final String DONE = "DONE";
    /** Its flow was stopped before every contact was taken: a launch after the flow is resumed goes on. */
    public static final String STOPPED = "STOPPED";
    /** Cancelled through the API before it began, or before it took every contact (those started keep their journeys). */
    public static final String CANCELLED = "CANCELLED";
    /**
     * Scheduled, and when its time came the flow's version published last could not be launched: it sends a template
     * Meta had not approved (and the launch was not scheduled despite them), or it no longer starts on an audience; or
     * no node could begin it before its {@code notAfter}. It took nobody; its {@code reason} says why.
     */
    public static final String REFUSED = "REFUSED";

    /** Every state, in the order a launch goes through them. */
    public static final List<String> STATES = List.of(SCHEDULED, RUNNING, DONE, STOPPED, CANCELLED, REFUSED);

    /** This launch, answered with what its time will check. */
    Launch withWarnings(List<FlowProblem> found) {
        return new Launch(id, flowId, flowVersionId, state, reason, startsAt, notAfter, despiteUnapprovedTemplates,
                audienceSize, taken, started, createdAt, updatedAt, finishedAt, found.isEmpty() ? null : List.copyOf(found));
    }
}
