package io.reach.journey;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
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
        Instant wakeAt,
        String waitingKind,
        UUID waitingMessageId,
        String decision,
        String error,
        Instant startedAt,
        Instant updatedAt,
        Instant endedAt) {

    public static final String RUNNING = "RUNNING";
    public static final String WAITING = "WAITING";
    public static final String ENDED = "ENDED";
    public static final String FAILED = "FAILED";
    /** Stopped from outside before it ended (its flow was stopped with its journeys cancelled). */
    public static final String CANCELLED = "CANCELLED";
}
