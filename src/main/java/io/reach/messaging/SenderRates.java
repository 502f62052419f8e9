package io.reach.messaging;

import io.github.bucket4j.BlockingStrategy;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import io.reach.sender.Sender;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Keeps each sender within its {@code throughputPerSecond} on this node: the WhatsApp and Twilio dispatchers ask
 * for a turn before each send. A turn that comes within {@link #LONGEST_WAIT} is waited for; a later one is not, and
 * the dispatcher puts its message back until then, so that one sender at its limit never holds the dispatcher's
 * sends that other senders' messages need.
 */
@Component
public class SenderRates {

    /** The longest a send waits for its sender's turn while it holds one of the dispatcher's sends. */
    static final Duration LONGEST_WAIT = Duration.ofSeconds(1);

    private record Limit(int perSecond, Bucket bucket) {}

    private final Map<UUID, Limit> limits = new ConcurrentHashMap<>();
    // Messages#putBack, as a function: the rates are tested without a database.
    private final BiConsumer<UUID, Duration> putBack;
    private final TimeMeter time;
    private final BlockingStrategy waiting;

    @Autowired
    SenderRates(Messages messages) {
        this(messages::putBack, TimeMeter.SYSTEM_NANOTIME, BlockingStrategy.PARKING);
    }

    SenderRates(BiConsumer<UUID, Duration> putBack, TimeMeter time, BlockingStrategy waiting) {
        this.putBack = putBack;
        this.time = time;
        this.waiting = waiting;
    }

    /**
     * Whether a claimed message may be sent now, within its sender's throughput (having waited up to
     * {@link #LONGEST_WAIT} for its turn); when not, it has been {@link Messages#putBack put back} until the sender
     * has room.
     */
    public boolean sendsNow(Messages.Outbound message, Sender sender) {
        Optional<Duration> busy = takeTurn(sender);
        busy.ifPresent(wait -> putBack.accept(message.id(), wait));
        return busy.isEmpty();
    }

    /**
     * Takes the sender's next turn, waiting for it when it comes within {@link #LONGEST_WAIT}: empty then, and the
     * caller sends. Otherwise nothing is taken and the answer is how long until the sender has room again.
     */
    Optional<Duration> takeTurn(Sender sender) {
        Bucket bucket = bucketOf(sender);
        try {
            if (bucket.asBlocking().tryConsume(1, LONGEST_WAIT, waiting)) {
                return Optional.empty();
            }
        } catch (InterruptedException e) {
            // Stopping: the message goes back as it came, for this node's next start or another node.
            Thread.currentThread().interrupt();
            return Optional.of(Duration.ZERO);
        }
        return Optional.of(Duration.ofNanos(bucket.estimateAbilityToConsume(1).getNanosToWaitForRefill()));
    }

    private Bucket bucketOf(Sender sender) {
        int perSecond = Math.max(1, sender.throughputPerSecond());
        // A changed limit takes effect from the next send: a new bucket, full, as after a start.
        return limits.compute(sender.id(), (id, limit) -> limit != null && limit.perSecond() == perSecond ? limit
                : new Limit(perSecond, Bucket.builder().withCustomTimePrecision(time)
                        .addLimit(l -> l.capacity(perSecond).refillGreedy(perSecond, Duration.ofSeconds(1))).build())).bucket();
    }
}
