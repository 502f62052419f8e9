package io.reach.support;

import java.time.Instant;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

/**
 * Gives an integration test's Reach a {@link MutableClock} that stands at {@link #START} until the test moves it:
 * {@code @Import} it. As with {@link OffsetClockConfiguration}, a test that imports this needs properties of its own.
 */
@TestConfiguration
public class MutableClockConfiguration {

    /** Where the clock stands when the test's Reach starts. */
    public static final Instant START = Instant.parse("2026-03-02T09:00:00Z");

    @Bean
    @Primary
    MutableClock mutableClock() {
        return new MutableClock(START);
    }
}
