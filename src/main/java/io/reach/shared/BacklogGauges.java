package io.reach.shared;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * What the features' metrics read from the database at a scrape go through, so that a scrape answers in time whatever
 * the database does. Each metric's read runs apart, one at a time, and the scrape waits for it at most
 * {@link #WAIT}: a read that takes longer (the pool has no connection free, the database is slow) gives the metric's
 * last value read within {@link #STALE_AFTER}, or none, and the next scrape the value it read meanwhile. Nothing is
 * read while the database is known out of reach ({@link DatabaseOutage}); a read that fails gives no value (NaN,
 * Prometheus's "no value") rather than a number that looks true.
 */
@Component
public class BacklogGauges {

    private static final Logger log = LoggerFactory.getLogger(BacklogGauges.class);

    /** How long a scrape waits for a metric's read: a dozen of them stay within Prometheus's 10 s scrape timeout. */
    static final Duration WAIT = Duration.ofMillis(250);
    /** How old a value read before may be when a read takes longer than {@link #WAIT}. */
    static final Duration STALE_AFTER = Duration.ofSeconds(60);

    private final Clock clock;
    private final DatabaseOutage outage;
    private final ExecutorService reads = Executors.newVirtualThreadPerTaskExecutor();

    public BacklogGauges(Clock clock, DatabaseOutage outage) {
        this.clock = clock;
        this.outage = outage;
    }

    /**
     * A metric of how long, in seconds, the oldest due item of a backlog has waited past the time it was due:
     * {@code oldestDue} finds that time among the items due at the instant it is given; 0 when nothing is due.
     */
    public Supplier<Number> lag(Function<OffsetDateTime, Optional<Instant>> oldestDue) {
        return new Reading(() -> {
            OffsetDateTime now = Times.now(clock);
            return oldestDue.apply(now).map(due -> Math.max(0, Duration.between(due, now.toInstant()).toMillis()))
                    .orElse(0L) / 1000.0;
        });
    }

    /** A metric of a count read from the database. */
    public Supplier<Number> count(LongSupplier count) {
        return new Reading(count::getAsLong);
    }

    /** One metric's reads: at most one under way, and the last value read. */
    private final class Reading implements Supplier<Number> {

        private record Read(double value, Instant at) {}

        private final DoubleSupplier read;
        private final AtomicReference<CompletableFuture<Double>> underWay = new AtomicReference<>();
        private volatile Read last;

        Reading(DoubleSupplier read) {
            this.read = read;
        }

        @Override
        public Number get() {
            if (outage.outOfReachSince().isPresent()) {
                return Double.NaN;
            }
            CompletableFuture<Double> reading = underWay.get();
            if (reading == null || reading.isDone()) {
                CompletableFuture<Double> next = CompletableFuture.supplyAsync(() -> {
                    double value = read.getAsDouble();
                    last = new Read(value, clock.instant());
                    return value;
                }, reads);
                reading = underWay.compareAndSet(reading, next) ? next : underWay.get();
            }
            try {
                return reading.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                Read before = last;
                return before != null && before.at().plus(STALE_AFTER).isAfter(clock.instant()) ? before.value() : Double.NaN;
            } catch (ExecutionException e) {
                log.debug("A metric could not be read from the database", e.getCause());
                return Double.NaN;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Double.NaN;
            }
        }
    }
}
