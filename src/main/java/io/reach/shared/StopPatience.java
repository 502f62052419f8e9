package io.reach.shared;

import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.stereotype.Component;

/**
 * Gives every background worker {@code reach.stop-patience}: how long a stopping node waits for the sends it has on
 * the wire and for its workers' loops (see {@link BackgroundWorker#stop()}).
 */
@Component
class StopPatience implements BeanPostProcessor {

    static final Duration DEFAULT = Duration.ofSeconds(20);

    private final Duration patience;

    /**
     * Room a worker's stop needs beside its patience: an interrupted loop's 5 s, and the journey engine's 2 s to give
     * back its claims.
     */
    static final Duration AROUND = Duration.ofSeconds(10);

    StopPatience(@Value("${reach.stop-patience:20s}") Duration patience,
                 @Value("${spring.lifecycle.timeout-per-shutdown-phase:30s}") Duration phase) {
        // As Spring Boot's own report of a bad setting (which says where it was set), not as a stack trace.
        if (patience.isNegative()) {
            throw new InvalidConfigurationPropertyValueException(
                    "reach.stop-patience", patience, "it must not be negative");
        }
        if (patience.plus(AROUND).compareTo(phase) > 0) {
            // Spring would close the database's pool and the providers' clients under workers still waiting.
            throw new InvalidConfigurationPropertyValueException(
                    "reach.stop-patience", patience, "it must be at least " + AROUND
                    + " under spring.lifecycle.timeout-per-shutdown-phase (" + phase + "): raise that too");
        }
        this.patience = patience;
    }

    @Override
    public Object postProcessBeforeInitialization(Object bean, String beanName) {
        if (bean instanceof BackgroundWorker worker) {
            worker.setStopPatience(patience);
        }
        return bean;
    }
}
