package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
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

    private static MessagingSettings settings(Duration lease, Duration requestTimeout) {
        return new MessagingSettings(Duration.ofMillis(500), lease, 50, 8, Duration.ofSeconds(1), Duration.ofMinutes(5),
                Duration.ofSeconds(5), requestTimeout);
    }
}
