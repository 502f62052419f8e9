package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.sandbox.SandboxNetwork;
import io.reach.support.Api;
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
 * A message whose sender's turn cannot be booked for the moment (the database fails: here a lock held on the sender's
 * turns past the one-second lock timeout this test sets) is tried again, not left to its lease of a minute, and goes
 * out once when the database is back: an SMS over SMPP (which books its turns per part, on its link) says that nothing
 * was submitted, a call (booked before it is placed) is put back untried.
 */
@TestPropertySource(properties = "reach.sandbox.rules-file=classpath:sandbox/channel-handsets.yml")
class TurnBookingIT extends ReachIntegrationTest {

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
        String first = send("sms", "sandbox-sms", "+31612350801");
        await().atMost(PATIENCE).until(() -> "delivered".equals(message(first).path("status").asString()));

        String second;
        try (Connection holder = holdTurns("sandbox-sms")) {
            second = send("sms", "sandbox-sms", "+31612350802");
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

    @Test
    void aCallWhoseTurnCouldNotBeBookedIsPutBackUntriedAndPlacedOnceWhenTheDatabaseIsBack() throws Exception {
        // A first call books the sender's first turns: its row of turns exists from then on. Both handsets answer.
        String first = send("voice", "sandbox-voice", "+31612350641");
        await().atMost(PATIENCE).until(() -> "delivered".equals(message(first).path("status").asString()));

        String second;
        try (Connection holder = holdTurns("sandbox-voice")) {
            second = send("voice", "sandbox-voice", "+31612350651");
            // A try waits out the lock timeout and puts the call back; another one comes while the lock is held.
            await().atMost(PATIENCE).until(() -> waitingForTheTurns() > 0);
            await().atMost(PATIENCE).until(() -> waitingForTheTurns() == 0);
            await().atMost(PATIENCE).until(() -> waitingForTheTurns() > 0);
            assertThat(message(second).path("status").asString()).isEqualTo("queued");
            assertThat(sandbox.twilio().createdFor("call", "+31612350651")).isEmpty();
            holder.commit();
        }

        // Without the put-back, the call would wait for its lease (a minute, past the patience) after the first try.
        await().atMost(PATIENCE).until(() -> "delivered".equals(message(second).path("status").asString()));
        assertThat(sandbox.twilio().createdFor("call", "+31612350651")).hasSize(1);
        assertThat(message(second).path("attempts").asInt()).as("attempts of a call placed once").isEqualTo(1);
    }

    /** Locks the sender's row of turns, as a database that fails for the moment would keep its bookings from going through. */
    private Connection holdTurns(String senderName) throws Exception {
        UUID sender = UUID.fromString(api.get("/api/v1/senders").json().valueStream()
                .filter(s -> senderName.equals(s.path("name").asString())).findFirst().orElseThrow().path("id").asString());
        return TestDatabase.holdRowLock(dataSource, "SELECT sender_id FROM sender_turns WHERE sender_id = ? FOR UPDATE", sender);
    }

    private long waitingForTheTurns() {
        return TestDatabase.sessionsWaitingForALock(org.springframework.jdbc.core.simple.JdbcClient.create(dataSource),
                "sender_turns");
    }

    private String send(String channel, String sender, String phone) {
        Fixtures.consentingContact(api, phone);
        Api.Response response = api.post("/api/v1/messages/" + channel, Map.of("sender", sender, "to", phone,
                "text", "Your order is ready", "category", "utility"));
        assertThat(response.status()).as(response.body()).isEqualTo(202);
        return response.json().path("messageId").asString();
    }

    private JsonNode message(String id) {
        return api.get("/api/v1/messages/" + id).json();
    }
}
