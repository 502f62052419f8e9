package io.reach.messaging;

import io.reach.shared.Dialect;
import io.reach.shared.Times;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The senders' turns to send, in the database: every node books its turns from one line of time per sender
 * ({@code sender_turns}), so that several nodes sending from one number together keep its throughput.
 */
@Repository
class SenderTurns implements SenderRates.TurnBook {

    private final JdbcClient jdbc;
    private final Dialect dialect;
    private final TransactionTemplate transactions;

    SenderTurns(JdbcClient jdbc, Dialect dialect, TransactionTemplate transactions) {
        this.jdbc = jdbc;
        this.dialect = dialect;
        this.transactions = transactions;
    }

    @Override
    public SenderRates.Booking book(UUID senderId, int turns, Duration interval, Instant now, Duration horizon) {
        return transactions.execute(tx -> {
            Instant next = nextTurn(senderId);
            if (next == null) {
                dialect.insertUnlessDuplicate(jdbc, "INSERT INTO sender_turns (sender_id, next_turn_at) VALUES (?, ?)",
                        "sender_id", senderId, Times.utc(now));
                next = nextTurn(senderId);
            }
            SenderRates.Booking booking = SenderRates.Booking.of(next, now, interval, horizon);
            if (booking.first() != null) {
                jdbc.sql("UPDATE sender_turns SET next_turn_at = ? WHERE sender_id = ?")
                        .params(Times.utc(booking.first().plus(interval.multipliedBy(turns))), senderId).update();
            }
            return booking;
        });
    }

    /**
     * Tells every node that a provider took one of the sender's messages at {@code at}. A sender that never booked a
     * turn has no row, and sends nothing to tell of.
     */
    void handedOver(UUID senderId, Instant at) {
        jdbc.sql("UPDATE sender_turns SET handed_over_at = ? WHERE sender_id = ?"
                        + " AND (handed_over_at IS NULL OR handed_over_at < ?)")
                .params(Times.utc(at), senderId, Times.utc(at)).update();
    }

    private Instant nextTurn(UUID senderId) {
        return jdbc.sql("SELECT next_turn_at FROM sender_turns WHERE sender_id = ? FOR UPDATE").param(senderId)
                .query((rs, row) -> Times.instant(rs, "next_turn_at")).optional().orElse(null);
    }
}
