package io.reach.journey;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.messaging.Messages.Progress;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TimeoutEndTest {

    private static final Instant NOW = Instant.parse("2026-12-04T10:00:00Z");
    private static final Duration TEN_MINUTES = Duration.ofMinutes(10);

    @Test
    void aMessageThatWentOutAfterTheStepBeganHasItsTimeoutCountedFromThen() {
        Instant sent = NOW.minus(Duration.ofMinutes(4));

        assertThat(JourneyEngine.timeoutEnd(new Progress(sent, false), TEN_MINUTES, NOW)).isEqualTo(sent.plus(TEN_MINUTES));
    }

    @Test
    void aMessageThatWentOutATimeoutAgoOrMoreEndsItNow() {
        assertThat(JourneyEngine.timeoutEnd(new Progress(NOW.minus(TEN_MINUTES), false), TEN_MINUTES, NOW)).isNull();
        assertThat(JourneyEngine.timeoutEnd(new Progress(NOW.minus(Duration.ofHours(1)), false), TEN_MINUTES, NOW)).isNull();
    }

    @Test
    void aMessageWaitingItsTurnIsLookedAtAgainATimeoutLater() {
        assertThat(JourneyEngine.timeoutEnd(new Progress(null, true), TEN_MINUTES, NOW)).isEqualTo(NOW.plus(TEN_MINUTES));
    }

    @Test
    void aMessageThatNothingSendsOrThatAProviderRefusedEndsItNow() {
        assertThat(JourneyEngine.timeoutEnd(new Progress(null, false), TEN_MINUTES, NOW)).isNull();
    }
}
