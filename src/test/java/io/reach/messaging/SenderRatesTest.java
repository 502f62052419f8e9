package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.bucket4j.BlockingStrategy;
import io.github.bucket4j.TimeMeter;
import io.reach.sender.Sender;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SenderRatesTest {

    private static final UUID SENDER = UUID.randomUUID();

    /** Time that moves only when a send waits for its turn (waiting moves it) or when the test moves it. */
    private final AtomicLong nanos = new AtomicLong();
    private final List<Duration> waits = new ArrayList<>();
    private final TimeMeter time = new TimeMeter() {
        @Override
        public long currentTimeNanos() {
            return nanos.get();
        }

        @Override
        public boolean isWallClockBased() {
            return false;
        }
    };

    @Test
    void aSendersSendsGoAtItsThroughputAndNoFaster() {
        SenderRates rates = new SenderRates((messageId, delay) -> { }, time, waitingMovesTime());

        for (int i = 0; i < 10; i++) {
            assertThat(rates.takeTurn(sender(SENDER, 2))).isEmpty();
        }

        // Two at once (a second's worth), then one every half second.
        assertThat(waits).hasSize(8).allMatch(wait -> wait.equals(Duration.ofMillis(500)));
        assertThat(Duration.ofNanos(nanos.get())).isEqualTo(Duration.ofSeconds(4));
    }

    @Test
    void aTurnMoreThanASecondAwayIsNotTakenAndSaysWhenTheSenderHasRoom() {
        // Sends side by side: each waits for its own turn, and time does not move meanwhile.
        SenderRates rates = new SenderRates((messageId, delay) -> { }, time, nanosToWait -> waits.add(Duration.ofNanos(nanosToWait)));
        Sender oneASecond = sender(SENDER, 1);

        assertThat(rates.takeTurn(oneASecond)).isEmpty();
        assertThat(rates.takeTurn(oneASecond)).isEmpty();
        Optional<Duration> third = rates.takeTurn(oneASecond);

        assertThat(waits).containsExactly(Duration.ofSeconds(1));
        assertThat(third).contains(Duration.ofSeconds(2));
        nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(rates.takeTurn(oneASecond)).isEmpty();
        assertThat(waits).containsExactly(Duration.ofSeconds(1));
    }

    @Test
    void sendersHaveTheirOwnRatesAndAChangedRateTakesEffect() {
        SenderRates rates = new SenderRates((messageId, delay) -> { }, time, nanosToWait -> waits.add(Duration.ofNanos(nanosToWait)));
        UUID other = UUID.randomUUID();

        assertThat(rates.takeTurn(sender(SENDER, 1))).isEmpty();
        assertThat(rates.takeTurn(sender(other, 1))).isEmpty();
        assertThat(waits).isEmpty();
        assertThat(rates.takeTurn(sender(SENDER, 5))).isEmpty();
        assertThat(waits).isEmpty();
    }

    @Test
    void putsBackAMessageWhoseTurnIsTooFarAway() {
        List<String> putBack = new ArrayList<>();
        SenderRates rates = new SenderRates((messageId, delay) -> putBack.add(messageId + " " + delay), time, nanosToWait -> waits.add(Duration.ofNanos(nanosToWait)));
        Sender oneASecond = sender(SENDER, 1);
        Messages.Outbound first = outbound();
        Messages.Outbound third = outbound();

        assertThat(rates.sendsNow(first, oneASecond)).isTrue();
        assertThat(rates.sendsNow(outbound(), oneASecond)).isTrue();
        assertThat(rates.sendsNow(third, oneASecond)).isFalse();

        assertThat(putBack).containsExactly(third.id() + " PT2S");
    }

    private BlockingStrategy waitingMovesTime() {
        return nanosToWait -> {
            waits.add(Duration.ofNanos(nanosToWait));
            nanos.addAndGet(nanosToWait);
        };
    }

    private static Messages.Outbound outbound() {
        return new Messages.Outbound(UUID.randomUUID(), SENDER, UUID.randomUUID(), "+31612345678", "{}", 1);
    }

    private static Sender sender(UUID id, int perSecond) {
        Instant now = Instant.parse("2026-12-04T08:00:00Z");
        return new Sender(id, "s", Sender.WHATSAPP, Sender.META, null, null, null, null, null, null, Map.of(), perSecond,
                null, false, null, null, null, null, now, now);
    }
}
