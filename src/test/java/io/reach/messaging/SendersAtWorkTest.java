package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.support.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SendersAtWorkTest {

    private static final Duration MINUTE = Duration.ofMinutes(1);

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-04T10:00:00Z"));
    private final SendersAtWork senders = new SendersAtWork(clock);
    private final UUID sender = UUID.randomUUID();

    @Test
    void aSenderThatHandedAMessageOverWithinTheLastMinuteIsSendingAndOneThatStoppedIsNot() {
        clock.advance(Duration.ofMinutes(5));
        senders.handedOver(sender);
        clock.advance(Duration.ofSeconds(59));

        assertThat(senders.handedOverWithin(sender, MINUTE)).isTrue();
        clock.advance(Duration.ofSeconds(2));
        assertThat(senders.handedOverWithin(sender, MINUTE)).isFalse();
    }

    @Test
    void aSenderNotSeenSinceTheNodeStartedCountsAsSendingOnlyUntilTheDispatchersHadAMinute() {
        assertThat(senders.handedOverWithin(sender, MINUTE)).isTrue();
        clock.advance(Duration.ofSeconds(61));

        assertThat(senders.handedOverWithin(sender, MINUTE)).isFalse();
        assertThat(senders.handedOverWithin(UUID.randomUUID(), MINUTE)).isFalse();
    }
}
