package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.support.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SendersAtWorkTest {

    private static final Duration MINUTE = Duration.ofMinutes(1);

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-04T10:00:00Z"));
    private final List<Instant> told = new ArrayList<>();
    private final SendersAtWork senders = new SendersAtWork(clock, (sender, at) -> told.add(at));
    private final UUID sender = UUID.randomUUID();

    @Test
    void aSenderThatHandedAMessageOverWithinTheLastMinuteIsSendingAndOneThatStoppedIsNot() {
        clock.advance(Duration.ofMinutes(5));
        senders.handedOver(sender);
        clock.advance(Duration.ofSeconds(59));

        assertThat(senders.handedOverWithin(sender, null, MINUTE)).isTrue();
        clock.advance(Duration.ofSeconds(2));
        assertThat(senders.handedOverWithin(sender, null, MINUTE)).isFalse();
    }

    @Test
    void aSenderNotSeenSinceTheNodeStartedCountsAsSendingOnlyUntilTheDispatchersHadAMinute() {
        assertThat(senders.handedOverWithin(sender, null, MINUTE)).isTrue();
        clock.advance(Duration.ofSeconds(61));

        assertThat(senders.handedOverWithin(sender, null, MINUTE)).isFalse();
        assertThat(senders.handedOverWithin(UUID.randomUUID(), null, MINUTE)).isFalse();
    }

    @Test
    void aSenderThatAnotherNodeToldOfWithinTheLastMinuteIsSendingOnANodeThatSendsNothingItself() {
        clock.advance(Duration.ofMinutes(5));
        Instant toldByAnotherNode = clock.instant().minusSeconds(59);

        assertThat(senders.handedOverWithin(sender, toldByAnotherNode, MINUTE)).isTrue();
        assertThat(senders.handedOverWithin(sender, toldByAnotherNode.minusSeconds(2), MINUTE)).isFalse();
    }

    @Test
    void aNodeTellsTheOthersOfItsHandOversAtMostEveryTenSecondsPerSender() {
        senders.handedOver(sender);
        clock.advance(Duration.ofSeconds(9));
        senders.handedOver(sender);
        clock.advance(Duration.ofSeconds(1));
        senders.handedOver(sender);
        senders.handedOver(UUID.randomUUID());

        Instant start = Instant.parse("2026-12-04T10:00:00Z");
        assertThat(told).containsExactly(start, start.plusSeconds(10), start.plusSeconds(10));
    }

    @Test
    void aHandOverTheOtherNodesCouldNotBeToldOfStillCountsOnThisNode() {
        SendersAtWork unreachable = new SendersAtWork(clock, (s, at) -> {
            throw new IllegalStateException("database down");
        });
        clock.advance(Duration.ofMinutes(5));
        unreachable.handedOver(sender);

        assertThat(unreachable.handedOverWithin(sender, null, MINUTE)).isTrue();
    }
}
