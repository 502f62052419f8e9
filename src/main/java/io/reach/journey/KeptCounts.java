package io.reach.journey;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Keeps a version's counts for a while when counting them was expensive: a heatmap that many viewers poll over a
 * million journeys then costs one count per period, at most a fifth of a core, however many poll it. Counts of a small
 * version, or that were cheap, are counted afresh at every call: one slow moment of a small flow's count (a pause of
 * the machine) must not make its next reads stale.
 */
final class KeptCounts {

    /** Counts that took less are not kept. */
    static final long WORTH_KEEPING_NANOS = 100_000_000L;
    /** Counts of fewer journeys are not kept. */
    static final long WORTH_KEEPING_JOURNEYS = 10_000L;
    /** Counts are kept for this many times what they took to count. */
    static final int KEPT_FOR_TIMES_THE_COST = 4;

    private record Kept(FlowCounts counts, long untilNanos) {}

    private final Map<UUID, Kept> kept = new ConcurrentHashMap<>();
    private final Map<UUID, ReentrantLock> counting = new ConcurrentHashMap<>();
    private final LongSupplier nanoTime;

    KeptCounts(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    FlowCounts get(UUID versionId, Supplier<FlowCounts> count) {
        Kept found = kept.get(versionId);
        if (found != null && nanoTime.getAsLong() < found.untilNanos()) {
            return found.counts();
        }
        // Callers that find the counts out of date at once wait for one count, not one count each.
        ReentrantLock lock = counting.computeIfAbsent(versionId, id -> new ReentrantLock());
        lock.lock();
        try {
            found = kept.get(versionId);
            long started = nanoTime.getAsLong();
            if (found != null && started < found.untilNanos()) {
                return found.counts();
            }
            FlowCounts counted = count.get();
            long ended = nanoTime.getAsLong();
            long cost = ended - started;
            long journeys = counted.running() + counted.waiting() + counted.ended() + counted.failed() + counted.cancelled();
            if (cost >= WORTH_KEEPING_NANOS && journeys >= WORTH_KEEPING_JOURNEYS) {
                kept.put(versionId, new Kept(counted, ended + KEPT_FOR_TIMES_THE_COST * cost));
            } else {
                kept.remove(versionId);
            }
            return counted;
        } finally {
            lock.unlock();
        }
    }
}
