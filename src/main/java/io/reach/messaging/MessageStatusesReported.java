package io.reach.messaging;

import java.util.List;

/**
 * Published once per transaction that added entries to messages' timelines (one webhook can carry many), with those
 * entries in the order they were recorded: what journeys waiting for a decisive status listen to, so that they can
 * look for the waiting journeys of all of them at once.
 */
public record MessageStatusesReported(List<MessageStatusReported> statuses) {}
