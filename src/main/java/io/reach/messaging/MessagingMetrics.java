package io.reach.messaging;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.reach.shared.BacklogGauges;
import io.reach.shared.Dialect;
import io.reach.shared.Times;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The send queue's and the stored callbacks' backlogs as metrics, read from the database at each scrape (the same on
 * every node): how late the dispatchers are with the queued messages due, per channel, and the processors with the
 * providers' callbacks stored for later, per source, and how many of those callbacks keep failing.
 */
@Component
class MessagingMetrics implements MeterBinder {

    private final JdbcTemplate jdbc;
    private final Dialect dialect;
    private final BacklogGauges gauges;
    private final List<String> sources;
    private final WebhookInbox inbox;

    MessagingMetrics(JdbcTemplate jdbc, Dialect dialect, BacklogGauges gauges, List<InboxProcessor> processors,
                     WebhookInbox inbox) {
        this.inbox = inbox;
        this.jdbc = jdbc;
        this.dialect = dialect;
        this.gauges = gauges;
        this.sources = InboxProcessor.sourcesOf(processors);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (Channel channel : Channel.values()) {
            Gauge.builder("reach.messages.lag", gauges.lag(now -> oldestDueMessage(channel, now)))
                    .description("How long the queued message due longest has waited to be sent; 0 when none is due."
                            + " Messages held for their sender's messaging limit, quiet hours or a retry are due later")
                    .tag("channel", channel.name().toLowerCase(Locale.ROOT)).baseUnit("seconds").register(registry);
        }
        for (String source : sources) {
            Gauge.builder("reach.callbacks.lag", gauges.lag(now -> oldestDueCallback(source, now)))
                    .description("How long the provider's callback stored for later and due longest has waited to be"
                            + " applied; 0 when none waits. Most callbacks are applied as they come and never wait")
                    .tag("source", source.toLowerCase(Locale.ROOT)).baseUnit("seconds").register(registry);
            Gauge.builder("reach.callbacks.failing", gauges.count(() -> inbox.failingCount(source)))
                    .description("How many of the provider's stored callbacks failed at their last attempt and wait for"
                            + " their retry (GET /api/v1/failing-callbacks lists them)")
                    .tag("source", source.toLowerCase(Locale.ROOT)).register(registry);
        }
    }

    Optional<Instant> oldestDueMessage(Channel channel, OffsetDateTime now) {
        // The order of the messages_due_by_channel index, as the dispatchers' claims read it.
        return dialect.first(jdbc, "messages", "next_attempt_at",
                "status = 'QUEUED' AND channel = ? AND next_attempt_at <= ?", List.of(channel.name(), now),
                "status, channel, next_attempt_at",
                rs -> Times.instant(rs, "next_attempt_at"));
    }

    Optional<Instant> oldestDueCallback(String source, OffsetDateTime now) {
        // The order of the webhook_inbox_due index, as the processors' claims read it.
        return dialect.first(jdbc, "webhook_inbox", "next_attempt_at",
                "channel = ? AND processed_at IS NULL AND next_attempt_at <= ?", List.of(source, now),
                "channel, processed_at, next_attempt_at, id", rs -> Times.instant(rs, "next_attempt_at"));
    }
}
