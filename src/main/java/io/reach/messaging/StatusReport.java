package io.reach.messaging;

import java.time.Instant;

/** A provider's word on a message's status, as one webhook or receipt carries it. */
public record StatusReport(
        MessageStatus status,
        Instant occurredAt,
        String providerMessageId,
        Integer errorCode,
        String errorTitle,
        String errorDetails,
        String pricing) {}
