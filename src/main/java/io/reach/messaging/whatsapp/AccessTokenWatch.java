package io.reach.messaging.whatsapp;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.reach.sender.Sender;
import io.reach.sender.Senders;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Looks, a minute after the start and then every {@code reach.whatsapp.token-check-interval} (6 hours), at each
 * WhatsApp sender's access token as Meta describes it: the day it expires every message of the sender fails and its
 * journeys take their fallbacks, and only a check of the sender asked for by hand would have said so before. Its
 * expiry is a gauge ({@code reach_sender_access_token_expiry_seconds}, by sender: the moment in seconds since 1970, NaN
 * for a token that never expires or that Meta has not described; one Meta does not describe at a look keeps what it
 * described before), for an alert; a token that expires within a week is said at WARN at each look.
 */
@Component
class AccessTokenWatch {

    /** How long before its expiry a token is said at WARN. */
    private static final Duration WARN_WITHIN = Duration.ofDays(7);

    private static final Logger log = LoggerFactory.getLogger(AccessTokenWatch.class);

    private final Senders senders;
    private final NumberCheck check;
    private final MeterRegistry metrics;
    private final Clock clock;
    private final Map<String, AtomicReference<Instant>> expiries = new ConcurrentHashMap<>();

    AccessTokenWatch(Senders senders, NumberCheck check, MeterRegistry metrics, Clock clock) {
        this.senders = senders;
        this.check = check;
        this.metrics = metrics;
        this.clock = clock;
    }

    // The first look soon after a start: a node restarted more often than the interval would otherwise never look.
    @Scheduled(initialDelayString = "${reach.whatsapp.token-check-delay:1m}",
            fixedDelayString = "${reach.whatsapp.token-check-interval:6h}")
    void scheduled() {
        try {
            look();
        } catch (DataAccessException e) {
            log.warn("Looking at the WhatsApp senders' access tokens failed (the database); the next look tries again", e);
        }
    }

    /** Looks at every WhatsApp sender's token; returns the names of those whose token expires within a week. */
    List<String> look() {
        List<String> expiring = new ArrayList<>();
        Instant now = clock.instant();
        for (Sender sender : senders.list()) {
            if (!Sender.WHATSAPP.equals(sender.channel())) {
                continue;
            }
            Optional<NumberCheck.AccessToken> token;
            try {
                token = check.token(senders.account(sender.id()));
            } catch (RuntimeException e) {
                // One sender's trouble (its secrets not opening, say) keeps no other sender's token from being looked at.
                log.warn("Could not look at the access token of WhatsApp sender {}: {}", sender.name(), e.getMessage());
                continue;
            }
            AtomicReference<Instant> expiry = expiries.computeIfAbsent(sender.name(), name -> {
                AtomicReference<Instant> unknown = new AtomicReference<>();
                // Senders are few: a series each stays small.
                Gauge.builder("reach.sender.access.token.expiry", unknown,
                                e -> e.get() == null ? Double.NaN : e.get().getEpochSecond())
                        .description("When the WhatsApp sender's access token expires (NaN: never, or not described by Meta)")
                        .baseUnit("seconds").tag("sender", name).register(metrics);
                return unknown;
            });
            if (token.isEmpty()) {
                // Meta out of reach, or refusing the token (which its refusals say): the expiry known before stands.
                continue;
            }
            Instant expiresAt = token.get().expiresAt();
            expiry.set(expiresAt);
            if (expiresAt != null && expiresAt.isBefore(now.plus(WARN_WITHIN))) {
                expiring.add(sender.name());
                log.warn("The access token of WhatsApp sender {} ({}) expires at {}: from then on Meta refuses every"
                        + " message of it (190) and its journeys take their fallbacks. Give it a System User's token that"
                        + " never expires (PATCH /api/v1/senders/{} {\"accessToken\": …}); said at every look"
                        + " (reach.whatsapp.token-check-interval) until then", sender.name(), sender.displayNumber(),
                        expiresAt, sender.name());
            }
        }
        return expiring;
    }
}
