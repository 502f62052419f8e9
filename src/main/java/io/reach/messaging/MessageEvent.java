package io.reach.messaging;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonRawValue;
import java.time.Instant;

/** One entry of a message's timeline; {@code inferred} marks a status implied by a later one (read implies delivered). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MessageEvent(
        MessageStatus status,
        Instant occurredAt,
        Instant recordedAt,
        Integer errorCode,
        String errorTitle,
        String errorDetails,
        @JsonRawValue String pricing,
        boolean inferred) {}
