package io.reach.messaging;

import java.time.Instant;
import java.util.UUID;

/** A status report whose message Reach did not know when it arrived; {@code matchedMessageId} once it was matched. */
public record UnmatchedStatus(
        long id,
        String channel,
        String providerMessageId,
        MessageStatus status,
        Instant occurredAt,
        Instant receivedAt,
        Integer errorCode,
        UUID matchedMessageId,
        String payload) {}
