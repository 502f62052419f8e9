package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.sender.Sender;
import io.reach.support.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataIntegrityViolationException;

class SenderRatesTest {

    private static final UUID SENDER = UUID.randomUUID();
    private static final Instant START = Instant.parse("2026-12-04T08:00:00Z");

    private final MutableClock clock = new MutableClock(START);
    private final List<Duration> waits = new ArrayList<>();
    /** The line of time every node books from, as sender_turns keeps it. */
    private final Map<UUID, Instant> line = new HashMap<>();
    private final List<Integer> bookings = new ArrayList<>();
    private final SenderRates.TurnBook book = (senderId, turns, interval, now, horizon) -> {
        SenderRates.Booking booking = SenderRates.Booking.of(line.getOrDefault(senderId, now), now, interval, horizon);
        if (booking.first() != null) {
            line.put(senderId, booking.first().plus(interval.multipliedBy(turns)));
            bookings.add(turns);
        }
        return booking;
    };

    @Test
    void aSendersTurnsAreSpacedEvenlyAtItsThroughput() {
        SenderRates rates = rates(waitingMovesTime());

        for (int i = 0; i < 5; i++) {
            assertThat(rates.takeTurn(sender(SENDER, 2))).isEmpty();
        }

        // The first at once, then one every half second: no second ever holds more than two.
        assertThat(waits).hasSize(4).allMatch(wait -> wait.equals(Duration.ofMillis(500)));
        assertThat(clock.instant()).isEqualTo(START.plusSeconds(2));
    }

    @Test
    void aNodeBooksATwentiethOfASecondsTurnsAtOnce() {
        SenderRates rates = rates(waitingMovesTime());

        for (int i = 0; i < 10; i++) {
            assertThat(rates.takeTurn(sender(SENDER, 100))).isEmpty();
        }

        assertThat(bookings).containsExactly(5, 5);
        assertThat(waits).hasSize(9).allMatch(wait -> wait.equals(Duration.ofMillis(10)));
    }

    @Test
    void nodesTakeTheirTurnsFromOneLineSoThatTogetherTheyKeepTheSendersThroughput() {
        SenderRates one = rates(waitingLeavesTime());
        SenderRates other = rates(waitingLeavesTime());
        Sender oneASecond = sender(SENDER, 1);

        assertThat(one.takeTurn(oneASecond)).isEmpty();
        assertThat(other.takeTurn(oneASecond)).isEmpty();
        assertThat(waits).as("the other node's turn comes a second after the first's").containsExactly(Duration.ofSeconds(1));
        assertThat(one.takeTurn(oneASecond)).as("the next turn is two seconds away").contains(Duration.ofSeconds(1));
        assertThat(other.takeTurn(oneASecond)).contains(Duration.ofSeconds(1));
        assertThat(line.get(SENDER)).as("nothing booked for the sends put back").isEqualTo(START.plusSeconds(2));
    }

    @Test
    void aTurnMoreThanASecondAwayIsNotBookedAndSaysWhenItIsWithinReach() {
        SenderRates rates = rates(waitingLeavesTime());
        Sender oneASecond = sender(SENDER, 1);

        assertThat(rates.takeTurn(oneASecond)).isEmpty();
        assertThat(rates.takeTurn(oneASecond)).isEmpty();
        Optional<Duration> third = rates.takeTurn(oneASecond);

        assertThat(waits).containsExactly(Duration.ofSeconds(1));
        assertThat(third).contains(Duration.ofSeconds(1));
        clock.advance(Duration.ofSeconds(1));
        assertThat(rates.takeTurn(oneASecond)).isEmpty();
        assertThat(waits).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(1));
    }

    @Test
    void turnsNotTakenInTheirTimeAreNotSavedUpForABurst() {
        SenderRates rates = rates(waitingLeavesTime());
        Sender hundredASecond = sender(SENDER, 100);

        assertThat(rates.takeTurn(hundredASecond)).isEmpty();
        clock.advance(Duration.ofMillis(20));
        assertThat(rates.takeTurn(hundredASecond)).as("still within its booking: its turn has come").isEmpty();
        clock.advance(Duration.ofSeconds(1));
        assertThat(rates.takeTurn(hundredASecond)).isEmpty();

        assertThat(bookings).as("the first booking's three other turns lapsed with its time").containsExactly(5, 5);
        assertThat(line.get(SENDER)).isEqualTo(START.plusMillis(1020).plusMillis(50));
        assertThat(waits).isEmpty();
    }

    @Test
    void sendersHaveTheirOwnTurnsAndAChangedRateBooksAnew() {
        SenderRates rates = rates(waitingLeavesTime());
        UUID other = UUID.randomUUID();

        assertThat(rates.takeTurn(sender(SENDER, 1))).isEmpty();
        assertThat(rates.takeTurn(sender(other, 1))).isEmpty();
        assertThat(waits).isEmpty();
        assertThat(rates.takeTurn(sender(SENDER, 5))).isEmpty();
        assertThat(waits).as("the line is where the old rate left it").containsExactly(Duration.ofSeconds(1));
        assertThat(bookings).hasSize(3);
    }

    @Test
    void anSmppPartWaitsForItsTurnHoweverFarAwayOtherNodesBookedIt() throws InterruptedException {
        SenderRates rates = rates(waitingMovesTime());
        line.put(SENDER, START.plusSeconds(3));

        rates.awaitTurn(SENDER, 1);

        // Two seconds until the turn is within reach, then one for the turn itself.
        assertThat(waits).containsExactly(Duration.ofSeconds(2), Duration.ofSeconds(1));
        assertThat(clock.instant()).isEqualTo(START.plusSeconds(3));
        assertThat(line.get(SENDER)).isEqualTo(START.plusSeconds(4));
    }

    @Test
    void putsBackAMessageWhoseTurnIsTooFarAway() {
        List<String> putBack = new ArrayList<>();
        SenderRates rates = new SenderRates((messageId, delay) -> putBack.add(messageId + " " + delay), book, clock,
                waitingLeavesTime());
        Sender oneASecond = sender(SENDER, 1);
        Messages.Outbound third = outbound();

        assertThat(rates.sendsNow(outbound(), oneASecond)).isTrue();
        assertThat(rates.sendsNow(outbound(), oneASecond)).isTrue();
        assertThat(rates.sendsNow(third, oneASecond)).isFalse();

        assertThat(putBack).containsExactly(third.id() + " PT1S");
    }

    @Test
    void putsBackUntriedAMessageWhoseTurnTheDatabaseFailedToBook() {
        List<String> putBack = new ArrayList<>();
        SenderRates.TurnBook dropped = (senderId, turns, interval, now, horizon) -> {
            throw new DataAccessResourceFailureException("An I/O error occurred while sending to the backend");
        };
        SenderRates rates = new SenderRates((messageId, delay) -> putBack.add(messageId + " " + delay), dropped, clock,
                waitingLeavesTime());
        Messages.Outbound message = outbound();

        assertThat(rates.sendsNow(message, sender(SENDER, 1))).isFalse();

        // Due again in a second, not once its lease of a minute is over.
        assertThat(putBack).containsExactly(message.id() + " PT1S");
    }

    @Test
    void letsAFailureOfTheBookingThatDoesNotPassThrough() {
        SenderRates.TurnBook refused = (senderId, turns, interval, now, horizon) -> {
            throw new DataIntegrityViolationException("no such sender");
        };
        SenderRates rates = new SenderRates((messageId, delay) -> { }, refused, clock, waitingLeavesTime());

        Assertions.assertThatThrownBy(() -> rates.sendsNow(outbound(), sender(SENDER, 1)))
                .isInstanceOf(DataIntegrityViolationException.class);
    }

    private SenderRates rates(SenderRates.Waiting waiting) {
        return new SenderRates((messageId, delay) -> { }, book, clock, waiting);
    }

    /** One send after the other: each waits for its turn, and time moves meanwhile. */
    private SenderRates.Waiting waitingMovesTime() {
        return duration -> {
            waits.add(duration);
            clock.advance(duration);
        };
    }

    /** Sends side by side: each waits for its own turn, and time does not move meanwhile. */
    private SenderRates.Waiting waitingLeavesTime() {
        return waits::add;
    }

    private static Messages.Outbound outbound() {
        return new Messages.Outbound(UUID.randomUUID(), SENDER, UUID.randomUUID(), "+31612345678", "{}", 1);
    }

    private static Sender sender(UUID id, int perSecond) {
        return new Sender(id, "s", Sender.WHATSAPP, Sender.META, null, null, null, null, null, null, Map.of(), perSecond,
                null, false, null, null, null, null, START, START);
    }
}
