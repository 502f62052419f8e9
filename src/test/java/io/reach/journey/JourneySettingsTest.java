package io.reach.journey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class JourneySettingsTest {

    @Test
    void runningJourneysLeaveOneCoreToWokenJourneysUnlessSet() {
        int cores = Runtime.getRuntime().availableProcessors();

        assertThat(settings(64, 0).runningShare()).isEqualTo(Math.max(1, cores - 1));
        assertThat(settings(64, 3).runningShare()).isEqualTo(3);
    }

    @Test
    void runningJourneysNeverTakeMoreThanTheEnginesThreadsNorFewerThanOne() {
        assertThat(settings(2, 8).runningShare()).isEqualTo(2);
        assertThat(settings(1, 0).runningShare()).isEqualTo(1);
    }

    @Test
    void refusesSettingsOutOfRangeNamingThem() {
        // A concurrency of 0 started a node that advanced no journey, and failed as it stopped.
        assertThatThrownBy(() -> settings(0, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("reach.journeys.concurrency must be 1 or more, not 0");
        assertThatThrownBy(() -> settings(16, -1)).hasMessage("reach.journeys.running-concurrency must be 0 or more, not -1");
        assertThatThrownBy(() -> new JourneySettings(true, 32, 16, 0, Duration.ofSeconds(60), Duration.ZERO, 50))
                .hasMessage("reach.journeys.poll-interval must be a time above zero (such as 500ms, 10s, 5m), not PT0S");
        assertThatThrownBy(() -> new JourneySettings(true, 0, 16, 0, Duration.ofSeconds(60), Duration.ofMillis(500), 50))
                .hasMessageStartingWith("reach.journeys.batch-size");
    }

    private static JourneySettings settings(int concurrency, int runningConcurrency) {
        return new JourneySettings(true, 32, concurrency, runningConcurrency, Duration.ofSeconds(60), Duration.ofMillis(500), 50);
    }
}
