package io.reach.support;

import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

/**
 * Gives an integration test's Reach an {@link OffsetClock} that the test moves: {@code @Import} it. Two test classes
 * with the same configuration share one Spring context, which the test framework stops and starts again between
 * them, and the sandbox network cannot start again once stopped (its timers are shut down, its ports re-bound): a
 * test that imports this needs properties of its own.
 */
@TestConfiguration
public class OffsetClockConfiguration {

    @Bean
    @Primary
    OffsetClock offsetClock() {
        return new OffsetClock();
    }
}
