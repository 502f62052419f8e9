package io.reach.messaging.whatsapp;

import io.reach.messaging.MessageError;
import java.time.Duration;

/** What the Cloud API said to one send. */
sealed interface SendOutcome {

    /** Meta took the message and named it. */
    record Accepted(String providerMessageId) implements SendOutcome {}

    /** Meta refused the message for good. */
    record Rejected(MessageError error) implements SendOutcome {}

    /** A passing failure (throughput, 5xx, timeout): the same send is worth another try. */
    record Retry(MessageError error, Duration retryAfter) implements SendOutcome {}
}
