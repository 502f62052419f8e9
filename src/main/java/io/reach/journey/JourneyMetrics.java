package io.reach.journey;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.reach.shared.BacklogGauges;
import io.reach.shared.Dialect;
import io.reach.shared.Times;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The journey engine's backlog as metrics, read from the database at each scrape, so that every node tells the same
 * of all of them: how late the engine is with the journeys due (those whose wake time passed), per state, and the
 * audience launches and the stops' cancellations under way.
 */
@Component
class JourneyMetrics implements MeterBinder {

    private final JdbcTemplate jdbc;
    private final Dialect dialect;
    private final BacklogGauges gauges;

    JourneyMetrics(JdbcTemplate jdbc, Dialect dialect, BacklogGauges gauges) {
        this.jdbc = jdbc;
        this.dialect = dialect;
        this.gauges = gauges;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (String state : List.of(Journey.RUNNING, Journey.WAITING)) {
            Gauge.builder("reach.journeys.lag", gauges.lag(now -> oldestDue(state, now)))
                    .description("How long the journey due longest (its wake time passed) has waited for the engine; 0 when"
                            + " none is due. Running journeys take their next step; waiting ones, their timer")
                    .tag("state", state.toLowerCase(Locale.ROOT)).baseUnit("seconds").register(registry);
        }
        Gauge.builder("reach.launches.running", gauges.count(() -> count("launches", Launch.RUNNING)))
                .description("Audience launches still creating their journeys").register(registry);
        Gauge.builder("reach.launches.scheduled", gauges.count(() -> count("launches", Launch.SCHEDULED)))
                .description("Audience launches waiting for the time they were scheduled for").register(registry);
        Gauge.builder("reach.cancellations.running", gauges.count(() -> count("cancellations", Cancellation.RUNNING)))
                .description("Stopped flows whose journeys are still being cancelled").register(registry);
    }

    private Optional<Instant> oldestDue(String state, OffsetDateTime now) {
        // The order of the journeys_due index, as the engine's claims read it.
        return dialect.first(jdbc, "journeys", "wake_at", "state = ? AND wake_at <= ?", List.of(state, now),
                "state, wake_at", rs -> Times.instant(rs, "wake_at"));
    }

    private long count(String table, String state) {
        // A row per launch or per stop, not per journey: counted through the index on state.
        return jdbc.queryForObject("SELECT COUNT(*) FROM " + table + " WHERE state = ?", Long.class, state);
    }
}
