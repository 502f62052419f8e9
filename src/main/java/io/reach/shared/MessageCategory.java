package io.reach.shared;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** WhatsApp's message categories; consent is given per category and every template has one. */
public enum MessageCategory {
    MARKETING, UTILITY, AUTHENTICATION;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<MessageCategory> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String wanted = text.trim().toUpperCase(Locale.ROOT);
        return Arrays.stream(values()).filter(c -> c.name().equals(wanted)).findFirst();
    }

    public static String allowedValues() {
        return Arrays.stream(values()).map(MessageCategory::wireName).collect(Collectors.joining(", "));
    }
}
