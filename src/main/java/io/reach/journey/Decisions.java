package io.reach.journey;

import io.reach.flow.FlowStep;
import io.reach.flow.StepTypes;
import io.reach.messaging.Message;
import io.reach.messaging.MessageError;
import io.reach.messaging.MessageStatus;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which branch a message status decides, given the branches a step has. A status implies the ones below it
 * (read implies delivered implies sent), and {@code blocked} goes to the {@code failed} branch when the step has
 * no {@code blocked} branch.
 */
final class Decisions {

    /** Every branch a status can decide. */
    static final Set<String> ANY_STATUS_BRANCH = Set.of("sent", "delivered", "read", "failed", "blocked");

    private Decisions() {}

    /** The reply branches of a wait_for_reply step: its branch keys but no_reply, which no reply takes. */
    static Set<String> replyBranches(FlowStep step) {
        Set<String> keys = new LinkedHashSet<>(step.branches().keySet());
        keys.remove(StepTypes.NO_REPLY);
        return keys;
    }

    static Set<String> keys(String waitingFor) {
        return waitingFor == null || waitingFor.isEmpty() ? Set.of()
                : Arrays.stream(waitingFor.split(",")).collect(Collectors.toSet());
    }

    static String forStatus(MessageStatus status, Set<String> branches) {
        return switch (status) {
            case BLOCKED -> branches.contains("blocked") ? "blocked" : branches.contains("failed") ? "failed" : null;
            case FAILED -> branches.contains("failed") ? "failed" : null;
            case READ -> first(branches, "read", "delivered", "sent");
            case DELIVERED -> first(branches, "delivered", "sent");
            case SENT -> first(branches, "sent");
            default -> null;
        };
    }

    /** The branch of a reply: its quick-reply payload when the step has that branch, else any_text for a text. */
    static String forReply(String payload, String text, Set<String> branches) {
        if (payload != null && branches.contains(payload)) {
            return payload;
        }
        if (branches.contains(StepTypes.ANY_TEXT) && (text != null || payload != null)) {
            return StepTypes.ANY_TEXT;
        }
        return null;
    }

    private static String first(Set<String> branches, String... candidates) {
        for (String candidate : candidates) {
            if (branches.contains(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * Whether a message with this status can no longer be answered: it was not sent (blocked, or withdrawn while
     * queued), or it failed, which is decisive as it is for a branch_on_status (a multi-device phone's later
     * {@code delivered} does not take the journey back).
     */
    static boolean unanswerable(MessageStatus status) {
        return status == MessageStatus.BLOCKED || status == MessageStatus.FAILED;
    }

    /**
     * The outcome of a wait_for_reply whose question can no longer be answered (see {@link #unanswerable}): it takes
     * no_reply at once rather than after its timeout.
     */
    static String questionUnanswerable(Optional<Message> question) {
        if (question.isPresent() && question.get().status() != MessageStatus.BLOCKED) {
            MessageError error = question.get().error();
            return "no reply can come: its question failed" + (error == null ? ""
                    : " (" + error.code() + (error.title() == null ? "" : " " + error.title()) + ")");
        }
        String reason = question.map(Message::blockedReason).orElse(null);
        return "no reply can come: its question was not sent (blocked" + (reason == null ? "" : ": " + reason) + ")";
    }
}
