package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.sandbox.SandboxNetwork;
import io.reach.support.Api;
import io.reach.support.Fixtures;
import io.reach.support.ReachIntegrationTest;
import io.reach.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * A message the database fails for the moment before it is sent (here a lock held past the one-second lock timeout
 * this test sets) is tried again, not left to its lease of a minute, and goes out once when the database is back: an
 * SMS over SMPP whose sender's turn (booked per part, on its link) or whose parts could not be written says that nothing
 * was submitted, a call whose turn (booked before it is placed) could not be booked is put back untried.
 */
@TestPropertySource(properties = "reach.sandbox.rules-file=classpath:sandbox/channel-handsets.yml")
class DatabaseFailedBeforeSendingIT extends ReachIntegrationTest {

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
        await().atMost(PATIENCE).until(() -> smppLinkBound(true));
        // A first SMS books the sender's first turns: its row of turns exists from then on.
        String first = send("sms", "sandbox-sms", "+31612350801");
        await().atMost(PATIENCE).until(() -> "delivered".equals(message(first).path("status").asString()));

        String second;
        try (Connection holder = holdTurns("sandbox-sms")) {
            second = send("sms", "sandbox-sms", "+31612350802");
            awaitNothingSubmitted(second, "+31612350802",
                    "The sender's turn could not be booked (the database failed for a moment); nothing was submitted");
            holder.commit();
        }

        awaitDeliveredAndSubmittedOnce(second, "+31612350802");
    }

    @Test
    void anSmsWhosePartsCouldNotBeCreatedSaysNothingWasSubmittedAndGoesOutOnceWhenTriedAgain() throws Exception {
        await().atMost(PATIENCE).until(() -> smppLinkBound(true));
        // With its SMSC down, the SMS waits unclaimed: the test knows its id before an attempt creates its parts.
        sandbox.smsc().stop();
        await().atMost(PATIENCE).until(() -> smppLinkBound(false));
        String sms = send("sms", "sandbox-sms", "+31612350803");

        // The attempt's insert of the parts waits past the lock timeout: on H2 for a part of the same number inserted and
        // not committed; on PostgreSQL for a lock on the table (such a part would lock its message's row, for the foreign
        // key, and keep the SMS from being claimed at all).
        try (Connection holder = dataSource.getConnection()) {
            holder.setAutoCommit(false);
            if (TestDatabase.postgres()) {
                try (Statement lock = holder.createStatement()) {
                    lock.execute("LOCK TABLE sms_parts IN SHARE MODE");
                }
            } else {
                try (PreparedStatement part = holder.prepareStatement("INSERT INTO sms_parts (message_id,"
                        + " part_number, total_parts, status, updated_at) VALUES (?, 1, 1, 'QUEUED', CURRENT_TIMESTAMP)")) {
                    part.setObject(1, UUID.fromString(sms));
                    part.executeUpdate();
                }
            }
            sandbox.smsc().start(0);
            awaitNothingSubmitted(sms, "+31612350803",
                    "The SMS's parts could not be read or created (the database failed for a moment); nothing was submitted");
            holder.rollback();
        }

        // Without the retry, the SMS would wait for its lease (a minute, past the patience) after that attempt.
        awaitDeliveredAndSubmittedOnce(sms, "+31612350803");
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

    /** While the database fails: the SMS says why nothing was submitted, stays queued, and the SMSC has nothing of it. */
    private void awaitNothingSubmitted(String sms, String phone, String why) {
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(message(sms).path("error").path("title").asString(""))
                .startsWith(why));
        assertThat(message(sms).path("status").asString()).isEqualTo("queued");
        assertThat(sandbox.smsc().submitsTo(phone)).isEmpty();
    }

    /** Once the database is back: the SMS is delivered, submitted once. */
    private void awaitDeliveredAndSubmittedOnce(String sms, String phone) {
        await().atMost(PATIENCE).until(() -> "delivered".equals(message(sms).path("status").asString()));
        assertThat(sandbox.smsc().submitsTo(phone)).hasSize(1);
        assertThat(sandbox.smsc().resubmissions()).isZero();
    }

    private boolean smppLinkBound(boolean bound) {
        return api.get("/api/v1/smpp-links").json().valueStream().anyMatch(link ->
                "sandbox-sms".equals(link.path("sender").asString()) && link.path("bound").asBoolean() == bound);
    }

    private long waitingForTheTurns() {
        return TestDatabase.sessionsWaitingForALock(JdbcClient.create(dataSource),
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
