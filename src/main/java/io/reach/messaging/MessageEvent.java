package io.reach.messaging;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonRawValue;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;

/**
 * One entry of a message's timeline; {@code inferred} marks a status implied by another (read implies delivered).
 * {@code billing} is the provider's pricing and conversation data, as it sent them.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MessageEvent(
        MessageStatus status,
        Instant occurredAt,
        Instant recordedAt,
        Integer errorCode,
        String errorTitle,
        String errorDetails,
        @Schema(types = "object", description = "the provider's pricing and conversation data, as it sent them")
        @JsonRawValue String billing,
        boolean inferred) {}
