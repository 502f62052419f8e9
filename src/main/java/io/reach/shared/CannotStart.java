package io.reach.shared;

import java.util.Locale;

/**
 * Reach cannot start, for a reason its user can put right (a port another process holds, a rules file that is not
 * valid, a secrets key that is not usable): what is wrong, and what to do. {@link CannotStartAnalyzer} turns it into
 * Spring Boot's "APPLICATION FAILED TO START" report instead of a stack trace.
 */
public class CannotStart extends IllegalStateException {

    private final String action;

    public CannotStart(String description, String action, Throwable cause) {
        super(description, cause);
        this.action = action;
    }

    /** What to do about it. */
    public String action() {
        return action;
    }

    /** A setting as an environment variable (Spring Boot's relaxed binding: dots to _, no dashes, upper case). */
    public static String environmentVariable(String property) {
        return property.replace("-", "").replace('.', '_').toUpperCase(Locale.ROOT);
    }
}
