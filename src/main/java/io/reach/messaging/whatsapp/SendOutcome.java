package io.reach.messaging.whatsapp;

import io.reach.messaging.MessageError;
import java.time.Duration;

/** What the Cloud API said to one send. */
sealed interface SendOutcome {

    /** Meta took the message and named it. */
    record Accepted(String providerMessageId) implements SendOutcome {}

    /** Meta refused the message for good. */
    record Rejected(MessageError error) implements SendOutcome {}

    /**
     * A passing failure (throughput, 5xx, timeout): the same send is worth another try. {@code answerLost} when the
     * request went out and no answer came back (a timeout, a connection lost mid-exchange): Meta may have taken it.
     */
    record Retry(MessageError error, Duration retryAfter, boolean answerLost) implements SendOutcome {

        /** Meta answered, and the answer says to try again. */
        Retry(MessageError error, Duration retryAfter) {
            this(error, retryAfter, false);
        }
    }
}
