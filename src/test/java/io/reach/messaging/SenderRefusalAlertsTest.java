package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reach.sender.Sender;
import io.reach.support.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** How often the operator hears that a provider refuses a sender's sends for a reason of the sender's own. */
class SenderRefusalAlertsTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-04T10:00:00Z"));
    private final SimpleMeterRegistry metrics =
            new SimpleMeterRegistry();
    private final SenderRefusalAlerts alerts = new SenderRefusalAlerts(clock, metrics);
    private final Sender shop = sender("shop");
    private final MessageError expired = new MessageError(190, "The access token has expired or is invalid", null);

    @Test
    void isToldOnceEveryTenMinutesPerSenderAndCode() {
        assertThat(alerts.refused(shop, "Meta", expired)).isTrue();
        assertThat(alerts.refused(shop, "Meta", expired)).as("the next message's refusal, at once").isFalse();
        assertThat(alerts.refused(sender("other"), "Meta", expired)).as("another sender").isTrue();
        assertThat(alerts.refused(shop, "Meta", new MessageError(131031, "The business account is locked", null))).isTrue();
        clock.advance(SenderRefusalAlerts.QUIET_FOR.minus(Duration.ofSeconds(1)));
        assertThat(alerts.refused(shop, "Meta", expired)).isFalse();
        clock.advance(Duration.ofSeconds(1));
        assertThat(alerts.refused(shop, "Meta", expired)).as("ten minutes later, still refused").isTrue();
    }

    @Test
    void countsEveryRefusalBySenderProviderAndCodeToldOrNot() {
        alerts.refused(shop, "Meta", expired);
        alerts.refused(shop, "Meta", expired);
        alerts.refused(shop, "Meta", expired);
        alerts.refused(sender("other"), "Meta", expired);

        assertThat(metrics.get("reach.sender.refusals").tags("sender", "shop", "provider", "Meta", "code", "190").counter()
                .count()).isEqualTo(3.0);
        assertThat(metrics.get("reach.sender.refusals").tags("sender", "other").counter().count()).isEqualTo(1.0);
    }

    private static Sender sender(String name) {
        return new Sender(UUID.randomUUID(), name, "whatsapp", "meta", "106540352242977", "102290129340398", "+15550783881",
                null, null, null, Map.of(), 80, null, false, true, true, true, null, Instant.EPOCH, Instant.EPOCH);
    }
}
