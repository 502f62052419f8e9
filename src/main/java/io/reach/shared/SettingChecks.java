package io.reach.shared;

import java.time.Duration;

/**
 * Range checks for Reach's settings records, made as they are bound: a value out of range stops the start with Spring
 * Boot's report naming the setting and why ("Failed to bind properties under 'reach.journeys' … Reason: …"), rather
 * than a node that starts and then advances nothing (a concurrency of 0) or fails later.
 */
public final class SettingChecks {

    private SettingChecks() {}

    /** {@code value} of the setting {@code name} is at least {@code least}. */
    public static void atLeast(String name, int value, int least) {
        if (value < least) {
            throw new IllegalArgumentException(name + " must be " + least + " or more, not " + value);
        }
    }

    /**
     * The settings a sending channel's dispatcher shares ({@code prefix} is e.g. {@code reach.whatsapp}): its poll
     * interval, lease, claims, attempts and backoffs, its providers' request timeout, and its wait after a lost answer.
     */
    public static void dispatcher(String prefix, Duration pollInterval, Duration lease, int batchSize, int maxAttempts,
                                  Duration initialBackoff, Duration maxBackoff, Duration requestTimeout,
                                  Duration retryAfterLostAnswer) {
        positive(prefix + ".poll-interval", pollInterval);
        positive(prefix + ".lease", lease);
        atLeast(prefix + ".batch-size", batchSize, 1);
        atLeast(prefix + ".max-attempts", maxAttempts, 1);
        notNegative(prefix + ".initial-backoff", initialBackoff);
        notNegative(prefix + ".max-backoff", maxBackoff);
        positive(prefix + ".request-timeout", requestTimeout);
        notNegative(prefix + ".retry-after-lost-answer", retryAfterLostAnswer);
    }

    /** {@code value} of the setting {@code name} is a TCP port, or 0 for any free one. */
    public static void port(String name, int value) {
        if (value < 0 || value > 65_535) {
            throw new IllegalArgumentException(name + " must be a port (1 to 65535), or 0 for any free one, not " + value);
        }
    }

    /** {@code value} of the setting {@code name} is a time above zero. */
    public static void positive(String name, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be a time above zero (such as 500ms, 10s, 5m), not " + value);
        }
    }

    /** {@code value} of the setting {@code name} is a time of zero or more. */
    public static void notNegative(String name, Duration value) {
        if (value == null || value.isNegative()) {
            throw new IllegalArgumentException(name + " must be a time of zero or more, not " + value);
        }
    }
}
