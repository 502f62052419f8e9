package io.reach.flow;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a flow document's durations: ISO-8601 as {@link Duration#parse} reads them, and weeks ({@code P1W}) too. */
public final class FlowDurations {

    // ISO-8601 writes weeks alone (PnW); Duration.parse knows days and below only, and P1W is how many write 7 days.
    private static final Pattern WEEKS = Pattern.compile("([-+]?)[Pp](\\d{1,7})[Ww]");

    private FlowDurations() {}

    /** The duration {@code text} says; throws {@link java.time.format.DateTimeParseException} when it is not one. */
    public static Duration parse(String text) {
        Matcher weeks = WEEKS.matcher(text);
        if (weeks.matches()) {
            Duration duration = Duration.ofDays(Long.parseLong(weeks.group(2)) * 7);
            return weeks.group(1).equals("-") ? duration.negated() : duration;
        }
        return Duration.parse(text);
    }
}
