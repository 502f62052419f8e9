package io.reach.journey;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.reach.shared.Times;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** One contact's run through one published flow version: where it is, what it waits for, its variables. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Journey(
        UUID id,
        UUID flowVersionId,
        UUID contactId,
        String state,
        String currentStep,
        int visits,
        Map<String, String> variables,
        @JsonIgnore Instant wakeAt,
        String waitingKind,
        UUID waitingMessageId,
        String decision,
        String error,
        Instant startedAt,
        Instant updatedAt,
        Instant endedAt) {

    /**
     * When the journey's wait ends (its timer, or its timeout), as the API shows it: only while it waits undecided and
     * has such an end. {@link #wakeAt} itself is the engine's order of work, which puts some journeys in the past on
     * purpose (a decided one, one started for its contact alone) and one that waits without a timeout at the end of time.
     */
    @JsonProperty("wakeAt")
    public Instant waitEndsAt() {
        return WAITING.equals(state) && decision == null && wakeAt != null && wakeAt.isBefore(Times.END_OF_TIME)
                ? wakeAt : null;
    }

    public static final String RUNNING = "RUNNING";
    public static final String WAITING = "WAITING";
    public static final String ENDED = "ENDED";
    public static final String FAILED = "FAILED";
    /** Stopped from outside before it ended: cancelled through the API, or its flow stopped with its journeys. */
    public static final String CANCELLED = "CANCELLED";
    /** Every state a journey can be in. */
    public static final List<String> STATES = List.of(RUNNING, WAITING, ENDED, FAILED, CANCELLED);
}
