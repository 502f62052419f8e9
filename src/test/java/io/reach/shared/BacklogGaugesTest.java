package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.support.MutableClock;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What a backlog's metric says: how late its oldest due item is, and no number at all when it cannot be read. */
class BacklogGaugesTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-05T17:00:00Z"));
    private final DatabaseOutage outage = new DatabaseOutage(clock);
    private final BacklogGauges gauges = new BacklogGauges(clock, outage);

    @Test
    void theLagIsHowLongTheOldestDueItemHasWaitedPastItsTime() {
        assertThat(gauges.lag(now -> Optional.of(now.toInstant().minus(Duration.ofMillis(90_250))))).isEqualTo(90.25);
    }

    @Test
    void theLagIsZeroWhenNothingIsDue() {
        assertThat(gauges.lag(now -> Optional.empty())).isZero();
    }

    @Test
    void theLagIsReadAgainstTheInjectedClock() {
        java.util.List<OffsetDateTime> asked = new java.util.ArrayList<>();
        Instant due = clock.instant();
        clock.advance(Duration.ofMinutes(3));

        double lag = gauges.lag(now -> {
            asked.add(now);
            return Optional.of(due);
        });

        assertThat(lag).isEqualTo(180.0);
        assertThat(asked).containsExactly(OffsetDateTime.parse("2026-12-05T17:03:00Z"));
    }

    @Test
    void aReadThatFailsGivesNoNumber() {
        assertThat(gauges.lag(now -> {
            throw new org.springframework.dao.QueryTimeoutException("canceled");
        })).isNaN();
        assertThat(gauges.read(() -> {
            throw new org.springframework.dao.DataAccessResourceFailureException("gone");
        })).isNaN();
    }

    @Test
    void nothingIsReadWhileTheDatabaseIsKnownOutOfReach() {
        AtomicInteger reads = new AtomicInteger();
        outage.connectionRefused(new SQLTransientConnectionException("Connection is not available, request timed out"));

        assertThat(gauges.read(reads::incrementAndGet)).isNaN();
        assertThat(gauges.lag(now -> {
            reads.incrementAndGet();
            return Optional.empty();
        })).isNaN();
        assertThat(reads).hasValue(0);

        outage.connectionGiven();
        assertThat(gauges.read(() -> 7 + reads.get())).isEqualTo(7.0);
    }
}
