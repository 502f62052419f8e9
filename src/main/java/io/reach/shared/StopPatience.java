package io.reach.shared;

import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.stereotype.Component;

/**
 * Gives every background worker {@code reach.stop-patience}: how long a stopping node waits for the sends it has on
 * the wire and for its workers' loops (see {@link BackgroundWorker#stop()}).
 */
@Component
class StopPatience implements BeanPostProcessor {

    static final Duration DEFAULT = Duration.ofSeconds(20);

    private final Duration patience;

    StopPatience(@Value("${reach.stop-patience:20s}") Duration patience) {
        if (patience.isNegative()) {
            throw new IllegalArgumentException("reach.stop-patience must not be negative: " + patience);
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
