package io.reach.shared;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * What the features' metrics read from the database at a scrape go through: nothing is read while the database is
 * known out of reach ({@link DatabaseOutage}), for a scrape not to wait the pool's timeout once per gauge, and a read
 * that fails gives NaN (Prometheus's "no value") rather than a number that looks true.
 */
@Component
public class BacklogGauges {

    private static final Logger log = LoggerFactory.getLogger(BacklogGauges.class);

    private final Clock clock;
    private final DatabaseOutage outage;

    public BacklogGauges(Clock clock, DatabaseOutage outage) {
        this.clock = clock;
        this.outage = outage;
    }

    /**
     * How long, in seconds, the oldest due item of a backlog has waited past the time it was due: {@code oldestDue}
     * finds that time among the items due at the instant it is given; 0 when nothing is due.
     */
    public double lag(Function<OffsetDateTime, Optional<Instant>> oldestDue) {
        OffsetDateTime now = Times.now(clock);
        return read(() -> oldestDue.apply(now)
                .map(due -> Math.max(0, Duration.between(due, now.toInstant()).toMillis()))
                .orElse(0L)) / 1000.0;
    }

    /** A count read from the database. */
    public double read(LongSupplier count) {
        if (outage.outOfReachSince().isPresent()) {
            return Double.NaN;
        }
        try {
            return count.getAsLong();
        } catch (RuntimeException e) {
            log.debug("A metric could not be read from the database", e);
            return Double.NaN;
        }
    }
}
