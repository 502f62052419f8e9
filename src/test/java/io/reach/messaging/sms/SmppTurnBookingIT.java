package io.reach.messaging.sms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.sandbox.SandboxNetwork;
import io.reach.support.Fixtures;
import io.reach.support.ReachIntegrationTest;
import io.reach.support.TestDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * An SMS whose sender's turn cannot be booked for the moment (the database fails: here a lock held on the sender's
 * turns past the one-second lock timeout this test sets) is tried again, says that nothing was submitted, and goes out
 * once when the database is back.
 */
@TestPropertySource(properties = "reach.sandbox.rules-file=classpath:sandbox/channel-handsets.yml")
class SmppTurnBookingIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @DynamicPropertySource
    static void lockTimeout(DynamicPropertyRegistry registry) {
        TestDatabase.registerLockTimeout(registry, Duration.ofSeconds(1));
    }

    @Autowired
    SandboxNetwork sandbox;

    @Autowired
    DataSource dataSource;

    @Test
    void anSmsWhoseTurnCouldNotBeBookedSaysNothingWasSubmittedAndGoesOutOnceWhenTriedAgain() throws Exception {
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/smpp-links").json().valueStream().anyMatch(link ->
                "sandbox-sms".equals(link.path("sender").asString()) && link.path("bound").asBoolean()));
        // A first SMS books the sender's first turns: its row of turns exists from then on.
        String first = sms("+31612350801");
        await().atMost(PATIENCE).until(() -> "delivered".equals(message(first).path("status").asString()));
        UUID sender = UUID.fromString(api.get("/api/v1/senders").json().valueStream()
                .filter(s -> "sandbox-sms".equals(s.path("name").asString())).findFirst().orElseThrow().path("id").asString());

        String second;
        try (Connection holder = TestDatabase.holdRowLock(dataSource,
                "SELECT sender_id FROM sender_turns WHERE sender_id = ? FOR UPDATE", sender)) {
            second = sms("+31612350802");
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(message(second).path("error").path("title").asString(""))
                    .startsWith("The sender's turn could not be booked (the database failed for a moment); nothing was submitted"));
            assertThat(message(second).path("status").asString()).isEqualTo("queued");
            assertThat(sandbox.smsc().submitsTo("+31612350802")).isEmpty();
            holder.commit();
        }

        await().atMost(PATIENCE).until(() -> "delivered".equals(message(second).path("status").asString()));
        assertThat(sandbox.smsc().submitsTo("+31612350802")).hasSize(1);
        assertThat(sandbox.smsc().resubmissions()).isZero();
    }

    private String sms(String phone) {
        Fixtures.consentingContact(api, phone);
        var response = api.post("/api/v1/messages/sms", Map.of("sender", "sandbox-sms", "to", phone,
                "text", "Your order is ready", "category", "utility"));
        assertThat(response.status()).as(response.body()).isEqualTo(202);
        return response.json().path("messageId").asString();
    }

    private JsonNode message(String id) {
        return api.get("/api/v1/messages/" + id).json();
    }
}
