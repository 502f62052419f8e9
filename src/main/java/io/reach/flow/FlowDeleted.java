package io.reach.flow;

import java.util.UUID;

/**
 * A flow that was never published was deleted, published in the transaction that deletes it (before its row goes):
 * what other features keep of it goes with it.
 */
public record FlowDeleted(UUID flowId) {}
