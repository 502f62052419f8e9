package io.reach.messaging.whatsapp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reach.messaging.MessageError;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class WhatsAppSettingsTest {

    private final WhatsAppSettings settings = new WhatsAppSettings(Duration.ofSeconds(5), Duration.ofSeconds(15), true,
            100, 32, 8, Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofMillis(500),
            WhatsAppSettings.OverMessagingLimit.BLOCK, Duration.ofSeconds(60));

    @Test
    void backoffDoublesPerAttemptUpToTheMaximum() {
        assertThat(settings.backoff(1, null)).isEqualTo(Duration.ofSeconds(1));
        assertThat(settings.backoff(2, null)).isEqualTo(Duration.ofSeconds(2));
        assertThat(settings.backoff(5, null)).isEqualTo(Duration.ofSeconds(16));
        assertThat(settings.backoff(6, null)).isEqualTo(Duration.ofSeconds(30));
        assertThat(settings.backoff(60, null)).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void honoursALongerRetryAfter() {
        assertThat(settings.backoff(1, Duration.ofSeconds(10))).isEqualTo(Duration.ofSeconds(10));
        assertThat(settings.backoff(3, Duration.ofSeconds(1))).isEqualTo(Duration.ofSeconds(4));
    }

    @Test
    void waitsAtLeastAMinuteBeforeSendingAgainWhatMetaMayHaveTakenWhenItsAnswerWasLost() {
        MessageError timeout = new MessageError(0, "Timed out", null);
        assertThat(settings.retryDelay(1, new SendOutcome.Retry(timeout, null, true))).isEqualTo(Duration.ofSeconds(60));
        assertThat(settings.retryDelay(1, new SendOutcome.Retry(timeout, null, false))).isEqualTo(Duration.ofSeconds(1));
        assertThat(settings.retryDelay(1, new SendOutcome.Retry(timeout, Duration.ofMinutes(2), true))).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void refusesARequestTimeoutThatOutlastsTheLease() {
        assertThatThrownBy(() -> new WhatsAppSettings(Duration.ofSeconds(5), Duration.ofSeconds(60), true, 100, 32, 8,
                Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofMillis(500),
            WhatsAppSettings.OverMessagingLimit.BLOCK, Duration.ofSeconds(60)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reach.whatsapp.request-timeout (PT1M) must be under reach.whatsapp.lease (PT1M)");
    }

    @Test
    void refusesSettingsOutOfRangeNamingThem() {
        assertThatThrownBy(() -> new WhatsAppSettings(Duration.ofSeconds(5), Duration.ofSeconds(15), true, 100, 0, 8,
                Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofMillis(500),
                WhatsAppSettings.OverMessagingLimit.BLOCK, Duration.ofSeconds(60)))
                .hasMessage("reach.whatsapp.concurrency must be 1 or more, not 0");
        assertThatThrownBy(() -> new WhatsAppSettings(Duration.ofSeconds(5), Duration.ofSeconds(15), true, 100, 32, 8,
                Duration.ofSeconds(-1), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofMillis(500),
                WhatsAppSettings.OverMessagingLimit.BLOCK, Duration.ofSeconds(60)))
                .hasMessage("reach.whatsapp.initial-backoff must be a time of zero or more, not PT-1S");
    }
}
