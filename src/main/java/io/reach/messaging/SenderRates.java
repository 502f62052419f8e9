package io.reach.messaging;

import io.reach.sender.Sender;
import io.reach.shared.PassingFailures;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Keeps each sender within its {@code throughputPerSecond}, across every node that sends from it: the WhatsApp and
 * Twilio dispatchers ask for a turn before each send, and an SMPP session before each part (at its sender's
 * {@code submitsPerSecond}). A sender's turns are spaced evenly on one line of time kept in
 * the database ({@link TurnBook}); a node books a twentieth of a second's turns at a time and hands them out to its
 * sends until that twentieth of a second is over, so that most sends cost the database nothing, and no second holds
 * more than one booking's turns over the limit. A turn that comes within {@link #LONGEST_WAIT} is waited for; a later
 * one is not booked, and the dispatcher puts its message back until then, so that one sender at its limit never holds
 * the dispatcher's sends that other senders' messages need.
 */
@Component
public class SenderRates {

    /** The longest a send waits for its sender's turn while it holds one of the dispatcher's sends. */
    static final Duration LONGEST_WAIT = Duration.ofSeconds(1);

    /** How much of a second's turns a node books at once. */
    static final int BOOKINGS_PER_SECOND = 20;

    /** Books a sender's turns on the line of time that every node shares. */
    @FunctionalInterface
    interface TurnBook {
        /**
         * Books {@code turns} turns {@code interval} apart, from the sender's next free turn or {@code now}, whichever
         * is later, unless that is more than {@code horizon} after {@code now}.
         */
        Booking book(UUID senderId, int turns, Duration interval, Instant now, Duration horizon);
    }

    /** Pauses a send until its turn. */
    @FunctionalInterface
    interface Waiting {
        void pause(Duration duration) throws InterruptedException;
    }

    /** Turns booked from {@code first} on, or none: the sender's next free turn is {@code busyFor} too far away. */
    record Booking(Instant first, Duration busyFor) {

        /**
         * The booking that a sender whose next free turn is {@code next} gives: its first turn then (or now, when
         * that has passed: turns not taken are not saved up), unless that is more than {@code horizon} away.
         */
        static Booking of(Instant next, Instant now, Duration interval, Duration horizon) {
            Instant first = next.isAfter(now) ? next : now;
            Duration away = Duration.between(now, first);
            if (away.compareTo(horizon) > 0) {
                // Due again when the turn is within reach: at least one turn later, so that no claim spins on it.
                Duration untilWithinReach = away.minus(horizon);
                return new Booking(null, untilWithinReach.compareTo(interval) < 0 ? interval : untilWithinReach);
            }
            return new Booking(first, null);
        }
    }

    /** The turns this node booked for a sender and has not taken yet. */
    private record Booked(int perSecond, Instant first, int turns, int taken) {

        /**
         * The next of them, or null when they are used up, of another rate, or past: a turn whose time has gone is
         * still taken while the booking lasts (no other node has a turn before its end), and no later.
         */
        Instant next(int rate, Instant now, Duration interval) {
            if (rate != perSecond || taken >= turns || !now.isBefore(first.plus(interval.multipliedBy(turns)))) {
                return null;
            }
            return first.plus(interval.multipliedBy(taken));
        }

        Booked afterTakingOne() {
            return new Booked(perSecond, first, turns, taken + 1);
        }
    }

    /** A sender's turns on this node: a lock, not a monitor, since booking reads the database. */
    private static final class Line {
        final ReentrantLock lock = new ReentrantLock();
        Booked booked;
    }

    private static final Logger log = LoggerFactory.getLogger(SenderRates.class);
    /** When a message whose turn could not be booked (the database failed) is due again. */
    private static final Duration AFTER_A_FAILED_BOOKING = Duration.ofSeconds(1);

    private final Map<UUID, Line> lines = new ConcurrentHashMap<>();
    // Messages#putBack, as a function: the rates are tested without a database.
    private final BiConsumer<UUID, Duration> putBack;
    private final TurnBook book;
    private final Clock clock;
    private final Waiting waiting;

    @Autowired
    SenderRates(Messages messages, SenderTurns turns, Clock clock) {
        this(messages::putBack, turns, clock, Thread::sleep);
    }

    SenderRates(BiConsumer<UUID, Duration> putBack, TurnBook book, Clock clock, Waiting waiting) {
        this.putBack = putBack;
        this.book = book;
        this.clock = clock;
        this.waiting = waiting;
    }

    /**
     * Whether a claimed message may be sent now, within its sender's throughput (having waited up to
     * {@link #LONGEST_WAIT} for its turn); when not, it has been {@link Messages#putBack put back} until the sender
     * has room, or for a second when the database failed to book the turn.
     */
    public boolean sendsNow(Messages.Outbound message, Sender sender) {
        Optional<Duration> busy;
        try {
            busy = takeTurn(sender);
        } catch (RuntimeException e) {
            if (!PassingFailures.isPassing(e)) {
                throw e;
            }
            // Booking the turn failed on the database (a restart, a failover): nothing went out, so the message is
            // put back untried, not left to its lease (a minute). Should that fail too, the lease it is.
            log.warn("Could not book a turn of sender {} for message {} ({}); put back untried",
                    sender.name(), message.id(), PassingFailures.cause(e));
            putBack.accept(message.id(), AFTER_A_FAILED_BOOKING);
            return false;
        }
        busy.ifPresent(wait -> putBack.accept(message.id(), wait));
        return busy.isEmpty();
    }

    /**
     * Takes the sender's next turn, waiting for it when it comes within {@link #LONGEST_WAIT}: empty then, and the
     * caller sends. Otherwise nothing is taken and the answer is how long until the sender has room again.
     */
    Optional<Duration> takeTurn(Sender sender) {
        return takeTurn(sender.id(), sender.throughputPerSecond());
    }

    /**
     * Waits for the sender's next turn at {@code rate} a second, however far away it is: for what must go in order
     * once begun, as the parts of a long SMS over an SMPP session.
     */
    public void awaitTurn(UUID senderId, int rate) throws InterruptedException {
        while (true) {
            Optional<Duration> busy = takeTurn(senderId, rate);
            if (busy.isEmpty()) {
                return;
            }
            if (Thread.interrupted()) {
                throw new InterruptedException("stopped while waiting for a turn to send");
            }
            waiting.pause(busy.get());
        }
    }

    private Optional<Duration> takeTurn(UUID senderId, int rate) {
        int perSecond = Math.max(1, rate);
        Duration interval = Duration.ofNanos(1_000_000_000L / perSecond);
        Line line = lines.computeIfAbsent(senderId, id -> new Line());
        Instant now;
        Instant turn;
        // One booking at a time per sender on this node; the turns it books are handed out in order.
        line.lock.lock();
        try {
            now = clock.instant();
            turn = line.booked == null ? null : line.booked.next(perSecond, now, interval);
            if (turn != null) {
                line.booked = line.booked.afterTakingOne();
            } else {
                int turns = Math.max(1, perSecond / BOOKINGS_PER_SECOND);
                Booking booking = book.book(senderId, turns, interval, now, LONGEST_WAIT);
                if (booking.first() == null) {
                    line.booked = null;
                    return Optional.of(booking.busyFor());
                }
                turn = booking.first();
                line.booked = new Booked(perSecond, turn, turns, 1);
            }
        } finally {
            line.lock.unlock();
        }
        Duration wait = Duration.between(now, turn);
        if (wait.isPositive()) {
            try {
                waiting.pause(wait);
            } catch (InterruptedException e) {
                // Stopping: the message goes back as it came, for this node's next start or another node; its turn
                // is not given back.
                Thread.currentThread().interrupt();
                return Optional.of(Duration.ZERO);
            }
        }
        return Optional.empty();
    }
}
