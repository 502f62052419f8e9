package io.reach.messaging.voice;

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
import tools.jackson.databind.JsonNode;

/**
 * A call whose sender's turn cannot be booked for the moment (the database fails: here a lock held on the sender's
 * turns past the one-second lock timeout this test sets) is put back untried, not left to its lease of a minute, and
 * placed once, its one attempt counted once, when the database is back.
 */
class VoiceTurnBookingIT extends ReachIntegrationTest {

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
    void aCallWhoseTurnCouldNotBeBookedIsPutBackUntriedAndPlacedOnceWhenTheDatabaseIsBack() throws Exception {
        // A first call books the sender's first turns: its row of turns exists from then on. Both handsets answer.
        String first = call("+31612350641");
        await().atMost(PATIENCE).until(() -> "delivered".equals(message(first).path("status").asString()));
        UUID sender = UUID.fromString(api.get("/api/v1/senders").json().valueStream()
                .filter(s -> "sandbox-voice".equals(s.path("name").asString())).findFirst().orElseThrow().path("id").asString());

        String second;
        try (Connection holder = TestDatabase.holdRowLock(dataSource,
                "SELECT sender_id FROM sender_turns WHERE sender_id = ? FOR UPDATE", sender)) {
            second = call("+31612350651");
            // Each try waits out the lock timeout and puts the call back: at least two of them pass meanwhile.
            await().atMost(PATIENCE).until(() -> TestDatabase.sessionsWaitingForALock(jdbc(), "%sender_turns%") > 0);
            await().atMost(PATIENCE).until(() -> TestDatabase.sessionsWaitingForALock(jdbc(), "%sender_turns%") == 0);
            await().atMost(PATIENCE).until(() -> TestDatabase.sessionsWaitingForALock(jdbc(), "%sender_turns%") > 0);
            assertThat(message(second).path("status").asString()).isEqualTo("queued");
            assertThat(sandbox.twilio().createdFor("call", "+31612350651")).isEmpty();
            holder.commit();
        }

        // Without the put-back, the call would wait for its lease (a minute, past the patience) after the first try.
        await().atMost(PATIENCE).until(() -> "delivered".equals(message(second).path("status").asString()));
        assertThat(sandbox.twilio().createdFor("call", "+31612350651")).hasSize(1);
        assertThat(message(second).path("attempts").asInt()).as("attempts of a call placed once").isEqualTo(1);
    }

    private org.springframework.jdbc.core.simple.JdbcClient jdbc() {
        return org.springframework.jdbc.core.simple.JdbcClient.create(dataSource);
    }

    private String call(String phone) {
        Fixtures.consentingContact(api, phone);
        Api.Response response = api.post("/api/v1/messages/voice", Map.of("sender", "sandbox-voice", "to", phone,
                "text", "Your order is ready", "category", "utility"));
        assertThat(response.status()).as(response.body()).isEqualTo(202);
        return response.json().path("messageId").asString();
    }

    private JsonNode message(String id) {
        return api.get("/api/v1/messages/" + id).json();
    }
}
