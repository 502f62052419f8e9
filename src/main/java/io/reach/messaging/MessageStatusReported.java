package io.reach.messaging;

import java.time.Instant;
import java.util.UUID;

/**
 * A new entry of a message's timeline, whether or not the current status moved; published in batches
 * ({@link MessageStatusesReported}).
 */
public record MessageStatusReported(UUID messageId, Channel channel, MessageStatus status, boolean inferred, Instant occurredAt,
                                    Integer errorCode) {}
