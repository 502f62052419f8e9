package io.reach.messaging.whatsapp;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reach.sender.Sender;
import io.reach.support.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** How the operator hears of webhooks refused for their signature, and what a sender's check is told of them. */
class WebhookRefusalsTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T10:00:00Z"));
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final WebhookRefusals alerts = new WebhookRefusals(clock, metrics);
    private final Sender shop = sender("shop");

    @Test
    void tellsOnceEveryTenMinutesPerSenderAndCountsEveryRefusal() {
        assertThat(alerts.refused(shop)).isTrue();
        assertThat(alerts.refused(shop)).as("Meta's next webhook, at once").isFalse();
        assertThat(alerts.refused(sender("other"))).as("another sender").isTrue();
        clock.advance(WebhookRefusals.QUIET_FOR.minus(Duration.ofSeconds(1)));
        assertThat(alerts.refused(shop)).isFalse();
        clock.advance(Duration.ofSeconds(1));
        assertThat(alerts.refused(shop)).as("ten minutes later, still refused").isTrue();
        assertThat(metrics.get("reach.webhook.signature.refusals").tags("sender", "shop").counter().count()).isEqualTo(4.0);
    }

    @Test
    void tellsOfNumbersNoSenderHasOnceEveryTenMinutesWhateverTheNumber() {
        assertThat(alerts.unknownNumber("106540352242999", "+1 555-078-3881")).isTrue();
        assertThat(alerts.unknownNumber("106540352242998", "+1 555-078-3882")).as("another number: anyone may post ids")
                .isFalse();
        clock.advance(WebhookRefusals.QUIET_FOR);
        assertThat(alerts.unknownNumber("106540352242999\nforged line", null)).isTrue();
        assertThat(metrics.get("reach.webhook.unknown.numbers").counter().count()).isEqualTo(3.0);
    }

    @Test
    void remembersARefusalUntilAWebhookOfTheSenderIsTaken() {
        assertThat(alerts.refusedSinceLastAccepted(shop.id())).isEmpty();
        alerts.accepted(shop);
        clock.advance(Duration.ofSeconds(5));
        alerts.refused(shop);
        assertThat(alerts.refusedSinceLastAccepted(shop.id())).contains(clock.instant());
        clock.advance(Duration.ofSeconds(5));
        alerts.accepted(shop);
        assertThat(alerts.refusedSinceLastAccepted(shop.id())).isEmpty();
    }

    private static Sender sender(String name) {
        return new Sender(UUID.randomUUID(), name, "whatsapp", "meta", "106540352242977", "102290129340398", "+15550783881",
                null, null, null, Map.of(), 80, null, false, true, true, true, null, Instant.EPOCH, Instant.EPOCH);
    }
}
