package io.reach.journey;

import io.reach.messaging.MessageStatus;
import java.time.Instant;
import java.util.UUID;

/** What executing a step decided: go on (by a branch), wait, end, or fail the journey. */
sealed interface StepOutcome {

    /**
     * Go on to {@code target} (null ends the journey: a branch without a step). {@code sentNow}: the status of
     * {@code messageId} when the step created it just now, in the step's transaction, so that no one else can hold
     * its row yet (null: no message created now).
     */
    record Next(String target, String branch, String outcome, UUID messageId, MessageStatus sentNow)
            implements StepOutcome {
        Next(String target, String branch, String outcome, UUID messageId) {
            this(target, branch, outcome, messageId, null);
        }
    }

    /** Wait until a decision of {@code kind} comes or {@code wakeAt} passes. */
    record Wait(String kind, Instant wakeAt, UUID waitingMessageId, String waitingFor, String outcome, UUID messageId)
            implements StepOutcome {}

    record End(String outcome) implements StepOutcome {}

    record Fail(String error) implements StepOutcome {}

    String STATUS = "STATUS";
    String REPLY = "REPLY";
    String TIMER = "TIMER";
}
