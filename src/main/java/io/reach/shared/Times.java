package io.reach.shared;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** Converts between the {@link Instant}s the code uses and the UTC timestamps both databases store. */
public final class Times {

    /** Later than anything Reach stores: "never" for a timer, the bound of a newest-first list's first page. */
    public static final Instant END_OF_TIME = Instant.parse("9999-12-31T00:00:00Z");

    private Times() {}

    public static OffsetDateTime utc(Instant instant) {
        return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
    }

    public static OffsetDateTime now(Clock clock) {
        return utc(clock.instant());
    }

    public static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }
}
