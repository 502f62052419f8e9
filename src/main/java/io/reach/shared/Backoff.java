package io.reach.shared;

import java.time.Duration;

/** Exponential backoff: {@code initial} doubled per attempt, never more than {@code max}. */
public final class Backoff {

    private Backoff() {}

    /** How long to wait before attempt {@code attempt + 1}. */
    public static Duration exponential(Duration initial, Duration max, int attempt) {
        long factor = 1L << Math.min(Math.max(attempt - 1, 0), 20);
        Duration wait = initial.multipliedBy(factor);
        return wait.compareTo(max) > 0 ? max : wait;
    }
}
