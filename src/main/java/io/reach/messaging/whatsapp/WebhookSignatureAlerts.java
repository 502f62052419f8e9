package io.reach.messaging.whatsapp;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.reach.sender.Sender;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Tells the operator, at ERROR, when webhooks for a sender's number come signed with another secret than the sender's
 * app secret: if they are Meta's, the sender's {@code appSecret} is not its app's, and no status or reply of its
 * messages is taken (its messages stay {@code submitted}, its journeys take their timeouts) while a refused webhook
 * reads like nothing at all. Once per sender every ten minutes; each refusal counted
 * ({@code reach_webhook_signature_refusals_total}, by sender). What this node saw last is kept for the sender's check.
 */
@Component
class WebhookSignatureAlerts {

    static final Duration QUIET_FOR = Duration.ofMinutes(10);

    private static final Logger log = LoggerFactory.getLogger(WebhookSignatureAlerts.class);

    private final Clock clock;
    private final MeterRegistry metrics;
    private final Map<UUID, Instant> lastAccepted = new ConcurrentHashMap<>();
    private final Map<UUID, Instant> lastRefused = new ConcurrentHashMap<>();
    private final Map<UUID, Instant> lastTold = new ConcurrentHashMap<>();

    WebhookSignatureAlerts(Clock clock, MeterRegistry metrics) {
        this.clock = clock;
        this.metrics = metrics;
    }

    void accepted(Sender sender) {
        lastAccepted.put(sender.id(), clock.instant());
    }

    /** A webhook naming the sender's number came with a signature that its app secret does not give; whether it was logged. */
    boolean refused(Sender sender) {
        Counter.builder("reach.webhook.signature.refusals")
                .description("Meta webhooks refused because their signature does not match the sender's app secret")
                .tag("sender", sender.name()).register(metrics).increment();
        Instant now = clock.instant();
        lastRefused.put(sender.id(), now);
        boolean[] tell = {false};
        lastTold.compute(sender.id(), (id, last) -> {
            tell[0] = last == null || !now.isBefore(last.plus(QUIET_FOR));
            return tell[0] ? now : last;
        });
        if (tell[0]) {
            log.error("A webhook for WhatsApp sender {} ({}) was refused: its X-Hub-Signature-256 does not match the sender's"
                    + " app secret. If it came from Meta, the sender's appSecret is not its app's, and no status or reply"
                    + " of its messages is taken (Meta tries again for up to 7 days) until it is set right (PATCH"
                    + " /api/v1/senders/{} {\"appSecret\": …}); said again at most every {} minutes while it lasts",
                    sender.name(), sender.displayNumber(), sender.name(), QUIET_FOR.toMinutes());
        }
        return tell[0];
    }

    /** When this node last refused a webhook of the sender, if it accepted none since. */
    Optional<Instant> refusedSinceLastAccepted(UUID senderId) {
        Instant refused = lastRefused.get(senderId);
        Instant accepted = lastAccepted.get(senderId);
        return refused != null && (accepted == null || accepted.isBefore(refused)) ? Optional.of(refused) : Optional.empty();
    }
}
