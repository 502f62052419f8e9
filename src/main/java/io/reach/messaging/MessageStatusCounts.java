package io.reach.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionPhase;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * How many messages this node saw reach each status, per channel, as counters: the entries it added to the messages'
 * timelines once they were committed (inferred ones too: a {@code read} without {@code delivered} counts a delivery).
 * Their rates are the node's throughput: messages queued, handed to their providers, delivered, failed, per second.
 */
@Component
class MessageStatusCounts {

    private final Map<Channel, Map<MessageStatus, Counter>> counters = new EnumMap<>(Channel.class);

    MessageStatusCounts(MeterRegistry registry) {
        for (Channel channel : Channel.values()) {
            Map<MessageStatus, Counter> byStatus = new EnumMap<>(MessageStatus.class);
            for (MessageStatus status : MessageStatus.values()) {
                byStatus.put(status, Counter.builder("reach.messages.statuses")
                        .description("Messages this node saw reach a status (entries it added to their timelines,"
                                + " inferred ones included), per channel: queued or blocked when created, submitted when"
                                + " their provider took them, then sent, delivered, read, or failed")
                        .tag("channel", channel.name().toLowerCase(Locale.ROOT))
                        .tag("status", status.name().toLowerCase(Locale.ROOT)).register(registry));
            }
            counters.put(channel, byStatus);
        }
    }

    // After the commit: a transaction rolled back (a deadlock, then applied again) added nothing to the timelines.
    @TransactionalEventListener(phase = TransactionPhase.AFTER_COMMIT, fallbackExecution = true)
    void onReported(MessageStatusesReported reported) {
        for (MessageStatusReported entry : reported.statuses()) {
            counters.get(entry.channel()).get(entry.status()).increment();
        }
    }
}
