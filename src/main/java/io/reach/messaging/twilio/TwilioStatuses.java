package io.reach.messaging.twilio;

import io.reach.messaging.MessageError;
import io.reach.messaging.MessageStatus;
import java.util.Locale;
import java.util.Optional;

/**
 * Twilio's message and call statuses in Reach's one status model. Calls: queued and initiated leave the call
 * {@code submitted}; ringing is {@code sent}; in-progress (answered) and completed are {@code delivered}; busy,
 * no-answer, canceled and failed are {@code failed} with SIP-style codes 486, 480, 487 and Twilio's error code
 * (or 500).
 */
final class TwilioStatuses {

    /** A status in Reach's model, with the error when it is a failure. */
    record Mapped(MessageStatus status, MessageError error) {}

    private TwilioStatuses() {}

    static Optional<Mapped> call(String callStatus, Integer errorCode) {
        if (callStatus == null) {
            return Optional.empty();
        }
        return switch (callStatus.toLowerCase(Locale.ROOT)) {
            case "ringing" -> ok(MessageStatus.SENT);
            case "in-progress", "answered", "completed" -> ok(MessageStatus.DELIVERED);
            case "busy" -> failed(486, "Busy: the line was busy");
            case "no-answer" -> failed(480, "No answer: nobody picked up");
            case "canceled" -> failed(487, "Canceled before it was answered");
            case "failed" -> failed(errorCode == null ? 500 : errorCode, errorCode == null
                    ? "Call failed: the number could not be reached" : TwilioErrors.describe(errorCode, null));
            default -> Optional.empty();
        };
    }

    static Optional<Mapped> message(String messageStatus, Integer errorCode) {
        if (messageStatus == null) {
            return Optional.empty();
        }
        return switch (messageStatus.toLowerCase(Locale.ROOT)) {
            case "sent" -> ok(MessageStatus.SENT);
            case "delivered" -> ok(MessageStatus.DELIVERED);
            case "read" -> ok(MessageStatus.READ);
            case "undelivered", "failed" -> failed(errorCode == null ? 30008 : errorCode,
                    TwilioErrors.describe(errorCode == null ? 30008 : errorCode, null));
            case "canceled" -> failed(0, "Canceled before it was sent");
            default -> Optional.empty();
        };
    }

    private static Optional<Mapped> ok(MessageStatus status) {
        return Optional.of(new Mapped(status, null));
    }

    private static Optional<Mapped> failed(int code, String title) {
        return Optional.of(new Mapped(MessageStatus.FAILED, new MessageError(code, title, null)));
    }
}
