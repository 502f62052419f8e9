package io.reach.journey;

import static org.assertj.core.api.Assertions.assertThat;

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
        assertThat(settings(16, -1).runningShare()).isBetween(1, 16);
    }

    private static JourneySettings settings(int concurrency, int runningConcurrency) {
        return new JourneySettings(true, 32, concurrency, runningConcurrency, Duration.ofSeconds(60), Duration.ofMillis(500), 50);
    }
}
