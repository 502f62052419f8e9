package io.reach.messaging;

import java.time.Instant;
import java.util.UUID;

/**
 * A provider's callback (a webhook, an SMPP receipt, a Twilio callback) stored but not applied, whose last attempt
 * failed: it waits for its retry ({@code nextAttemptAt}), for as long as it fails, unless it is discarded; or one given
 * up ({@code discardedAt}, and no next attempt), which a retry brings back.
 */
public record FailingCallback(
        long id,
        String source,
        UUID senderId,
        Instant receivedAt,
        int attempts,
        Instant nextAttemptAt,
        String lastError,
        String body,
        Instant discardedAt) {}
