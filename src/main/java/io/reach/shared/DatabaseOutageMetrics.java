package io.reach.shared;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.stereotype.Component;

/** This node's view of the database as metrics: whether it is out of reach, and what the node refused meanwhile. */
@Component
class DatabaseOutageMetrics implements MeterBinder {

    private final DatabaseOutage outage;

    DatabaseOutageMetrics(DatabaseOutage outage) {
        this.outage = outage;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("reach.database.unreachable", outage, o -> o.outOfReachSince().isPresent() ? 1 : 0)
                .description("1 while this node knows the database out of reach (its pool gave no connection in time), else 0")
                .register(registry);
        FunctionCounter.builder("reach.callbacks.refused", outage, DatabaseOutage::refusedCallbacks)
                .description("Providers' callbacks (webhooks, deliver_sm) this node refused while the database was out of"
                        + " reach, for their senders to send them again").register(registry);
        FunctionCounter.builder("reach.api.requests.refused", outage, DatabaseOutage::refusedRequests)
                .description("API requests this node refused while the database was out of reach").register(registry);
    }
}
