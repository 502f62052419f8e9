package io.reach.messaging;

/** Published once per inbound message, after it is stored. */
public record InboundMessageReceived(InboundMessage message) {}
