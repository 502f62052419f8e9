package io.reach.messaging.whatsapp;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.reach.sender.Sender;
import io.reach.shared.Texts;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Tells the operator of Meta's webhooks that Reach refuses for a sender's setting, since a refused webhook reads like
 * nothing at all while no status or reply of the number's messages is taken (its messages stay {@code submitted}, its
 * journeys take their timeouts). At ERROR, webhooks for a sender's number signed with another secret than the
 * sender's app secret (if they are Meta's, its {@code appSecret} is not its app's): once per sender every ten minutes,
 * each counted ({@code reach_webhook_signature_refusals_total}, by sender), and what this node saw last kept for the
 * sender's check. At WARN, webhooks for a phone number id no sender has (a sender registered with another
 * {@code phoneNumberId}, or a number of the account not registered): once every ten minutes whatever the number, as
 * anyone may post such ids, each counted ({@code reach_webhook_unknown_numbers_total}).
 */
@Component
class WebhookRefusals {

    static final Duration QUIET_FOR = Duration.ofMinutes(10);

    private static final Logger log = LoggerFactory.getLogger(WebhookRefusals.class);

    private final Clock clock;
    private final MeterRegistry metrics;
    private final Map<UUID, Instant> lastAccepted = new ConcurrentHashMap<>();
    private final Map<UUID, Instant> lastRefused = new ConcurrentHashMap<>();
    private final Map<UUID, Instant> lastTold = new ConcurrentHashMap<>();
    private final AtomicReference<Instant> unknownLastTold = new AtomicReference<>();

    WebhookRefusals(Clock clock, MeterRegistry metrics) {
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

    /** A webhook named a phone number id that no sender has; whether it was logged. */
    boolean unknownNumber(String phoneNumberId, String displayNumber) {
        Counter.builder("reach.webhook.unknown.numbers")
                .description("Meta webhooks refused because no sender has the phone number id they name")
                .register(metrics).increment();
        Instant now = clock.instant();
        Instant last = unknownLastTold.get();
        boolean tell = (last == null || !now.isBefore(last.plus(QUIET_FOR))) && unknownLastTold.compareAndSet(last, now);
        if (tell) {
            log.warn("A webhook for WhatsApp phone number id {} ({}) was refused: no sender has that id. If it came from"
                    + " Meta, no status or reply of that number's messages is taken: correct the sender's phoneNumberId"
                    + " (GET /api/v1/senders; POST /api/v1/senders/{name}/check asks Meta), or register the number; said"
                    + " again at most every {} minutes while it lasts, whatever the number", printable(phoneNumberId),
                    printable(displayNumber), QUIET_FOR.toMinutes());
        }
        return tell;
    }

    /** What anyone may post, as a log line may show it: short, and without line breaks or other controls. */
    private static String printable(String text) {
        return text == null ? "no display number" : Texts.clip(text.replaceAll("[^0-9A-Za-z +()-]", "?"), 40);
    }

    /** When this node last refused a webhook of the sender, if it accepted none since. */
    Optional<Instant> refusedSinceLastAccepted(UUID senderId) {
        Instant refused = lastRefused.get(senderId);
        Instant accepted = lastAccepted.get(senderId);
        return refused != null && (accepted == null || accepted.isBefore(refused)) ? Optional.of(refused) : Optional.empty();
    }
}
