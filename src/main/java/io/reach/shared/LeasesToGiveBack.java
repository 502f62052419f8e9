package io.reach.shared;

import java.time.Clock;
import java.time.Instant;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Leases a node took and will not use (a claim whose commit failed, a turn a passing failure cut short), kept to be
 * given back once the database answers again, so that their work is claimed again at once rather than when they end.
 */
public final class LeasesToGiveBack<T> {

    private final Queue<T> queue = new ConcurrentLinkedQueue<>();
    private final Clock clock;
    private final Function<T, Instant> leaseEnds;
    private final Consumer<T> release;

    /** {@code release} gives back one of them, with a statement that leaves it as it is if it moved on meanwhile. */
    public LeasesToGiveBack(Clock clock, Function<T, Instant> leaseEnds, Consumer<T> release) {
        this.clock = clock;
        this.leaseEnds = leaseEnds;
        this.release = release;
    }

    public void add(T lease) {
        queue.add(lease);
    }

    /**
     * Gives back, oldest first, those whose leases have not ended; while the database still fails, the rest wait for
     * the next call (or for their leases to end, leaving nothing to give back). Never throws; safe to call from
     * several threads at once.
     */
    public void giveBack() {
        if (queue.isEmpty()) {
            return; // the usual case, at every claim
        }
        Instant now = clock.instant();
        T next;
        while ((next = queue.peek()) != null) {
            if (leaseEnds.apply(next).isAfter(now)) {
                try {
                    release.accept(next);
                } catch (RuntimeException stillFailing) {
                    return;
                }
            }
            // Not poll(): another thread giving back at the same time may have removed this one, and the next one
            // is not given back yet.
            queue.remove(next);
        }
    }
}
