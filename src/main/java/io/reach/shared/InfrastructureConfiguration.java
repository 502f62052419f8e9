package io.reach.shared;

import java.time.Clock;
import javax.sql.DataSource;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The clock and the database dialect every feature shares; tests replace the clock to move time. */
@Configuration(proxyBeanMethods = false)
class InfrastructureConfiguration {

    @Bean
    @ConditionalOnMissingBean
    Clock clock() {
        // Microseconds, as both databases keep them: a time an answer gives is the time a later read gives back.
        return Clock.tick(Clock.systemUTC(), java.time.Duration.ofNanos(1_000));
    }

    @Bean
    Dialect dialect(DataSource dataSource) {
        return Dialect.of(dataSource);
    }
}
