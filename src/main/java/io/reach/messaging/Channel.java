package io.reach.messaging;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** The ways Reach reaches a person. */
public enum Channel {
    WHATSAPP, SMS, VOICE;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
