package io.reach.journey;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.reach.shared.AfterCommit;
import java.util.Locale;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * How many journeys this node started, and how many it saw end, fail or be cancelled, as counters, counted once the
 * transaction that wrote them committed: their rates are the node's journeys per second.
 */
@Component
class JourneyCounts {

    private final Counter started;
    private final Map<String, Counter> finished;

    JourneyCounts(MeterRegistry registry) {
        started = Counter.builder("reach.journeys.started")
                .description("Journeys this node started (an API call, an event, a launch's page)").register(registry);
        finished = Map.of(Journey.ENDED, finishedCounter(registry, Journey.ENDED),
                Journey.FAILED, finishedCounter(registry, Journey.FAILED),
                Journey.CANCELLED, finishedCounter(registry, Journey.CANCELLED));
    }

    private static Counter finishedCounter(MeterRegistry registry, String state) {
        return Counter.builder("reach.journeys.finished")
                .description("Journeys this node finished, by how: ended (at an end step), failed, or cancelled")
                .tag("state", state.toLowerCase(Locale.ROOT)).register(registry);
    }

    void started(int journeys) {
        if (journeys > 0) {
            AfterCommit.run(() -> started.increment(journeys));
        }
    }

    /** Journeys that reached {@code state}; none for a state that does not finish a journey. */
    void finished(String state, int journeys) {
        Counter counter = state == null ? null : finished.get(state);
        if (counter != null && journeys > 0) {
            AfterCommit.run(() -> counter.increment(journeys));
        }
    }
}
