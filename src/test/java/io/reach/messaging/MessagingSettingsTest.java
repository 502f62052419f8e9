package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessagingSettingsTest {

    @Test
    void refusesARequestTimeoutWhoseThreeTriesWouldOutlastTheLease() {
        assertThatThrownBy(() -> settings(Duration.ofSeconds(60), Duration.ofSeconds(20)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reach.messaging.request-timeout (PT20S)")
                .hasMessageContaining("reach.messaging.lease (PT1M)");
    }

    @Test
    void takesARequestTimeoutWhoseThreeTriesEndWithinTheLease() {
        assertThat(settings(Duration.ofSeconds(60), Duration.ofSeconds(15)).requestTimeout()).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void spacesTheStatusChecksAsTheirTimesAfterTheSendSayAndStopsAfterTheLast() {
        MessagingSettings settings = settings(List.of(Duration.ofMinutes(2), Duration.ofMinutes(10), Duration.ofHours(1)));
        Instant now = Instant.parse("2026-12-04T00:00:00Z");

        assertThat(settings.nextStatusCheck(0, now)).contains(now.plus(Duration.ofMinutes(8)));
        assertThat(settings.nextStatusCheck(1, now)).contains(now.plus(Duration.ofMinutes(50)));
        assertThat(settings.nextStatusCheck(2, now)).isEmpty();
        assertThat(settings(List.of()).nextStatusCheck(0, now)).isEmpty();
    }

    @Test
    void refusesStatusChecksThatDoNotComeOneAfterTheOther() {
        assertThatThrownBy(() -> settings(List.of(Duration.ofMinutes(10), Duration.ofMinutes(2))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reach.messaging.status-checks");
        assertThatThrownBy(() -> settings(List.of(Duration.ZERO)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reach.messaging.status-checks");
    }

    @Test
    void waitsAtLeastAMinuteBeforeSendingAgainWhatTheProviderMayHaveTakenWhenItsAnswerWasLost() {
        MessagingSettings settings = settings(List.of());
        assertThat(settings.retryDelay(1, true)).isEqualTo(Duration.ofSeconds(60));
        assertThat(settings.retryDelay(1, false)).isEqualTo(Duration.ofSeconds(1));
        assertThat(settings.retryDelay(9, true)).as("the backoff, once longer").isEqualTo(Duration.ofMinutes(4).plusSeconds(16));
    }

    @Test
    void refusesSettingsOutOfRangeNamingThem() {
        assertThatThrownBy(() -> new MessagingSettings(Duration.ofMillis(500), Duration.ofSeconds(60), 0, 8, Duration.ofSeconds(1),
                Duration.ofMinutes(5), Duration.ofSeconds(5), Duration.ofSeconds(15), List.of(), Duration.ofSeconds(60),
                Duration.ofDays(30))).hasMessage("reach.messaging.batch-size must be 1 or more, not 0");
        assertThatThrownBy(() -> new MessagingSettings(Duration.ofMillis(500), Duration.ofSeconds(60), 50, 8, Duration.ofSeconds(1),
                Duration.ofMinutes(5), Duration.ofSeconds(5), Duration.ofSeconds(15), List.of(), Duration.ofSeconds(60),
                Duration.ZERO)).hasMessageStartingWith("reach.messaging.keep-processed-callbacks must be a time above zero");
    }

    private static MessagingSettings settings(Duration lease, Duration requestTimeout) {
        return new MessagingSettings(Duration.ofMillis(500), lease, 50, 8, Duration.ofSeconds(1), Duration.ofMinutes(5),
                Duration.ofSeconds(5), requestTimeout, List.of(Duration.ofMinutes(2)), Duration.ofSeconds(60),
                Duration.ofDays(30));
    }

    private static MessagingSettings settings(List<Duration> statusChecks) {
        return new MessagingSettings(Duration.ofMillis(500), Duration.ofSeconds(60), 50, 8, Duration.ofSeconds(1),
                Duration.ofMinutes(5), Duration.ofSeconds(5), Duration.ofSeconds(15), statusChecks, Duration.ofSeconds(60),
                Duration.ofDays(30));
    }
}
