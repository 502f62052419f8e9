package io.reach.messaging;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * When this node last handed a message of each sender to its provider: whether a sender's queue is moving. A message
 * still queued behind others of a moving sender waits its turn; one whose sender hands nothing over waits for a
 * provider out of reach, a limit, or a session that is down. Kept in memory, by each node for its own dispatchers (all
 * of which take from the shared queue), so that a send costs nothing more.
 */
@Component
public class SendersAtWork {

    private final Map<UUID, Instant> lastHandedOver = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Instant startedAt;

    SendersAtWork(Clock clock) {
        this.clock = clock;
        this.startedAt = clock.instant();
    }

    /** A provider took a message of this sender just now. */
    public void handedOver(UUID senderId) {
        lastHandedOver.put(senderId, clock.instant());
    }

    /**
     * Whether this node handed a message of the sender to its provider within {@code within} before now. A node that
     * started less than {@code within} ago cannot tell yet of a sender it has not sent for: it counts as sending, so
     * that the timeouts that came due while Reach was stopped (a restart in the middle of a broadcast) are looked at
     * again once the dispatchers had their chance, instead of giving up at once on messages about to go out.
     */
    public boolean handedOverWithin(UUID senderId, Duration within) {
        Instant now = clock.instant();
        Instant last = lastHandedOver.get(senderId);
        if (last == null) {
            return now.isBefore(startedAt.plus(within));
        }
        return !last.isBefore(now.minus(within));
    }
}
