package io.reach.messaging;

import java.time.Instant;
import java.util.UUID;

/** Published when a message's current status moved forward. */
public record MessageStatusChanged(
        UUID messageId,
        Channel channel,
        UUID contactId,
        String campaignId,
        MessageStatus previous,
        MessageStatus current,
        Instant occurredAt,
        Integer errorCode) {}
