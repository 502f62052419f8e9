package io.reach.messaging;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * When a provider last took a message of each sender: whether a sender's queue is moving. A message still queued
 * behind others of a moving sender waits its turn; one whose sender hands nothing over waits for a provider out of
 * reach, a limit, or a session that is down. Each node keeps what its own dispatchers hand over in memory, so that a
 * send costs nothing more, and tells the other nodes through the database at most every {@link #TELL_EVERY} per
 * sender, so that a node that sends nothing itself (its dispatchers off) sees the queues that other nodes move.
 */
@Component
public class SendersAtWork {

    /** How often a node tells the others, at most, that a sender is handing messages over. */
    static final Duration TELL_EVERY = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(SendersAtWork.class);

    private final Map<UUID, Instant> lastHandedOver = new ConcurrentHashMap<>();
    private final Map<UUID, Instant> lastTold = new ConcurrentHashMap<>();
    private final Clock clock;
    private final BiConsumer<UUID, Instant> tellOtherNodes;
    private final Instant startedAt;

    @Autowired
    SendersAtWork(Clock clock, SenderTurns turns) {
        this(clock, turns::handedOver);
    }

    SendersAtWork(Clock clock, BiConsumer<UUID, Instant> tellOtherNodes) {
        this.clock = clock;
        this.tellOtherNodes = tellOtherNodes;
        this.startedAt = clock.instant();
    }

    /** A provider took a message of this sender just now. */
    public void handedOver(UUID senderId) {
        Instant now = clock.instant();
        lastHandedOver.put(senderId, now);
        boolean[] tell = {false};
        lastTold.compute(senderId, (id, told) -> {
            if (told != null && now.isBefore(told.plus(TELL_EVERY))) {
                return told;
            }
            tell[0] = true;
            return now;
        });
        if (tell[0]) {
            try {
                tellOtherNodes.accept(senderId, now);
            } catch (RuntimeException e) {
                // Only a hint for the other nodes' timeouts: the send itself is recorded, and the next one tells again.
                log.debug("Could not tell the other nodes that sender {} is handing messages over", senderId, e);
            }
        }
    }

    /**
     * Whether a provider took a message of the sender within {@code within} before now: as this node's dispatchers
     * saw it, or as a node told through the database ({@code toldByANode}, null when none did). A node that started
     * less than {@code within} ago cannot tell yet of a sender it has not sent for: it counts as sending, so that the
     * timeouts that came due while Reach was stopped (a restart in the middle of a broadcast) are looked at again
     * once the dispatchers had their chance, instead of giving up at once on messages about to go out.
     */
    public boolean handedOverWithin(UUID senderId, Instant toldByANode, Duration within) {
        Instant since = clock.instant().minus(within);
        Instant seenHere = lastHandedOver.get(senderId);
        if (seenHere != null && !seenHere.isBefore(since) || toldByANode != null && !toldByANode.isBefore(since)) {
            return true;
        }
        return seenHere == null && since.isBefore(startedAt);
    }
}
