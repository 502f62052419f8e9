package io.reach.messaging.twilio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.sandbox.SandboxNetwork;
import io.reach.support.Api;
import io.reach.support.Fixtures;
import io.reach.support.OffsetClock;
import io.reach.support.OffsetClockConfiguration;
import io.reach.support.ReachIntegrationTest;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Twilio's callbacks lost (they go to an address where nothing listens, as when Reach is down or restarting, which
 * Twilio does not try again): Reach asks Twilio for the statuses itself, at its status checks' times.
 */
@Import(OffsetClockConfiguration.class)
@TestPropertySource(properties = {"reach.sandbox.rules-file=classpath:sandbox/channel-handsets.yml",
        "reach.public-url=http://127.0.0.1:9", "reach.messaging.status-checks=2m,10m"})
class TwilioStatusChecksIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @Autowired
    SandboxNetwork sandbox;

    @Autowired
    OffsetClock clock;

    @Autowired
    JdbcClient jdbc;

    @Test
    void asksTwilioForTheStatusesItsLostCallbacksWouldHaveBrought() {
        Fixtures.consentingContactIfAbsent(api, "+31612350611");
        Fixtures.consentingContactIfAbsent(api, "+31612350012");
        String answered = send("/api/v1/messages/voice", "sandbox-voice", "+31612350611");
        String busy = send("/api/v1/messages/voice", "sandbox-voice", "+31612350012");
        String delivered = send("/api/v1/messages/sms", "sandbox-twilio-sms", "+31612350611");
        Map<String, String> finalStatusAtTwilio = Map.of(answered, "completed", busy, "busy", delivered, "delivered");
        finalStatusAtTwilio.forEach((id, status) -> await().atMost(PATIENCE).untilAsserted(() -> {
            String sid = api.get("/api/v1/messages/" + id).json().path("providerMessageId").asString(null);
            assertThat(sid).isNotNull();
            assertThat(sandbox.twilio().statusOf(sid)).contains(status);
        }));
        // No callback reached Reach: each message is where Twilio's answer to the send left it.
        finalStatusAtTwilio.keySet().forEach(id -> assertThat(Fixtures.statuses(api, id)).containsExactly("queued", "submitted"));

        clock.advance(Duration.ofMinutes(2).plusSeconds(1));

        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(Fixtures.statuses(api, answered)).containsExactly("queued", "submitted", "delivered");
            assertThat(Fixtures.statuses(api, busy)).containsExactly("queued", "submitted", "failed");
            assertThat(Fixtures.statuses(api, delivered)).containsExactly("queued", "submitted", "delivered");
        });
        JsonNode busyCall = api.get("/api/v1/messages/" + busy).json();
        assertThat(busyCall.path("error").path("code").asInt()).isEqualTo(486);
        for (String id : finalStatusAtTwilio.keySet()) {
            // One check each, and none left to make: a final status ends them.
            Map<String, Object> checks = jdbc.sql("SELECT status_checks, status_check_at FROM messages WHERE id = ?")
                    .param(UUID.fromString(id)).query().singleRow();
            assertThat(((Number) checks.get("status_checks")).intValue()).as(id).isEqualTo(1);
            assertThat(checks.get("status_check_at")).as(id).isNull();
        }
        assertThat(api.get("/api/v1/messages/" + answered).json().toString()).contains("asked of Twilio");
    }

    private String send(String path, String sender, String phone) {
        Api.Response response = api.post(path, Map.of("sender", sender, "to", phone, "text", "Your order is ready.",
                "category", "utility"));
        assertThat(response.status()).as(response.body()).isEqualTo(202);
        return response.json().path("messageId").asString();
    }
}
