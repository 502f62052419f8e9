package io.reach.journey;

import io.reach.shared.ApiException;
import io.reach.shared.Texts;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.ResolverStyle;
import java.time.temporal.TemporalAccessor;
import java.time.temporal.TemporalQueries;
import java.time.zone.ZoneOffsetTransition;

/**
 * The times a launch is scheduled with, as a request writes them: an ISO-8601 local date and time with its offset
 * ({@code 2026-12-24T09:00:00+01:00}, {@code …Z}) or its time zone's id ({@code 2026-12-24T09:00:00[Europe/Amsterdam]},
 * whose offset on that day, summer time or not, is the zone's business); a date that is none is refused, not moved.
 */
final class LaunchTimes {

    /** The longest a launch is scheduled ahead: a year, as a campaign plan goes. */
    static final Duration MAX_SCHEDULED_AHEAD = Duration.ofDays(366);

    /** A local date and time, then its offset, its time zone's id in brackets, or both (ISO's needs the offset). */
    private static final DateTimeFormatter FORMAT = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE_TIME)
            .optionalStart().appendOffsetId().optionalEnd()
            .optionalStart().appendLiteral('[').parseCaseSensitive().appendZoneRegionId().appendLiteral(']').optionalEnd()
            .toFormatter().withResolverStyle(ResolverStyle.STRICT);

    private LaunchTimes() {
    }

    /** When a scheduled launch begins: in the future, up to {@link #MAX_SCHEDULED_AHEAD}. */
    static Instant at(String at, Instant now) {
        Instant instant = instant("at", at);
        if (!instant.isAfter(now)) {
            throw ApiException.invalidField("at", at.strip() + " is not in the future (it is " + now + " now); leave at"
                    + " out to launch now");
        }
        if (instant.isAfter(now.plus(MAX_SCHEDULED_AHEAD))) {
            throw ApiException.invalidField("at", at.strip() + " is more than " + MAX_SCHEDULED_AHEAD.toDays()
                    + " days ahead");
        }
        return instant;
    }

    /**
     * The latest a launch scheduled for {@code startsAt} may begin (null when {@code notAfter} is): after it. A launch
     * now ({@code startsAt} null) has none.
     */
    static Instant notAfter(String notAfter, Instant startsAt) {
        if (notAfter == null) {
            return null;
        }
        if (startsAt == null) {
            throw ApiException.invalidField("notAfter", "bounds a scheduled launch: give its at too");
        }
        Instant instant = instant("notAfter", notAfter);
        if (!instant.isAfter(startsAt)) {
            throw ApiException.invalidField("notAfter", notAfter.strip() + " is not after the launch's at (" + startsAt + ")");
        }
        return instant;
    }

    private static Instant instant(String field, String text) {
        try {
            TemporalAccessor parsed = FORMAT.parse(text.strip());
            Instant instant = ZonedDateTime.from(parsed).toInstant();
            refuseATimeItsZoneDoesNotHave(field, text, parsed);
            return instant;
        } catch (DateTimeException e) {
            throw ApiException.invalidField(field, "'" + Texts.clip(text, 60) + "' is not an instant with its offset or"
                    + " its time zone, such as 2026-12-24T09:00:00+01:00, 2026-12-24T08:00:00Z or"
                    + " 2026-12-24T09:00:00[Europe/Amsterdam]" + whyNot(text.strip(), e));
        }
    }

    /**
     * A local time its zone skips (02:30 on the day summer time begins), or both an offset and a time zone, which
     * disagree ({@code 2026-12-24T09:00:00+05:00[Europe/Amsterdam]}): Java moves the first and takes the offset of the
     * second, and the launch would begin at 05:00 in Amsterdam for a request that wrote 09:00. An offset that is one of
     * the zone's at that time (the hour written twice as summer time ends) is what tells the two hours apart.
     */
    private static void refuseATimeItsZoneDoesNotHave(String field, String text, TemporalAccessor parsed) {
        ZoneId zone = parsed.query(TemporalQueries.zoneId());
        ZoneOffset offset = parsed.query(TemporalQueries.offset());
        if (zone == null || zone instanceof ZoneOffset) {
            return;
        }
        LocalDateTime local = LocalDateTime.from(parsed);
        if (zone.getRules().getValidOffsets(local).isEmpty()) {
            // The hour the clocks skip as summer time begins: Java would move it on by the gap, to a time not written.
            ZoneOffsetTransition gap = zone.getRules().getTransition(local);
            throw ApiException.invalidField(field, "'" + Texts.clip(text.strip(), 60) + "': " + local + " does not exist in "
                    + zone.getId() + " (its clocks go from " + gap.getDateTimeBefore().toLocalTime() + " to "
                    + gap.getDateTimeAfter().toLocalTime() + " that day): write a time before or after the change");
        }
        if (offset != null && !zone.getRules().isValidOffset(local, offset)) {
            throw ApiException.invalidField(field, "'" + Texts.clip(text.strip(), 60) + "': " + offset.getId() + " is not "
                    + zone.getId() + "'s offset at " + local + " (" + String.join(" or ", zone.getRules().getValidOffsets(local)
                    .stream().map(ZoneOffset::getId).toList()) + "): write the offset or the time zone alone");
        }
    }

    /** What was wrong in a time of the right form: a day or an hour that is none, a zone that does not exist. */
    private static String whyNot(String text, DateTimeException e) {
        if (e.getCause() != null && e.getCause().getMessage() != null && e.getCause().getMessage().startsWith("Invalid")) {
            return " (" + e.getCause().getMessage() + ")";
        }
        int zone = text.indexOf('[');
        if (zone > 0 && text.endsWith("]")) {
            String name = text.substring(zone + 1, text.length() - 1);
            try {
                ZoneId.of(name);
            } catch (DateTimeException unknown) {
                return " (no time zone is called " + Texts.clip(name, 40) + ": the IANA names are Region/City)";
            }
        }
        return "";
    }
}
