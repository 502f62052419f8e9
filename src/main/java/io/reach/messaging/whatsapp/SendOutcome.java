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
     * Meta asks Reach to send more slowly (the number's throughput, the account's or the app's rate limit): the same
     * send is tried again, not before {@code retryAfter} when Meta named it, and meanwhile the message still waits its
     * turn.
     */
    record SlowDown(MessageError error, Duration retryAfter) implements SendOutcome {}

    /**
     * A passing failure (5xx, timeout, a short outage): the same send is worth another try. {@code answerLost} when the
     * request went out and no answer came back (a timeout, a connection lost mid-exchange): Meta may have taken it.
     */
    record Retry(MessageError error, Duration retryAfter, boolean answerLost) implements SendOutcome {

        /** Meta answered, and the answer says to try again. */
        Retry(MessageError error, Duration retryAfter) {
            this(error, retryAfter, false);
        }
    }
}
