package io.reach.shared;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * This node's background workers as metrics, one series per worker: the items each is running and may run at once
 * (a node at its limit for long is saturated), and the work each failed and tried again.
 */
@Component
class WorkerMetrics implements MeterBinder {

    private final List<BackgroundWorker> workers;

    WorkerMetrics(List<BackgroundWorker> workers) {
        this.workers = workers;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (BackgroundWorker worker : workers) {
            Gauge.builder("reach.worker.items", worker, BackgroundWorker::itemsUnderWay)
                    .description("Items this node's worker is running now: sends on the wire, journeys being advanced")
                    .tag("worker", worker.name()).register(registry);
            Gauge.builder("reach.worker.items.limit", worker, BackgroundWorker::itemsAtOnce)
                    .description("How many items this node's worker may run at once (0: it works one unit at a time)")
                    .tag("worker", worker.name()).register(registry);
            FunctionCounter.builder("reach.worker.failures", worker, BackgroundWorker::failures)
                    .description("Units of work and items this node's worker failed, each logged at WARN and tried again")
                    .tag("worker", worker.name()).register(registry);
        }
    }
}
