package io.reach.journey;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A daily window of local time ({@code from} to {@code to}; {@code from} after {@code to} spans midnight) read in one
 * or several time zones: it is open when it is open in every one of them. Several zones are those of a number that does
 * not tell where in its country its owner is, so that a wait for office hours wakes nobody at night.
 */
final class LocalWindow {

    private LocalWindow() {}

    private record Interval(Instant start, Instant end) {}

    /**
     * The first moment from {@code now} on at which the window is open in every zone: {@code now} itself when it is open,
     * empty when the zones lie too far apart for it ever to be open in all of them at once.
     */
    static Optional<Instant> opening(Instant now, LocalTime from, LocalTime to, List<ZoneId> zones) {
        List<Interval> common = null;
        for (ZoneId zone : zones) {
            List<Interval> open = openIntervals(now, from, to, zone);
            common = common == null ? open : intersection(common, open);
        }
        if (common == null) {
            return Optional.empty();
        }
        return common.stream().filter(i -> i.end().isAfter(now))
                .map(i -> i.start().isAfter(now) ? i.start() : now)
                .findFirst();
    }

    /** The window's openings in {@code zone} from the day before {@code now} to three days after it, in order. */
    private static List<Interval> openIntervals(Instant now, LocalTime from, LocalTime to, ZoneId zone) {
        LocalDate today = now.atZone(zone).toLocalDate();
        List<Interval> open = new ArrayList<>();
        for (int day = -1; day <= 3; day++) {
            LocalDate date = today.plusDays(day);
            // A time in a daylight-saving gap is moved on by the gap, as the clocks on the wall are.
            Instant start = ZonedDateTime.of(date, from, zone).toInstant();
            Instant end = ZonedDateTime.of(from.isBefore(to) ? date : date.plusDays(1), to, zone).toInstant();
            if (end.isAfter(start)) {
                open.add(new Interval(start, end));
            }
        }
        return open;
    }

    private static List<Interval> intersection(List<Interval> a, List<Interval> b) {
        List<Interval> both = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < a.size() && j < b.size()) {
            Instant start = a.get(i).start().isAfter(b.get(j).start()) ? a.get(i).start() : b.get(j).start();
            Instant end = a.get(i).end().isBefore(b.get(j).end()) ? a.get(i).end() : b.get(j).end();
            if (end.isAfter(start)) {
                both.add(new Interval(start, end));
            }
            if (a.get(i).end().isBefore(b.get(j).end())) {
                i++;
            } else {
                j++;
            }
        }
        return both;
    }
}
