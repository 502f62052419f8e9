package io.reach.messaging;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.Optional;

/**
 * The one status model of every channel. The rank orders progress: the current status only ever moves to a
 * higher rank. {@code failed} ranks below {@code delivered} because Meta may report a multi-device user's
 * message delivered after it reported it failed, and a delivery is the stronger fact.
 */
public enum MessageStatus {
    QUEUED(0), BLOCKED(0), SUBMITTED(1), SENT(2), FAILED(3), DELIVERED(4), READ(5);

    private final int rank;

    MessageStatus(int rank) {
        this.rank = rank;
    }

    public int rank() {
        return rank;
    }

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<MessageStatus> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(valueOf(text.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
