package io.reach.contact;

import io.reach.shared.MessageCategory;

/** Which categories of message a contact agreed to receive. */
public record Consent(boolean marketing, boolean utility, boolean authentication) {

    public static final Consent NONE = new Consent(false, false, false);

    public boolean allows(MessageCategory category) {
        return switch (category) {
            case MARKETING -> marketing;
            case UTILITY -> utility;
            case AUTHENTICATION -> authentication;
        };
    }

    public Consent grant(MessageCategory category) {
        return switch (category) {
            case MARKETING -> new Consent(true, utility, authentication);
            case UTILITY -> new Consent(marketing, true, authentication);
            case AUTHENTICATION -> new Consent(marketing, utility, true);
        };
    }
}
