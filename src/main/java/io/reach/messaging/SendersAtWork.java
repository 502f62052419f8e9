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

    SendersAtWork(Clock clock) {
        this.clock = clock;
    }

    /** A provider took a message of this sender just now. */
    public void handedOver(UUID senderId) {
        lastHandedOver.put(senderId, clock.instant());
    }

    /** Whether this node handed a message of the sender to its provider within {@code within} before now. */
    public boolean handedOverWithin(UUID senderId, Duration within) {
        Instant last = lastHandedOver.get(senderId);
        return last != null && !last.isBefore(clock.instant().minus(within));
    }
}
