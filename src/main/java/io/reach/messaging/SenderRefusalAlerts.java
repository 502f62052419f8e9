package io.reach.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.reach.sender.Sender;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Tells the operator, in the log at ERROR, when a provider refuses a sender's sends for a reason of the sender's own
 * (an expired access token, refused credentials, a missing permission, a locked account): each of its messages fails,
 * and its journeys fall back, until someone fixes it, and a failed message alone reads like its recipient's problem.
 * Once per sender and code every ten minutes, so that a broadcast does not fill the log; and each refusal counted in
 * the metrics ({@code reach_sender_refusals_total}, by sender, provider and code), for an alert.
 */
@Component
public class SenderRefusalAlerts {

    static final Duration QUIET_FOR = Duration.ofMinutes(10);

    private static final Logger log = LoggerFactory.getLogger(SenderRefusalAlerts.class);

    private final Clock clock;
    private final Map<String, Instant> lastTold = new ConcurrentHashMap<>();
    private final MeterRegistry metrics;

    public SenderRefusalAlerts(Clock clock, MeterRegistry metrics) {
        this.clock = clock;
        this.metrics = metrics;
    }

    /**
     * {@code provider} refused a send of {@code sender} with {@code error}, a reason of the sender's own: logged unless
     * told within {@link #QUIET_FOR}. Whether it was logged.
     */
    public boolean refused(Sender sender, String provider, MessageError error) {
        // Senders and the codes that concern them are few: a series each stays small.
        Counter.builder("reach.sender.refusals")
                .description("Sends a provider refused for a reason of the sender's own (an expired token, a locked account)")
                .tag("sender", sender.name()).tag("provider", provider).tag("code", String.valueOf(error.code()))
                .register(metrics).increment();
        Instant now = clock.instant();
        boolean[] tell = {false};
        lastTold.compute(sender.id() + ":" + error.code(), (key, last) -> {
            tell[0] = last == null || !now.isBefore(last.plus(QUIET_FOR));
            return tell[0] ? now : last;
        });
        if (tell[0]) {
            log.error("{} sender {} ({}) cannot send: {} refused with {}: {}. Each of its messages fails, and its journeys"
                    + " fall back, until this is fixed at {} or in the sender's settings (PATCH /api/v1/senders/{});"
                    + " said again at most every {} minutes while it lasts", sender.channel(), sender.name(),
                    sender.displayNumber() != null ? sender.displayNumber() : sender.fromAddress(), provider, error.code(),
                    error.title(), provider, sender.name(), QUIET_FOR.toMinutes());
        }
        return tell[0];
    }
}
