package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.support.Api;
import io.reach.support.FakeProvider;
import io.reach.support.Fixtures;
import io.reach.support.ReachIntegrationTest;
import io.reach.support.TestDatabase;
import java.sql.Connection;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * Database failures that pass (a lock held too long here; a lost connection or a failover alike): a send Meta
 * accepted is recorded, not sent again, and an API request is answered 503, to be tried again. A lock held on a row
 * makes the statements that need it time out, after one second (the lock timeout this test sets), until the test lets
 * go.
 */
@TestPropertySource(properties = "reach.sandbox.enabled=false")
class PassingDatabaseFailuresIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final CountDownLatch ANSWER = new CountDownLatch(1);
    // Meta, answering a send once the test says so.
    private static final FakeProvider META = new FakeProvider((n, request) -> {
        try {
            ANSWER.await(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new FakeProvider.Answer(200, "{\"messaging_product\":\"whatsapp\",\"messages\":[{\"id\":\"wamid.held-" + n + "\"}]}");
    });

    // Meta, answering each send at once.
    private static final FakeProvider META_AT_ONCE = FakeProvider.metaGraphApi();

    @DynamicPropertySource
    static void lockTimeout(DynamicPropertyRegistry registry) {
        TestDatabase.registerLockTimeout(registry, Duration.ofSeconds(1));
    }

    @Autowired
    DataSource dataSource;

    @Autowired
    JdbcClient jdbc;

    @AfterAll
    static void stopMeta() {
        META.close();
        META_AT_ONCE.close();
    }

    @Test
    void recordsAnAcceptedSendThroughAPassingDatabaseFailureAndSendsItOnce() throws Exception {
        Fixtures.metaSender(api, "meta-held", META.baseUrl());
        Fixtures.orderTemplate(api, "held_order");
        Fixtures.consentingContact(api, "+31612370001");
        Api.Response sent = Fixtures.sendOrder(api, "meta-held", "held_order", "+31612370001");
        assertThat(sent.status()).as(sent.body()).isEqualTo(202);
        UUID message = UUID.fromString(sent.json().path("messageId").asString());
        await().atMost(PATIENCE).until(() -> META.requests().size() == 1);

        try (Connection holder = TestDatabase.holdRowLock(dataSource, "SELECT id FROM messages WHERE id = ? FOR UPDATE", message)) {
            ANSWER.countDown();
            // The recording waits for the lock, times out, and waits again: a second try, not a second send.
            await().atMost(PATIENCE).until(() -> lockWaitStarted() != null);
            Timestamp firstTry = lockWaitStarted();
            await().atMost(PATIENCE).until(() -> {
                Timestamp waiting = lockWaitStarted();
                return waiting != null && waiting.after(firstTry);
            });
            holder.commit();
        }

        await().atMost(PATIENCE).until(() -> "submitted".equals(api.get("/api/v1/messages/" + message).json()
                .path("status").asString()));
        assertThat(api.get("/api/v1/messages/" + message).json().path("providerMessageId").asString()).isEqualTo("wamid.held-1");
        assertThat(api.get("/api/v1/messages/" + message).json().path("attempts").asInt()).isEqualTo(1);
        assertThat(META.requests()).hasSize(1);
    }

    @Test
    void aMessageWhoseChecksBeforeItsSendFailOnTheDatabaseIsPutBackUntriedAndGoesOnceTheDatabaseAnswers() throws Exception {
        Api.Response sender = api.post("/api/v1/senders", Map.of("name", "meta-limited", "phoneNumberId", "106540352242978",
                "wabaId", "102290129340398", "displayNumber", "+15550783882", "accessToken", "token", "appSecret", "secret",
                "verifyToken", "verify-limited", "graphApiBaseUrl", META_AT_ONCE.baseUrl(), "graphApiVersion", "v21.0",
                "messagingLimit", 1000));
        assertThat(sender.status()).as(sender.body()).isEqualTo(201);
        UUID senderId = UUID.fromString(sender.json().path("id").asString());
        Fixtures.orderTemplate(api, "limited_order");
        Fixtures.consentingContact(api, "+31612370003");
        Fixtures.consentingContact(api, "+31612370004");
        // The first send counts its number against the messaging limit, in the sender's count row the test then holds.
        UUID first = messageId(Fixtures.sendOrder(api, "meta-limited", "limited_order", "+31612370003"));
        await().atMost(PATIENCE).until(() -> "submitted".equals(status(first)));

        UUID second;
        try (Connection holder = TestDatabase.holdRowLock(dataSource,
                "SELECT sender_id FROM messaging_limit_counts WHERE sender_id = ? FOR UPDATE", senderId)) {
            second = messageId(Fixtures.sendOrder(api, "meta-limited", "limited_order", "+31612370004"));
            // The limit's check waits for the row and times out, and the message is put back untried; a second later
            // it is claimed and checked again, and times out again: never sent while its check fails.
            await().atMost(PATIENCE).until(() -> lockWaitStarted("%messaging_limit_counts%FOR UPDATE%") != null);
            Timestamp firstCheck = lockWaitStarted("%messaging_limit_counts%FOR UPDATE%");
            await().atMost(PATIENCE).until(() -> {
                Timestamp waiting = lockWaitStarted("%messaging_limit_counts%FOR UPDATE%");
                return waiting != null && waiting.after(firstCheck);
            });
            assertThat(META_AT_ONCE.requestsTo("+31612370004")).isEmpty();
            holder.commit();
        }

        // Not left to its claim's lease (a minute, and an attempt counted): sent once the check goes through.
        await().atMost(PATIENCE).until(() -> "submitted".equals(status(second)));
        assertThat(api.get("/api/v1/messages/" + second).json().path("attempts").asInt()).isEqualTo(1);
        assertThat(META_AT_ONCE.requestsTo("+31612370004")).hasSize(1);
    }

    private static UUID messageId(Api.Response sent) {
        assertThat(sent.status()).as(sent.body()).isEqualTo(202);
        return UUID.fromString(sent.json().path("messageId").asString());
    }

    private String status(UUID message) {
        return api.get("/api/v1/messages/" + message).json().path("status").asString();
    }

    @Test
    void answersARequestThatTheDatabaseFailedForTheMoment503WithRetryAfterAndTakesItWhenTriedAgain() throws Exception {
        String contact = Fixtures.consentingContact(api, "+31612370002").path("id").asString();

        try (Connection holder = TestDatabase.holdRowLock(dataSource, "SELECT id FROM contacts WHERE id = ? FOR UPDATE",
                UUID.fromString(contact))) {
            Api.Response busy = api.patch("/api/v1/contacts/" + contact, Map.of("attributes", Map.of("first_name", "Ada")));
            assertThat(busy.status()).as(busy.body()).isEqualTo(503);
            assertThat(busy.json().path("error").asString()).isEqualTo("database_unavailable");
            assertThat(busy.json().path("message").asString()).contains("try again");
            assertThat(busy.headers().get("retry-after")).containsExactly("5");
            holder.commit();
        }

        Api.Response again = api.patch("/api/v1/contacts/" + contact, Map.of("attributes", Map.of("first_name", "Ada")));
        assertThat(again.status()).as(again.body()).isEqualTo(200);
        assertThat(again.json().path("attributes").path("first_name").asString()).isEqualTo("Ada");
    }

    /** When the statement of a session waiting for a lock on the messages table started; null while none waits. */
    private Timestamp lockWaitStarted() {
        return lockWaitStarted("%FROM messages%FOR UPDATE%");
    }

    /** When the statement like {@code pattern} of a session waiting for a lock started; null while none waits. */
    private Timestamp lockWaitStarted(String pattern) {
        String waiting = TestDatabase.postgres()
                ? "SELECT MAX(query_start) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE ?"
                : "SELECT MAX(EXECUTING_STATEMENT_START) FROM INFORMATION_SCHEMA.SESSIONS WHERE BLOCKER_ID IS NOT NULL"
                + " AND EXECUTING_STATEMENT LIKE ?";
        return jdbc.sql(waiting).param(pattern).query((rs, n) -> rs.getTimestamp(1)).list().getFirst();
    }
}
