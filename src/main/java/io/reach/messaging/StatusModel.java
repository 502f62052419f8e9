package io.reach.messaging;

import java.util.Set;

/** What one incoming status event does to a message, by DESIGN.md's rules; pure, so it is tested without a database. */
public final class StatusModel {

    private StatusModel() {}

    /**
     * @param record         whether the event goes into the timeline (false: a duplicate)
     * @param inferSubmitted the provider reported on a message Reach had not yet recorded as submitted
     * @param inferDelivered {@code read} arrived without {@code delivered}, which it implies
     * @param current        the message's status afterwards
     */
    public record Decision(boolean record, boolean inferSubmitted, boolean inferDelivered, MessageStatus current) {}

    /**
     * A status of a {@code blocked} message is taken like any other: Reach blocks only messages it has not handed to a
     * provider as far as it knows, so a provider that reports on one (by Reach's own id, which only a message it took
     * carries) had it after all — an answer lost, then the message withdrawn while Reach waited for its status.
     */
    public static Decision apply(MessageStatus current, Set<MessageStatus> recorded, MessageStatus incoming) {
        if (incoming == MessageStatus.QUEUED || incoming == MessageStatus.BLOCKED || recorded.contains(incoming)) {
            return new Decision(false, false, false, current);
        }
        boolean inferSubmitted = incoming != MessageStatus.SUBMITTED && !recorded.contains(MessageStatus.SUBMITTED);
        boolean inferDelivered = incoming == MessageStatus.READ && !recorded.contains(MessageStatus.DELIVERED);
        MessageStatus next = incoming.rank() > current.rank() ? incoming : current;
        return new Decision(true, inferSubmitted, inferDelivered, next);
    }
}
