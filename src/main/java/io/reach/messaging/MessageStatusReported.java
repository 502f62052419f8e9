package io.reach.messaging;

import java.time.Instant;
import java.util.UUID;

/**
 * Published for every new entry of a message's timeline, in the order they are recorded, whether or not the
 * current status moves: what a journey waiting for a decisive status listens to.
 */
public record MessageStatusReported(UUID messageId, MessageStatus status, boolean inferred, Instant occurredAt, Integer errorCode) {}
