package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.support.MutableClock;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.QueryTimeoutException;

/**
 * What a backlog's metric says: how late its oldest due item is, no number at all when it cannot be read, and an
 * answer in time when its read takes long.
 */
class BacklogGaugesTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-05T17:00:00Z"));
    private final DatabaseOutage outage = new DatabaseOutage(clock);
    private final BacklogGauges gauges = new BacklogGauges(clock, outage);
    // Reads that wait until the test lets them go, as a read waits for a connection from a pool that has none free.
    private final CountDownLatch slow = new CountDownLatch(1);

    @AfterEach
    void letSlowReadsGo() {
        slow.countDown();
    }

    @Test
    void theLagIsHowLongTheOldestDueItemHasWaitedPastItsTime() {
        assertThat(gauges.lag(now -> Optional.of(now.toInstant().minus(Duration.ofMillis(90_250)))).get()).isEqualTo(90.25);
    }

    @Test
    void theLagIsZeroWhenNothingIsDue() {
        assertThat(gauges.lag(now -> Optional.empty()).get()).isEqualTo(0.0);
    }

    @Test
    void theLagIsReadAgainstTheInjectedClock() {
        List<OffsetDateTime> asked = new CopyOnWriteArrayList<>();
        Instant due = clock.instant();
        clock.advance(Duration.ofMinutes(3));

        Number lag = gauges.lag(now -> {
            asked.add(now);
            return Optional.of(due);
        }).get();

        assertThat(lag).isEqualTo(180.0);
        assertThat(asked).containsExactly(OffsetDateTime.parse("2026-12-05T17:03:00Z"));
    }

    @Test
    void aReadThatFailsGivesNoNumber() {
        assertThat(gauges.lag(now -> {
            throw new QueryTimeoutException("canceled");
        }).get()).isEqualTo(Double.NaN);
        assertThat(gauges.count(() -> {
            throw new DataAccessResourceFailureException("gone");
        }).get()).isEqualTo(Double.NaN);
    }

    @Test
    void nothingIsReadWhileTheDatabaseIsKnownOutOfReach() {
        AtomicInteger reads = new AtomicInteger();
        Supplier<Number> count = gauges.count(() -> 7 + reads.getAndIncrement());
        outage.connectionRefused(new SQLTransientConnectionException("Connection is not available, request timed out"),
                outage.connectionAsked());

        assertThat(count.get()).isEqualTo(Double.NaN);
        assertThat(reads).hasValue(0);

        outage.connectionGiven();
        assertThat(count.get()).isEqualTo(7.0);
    }

    @Test
    void aScrapeDoesNotWaitForASlowReadAndTheNextGetsWhatItRead() {
        AtomicInteger reads = new AtomicInteger();
        Supplier<Number> count = gauges.count(() -> {
            reads.incrementAndGet();
            awaitSlow();
            return 42;
        });

        // Both scrapes answer while the read still waits.
        assertThat(count.get()).as("nothing read before").isEqualTo(Double.NaN);
        assertThat(count.get()).as("the read still under way").isEqualTo(Double.NaN);
        assertThat(reads).as("one read under way at a time").hasValue(1);

        slow.countDown();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Double.valueOf(42).equals(count.get()));
    }

    @Test
    void aSlowReadGivesTheValueReadBeforeForAMinute() {
        AtomicInteger reads = new AtomicInteger();
        Supplier<Number> count = gauges.count(() -> {
            if (reads.incrementAndGet() > 1) {
                awaitSlow();
            }
            return 5;
        });
        assertThat(count.get()).isEqualTo(5.0);

        assertThat(count.get()).as("read before, 0 s ago").isEqualTo(5.0);
        clock.advance(BacklogGauges.STALE_AFTER.minusSeconds(1));
        assertThat(count.get()).as("read before, 59 s ago").isEqualTo(5.0);
        clock.advance(Duration.ofSeconds(1));
        assertThat(count.get()).as("read before, a minute ago").isEqualTo(Double.NaN);
        assertThat(reads).hasValue(2);
    }

    private void awaitSlow() {
        try {
            slow.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
