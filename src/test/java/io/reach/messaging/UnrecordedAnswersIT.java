package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.support.Api;
import io.reach.support.FakeProvider;
import io.reach.support.Fixtures;
import io.reach.support.ReachNode;
import io.reach.support.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A node stopped while its database fails to record an answer Meta gave (a lock held too long here; an outage alike):
 * the answer kept in the node's data directory is recorded when it starts again, and the message is not sent twice,
 * though its lease ran out meanwhile.
 */
class UnrecordedAnswersIT {

    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @Test
    void aNodeStoppedWhileItsDatabaseFailedRecordsTheAnswerItKeptWhenItStartsAgainAndDoesNotSendTwice() throws Exception {
        Map<String, String> database = TestDatabase.fresh();
        Path dataDir = Path.of("target", "test-data", UUID.randomUUID().toString());
        Map<String, String> settings = Map.of("reach.data-dir", dataDir.toString(), "reach.sandbox.enabled", "false",
                // The node stops with the send in hand, its recording still failing: a second, not twenty.
                "reach.stop-patience", "1s",
                // A statement that waits a second for a lock fails, as one does when the database is gone.
                "spring.datasource.hikari.connection-init-sql",
                TestDatabase.postgres() ? "SET lock_timeout = 1000" : "SET LOCK_TIMEOUT 1000");
        CountDownLatch answer = new CountDownLatch(1);
        try (FakeProvider meta = new FakeProvider((n, request) -> {
                 try {
                     answer.await(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
                 return new FakeProvider.Answer(200, "{\"messaging_product\":\"whatsapp\",\"messages\":[{\"id\":\"wamid.kept-" + n + "\"}]}");
             })) {
            String message;
            ReachNode first = ReachNode.start("first", database, settings);
            try {
                Api api = first.api();
                Fixtures.metaSender(api, "meta-kept", meta.baseUrl());
                Fixtures.orderTemplate(api, "kept_order");
                Fixtures.consentingContact(api, "+31612380001");
                Api.Response sent = Fixtures.sendOrder(api, "meta-kept", "kept_order", "+31612380001");
                assertThat(sent.status()).as(sent.body()).isEqualTo(202);
                message = sent.json().path("messageId").asString();
                await().atMost(PATIENCE).until(() -> meta.requests().size() == 1);

                try (Connection holder = connect(database)) {
                    holder.setAutoCommit(false);
                    try (PreparedStatement lock = holder.prepareStatement("SELECT id FROM messages WHERE id = ? FOR UPDATE")) {
                        lock.setObject(1, UUID.fromString(message));
                        lock.executeQuery().close();
                    }
                    answer.countDown();
                    // Meta's answer is on the disk once its recording failed, and the node stops while it still fails.
                    Path kept = dataDir.resolve("unrecorded-answers.jsonl");
                    await().atMost(PATIENCE).until(() -> Files.exists(kept) && Files.readString(kept).contains("wamid.kept-1"));
                    first.close();
                    TestDatabase.awaitNoneWaitingForALock(holder, "FROM messages%FOR UPDATE");
                    holder.rollback();
                }
            } finally {
                first.close();
            }

            // Past the lease of the send: without the answer kept, the next claim sends the message again.
            ReachNode.CLOCK.advance(Duration.between(ReachNode.CLOCK.instant(), leaseEnd(database, message)).plusSeconds(1));
            try (ReachNode second = ReachNode.start("second", database, settings)) {
                await().atMost(PATIENCE).until(() -> "submitted".equals(second.api().get("/api/v1/messages/" + message)
                        .json().path("status").asString()));
                JsonNode recorded = second.api().get("/api/v1/messages/" + message).json();
                assertThat(recorded.path("providerMessageId").asString()).isEqualTo("wamid.kept-1");
                assertThat(recorded.path("attempts").asInt()).isEqualTo(1);
                assertThat(meta.requests()).as("sends Meta got").hasSize(1);
                assertThat(second.bean(UnrecordedAnswers.class).size()).isZero();
            }
        }
    }

    private static Instant leaseEnd(Map<String, String> database, String message) throws Exception {
        try (Connection connection = connect(database);
             PreparedStatement select = connection.prepareStatement("SELECT lease_until FROM messages WHERE id = ?")) {
            select.setObject(1, UUID.fromString(message));
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getObject(1, java.time.OffsetDateTime.class).toInstant();
            }
        }
    }

    private static Connection connect(Map<String, String> database) throws Exception {
        return DriverManager.getConnection(database.get("spring.datasource.url"), database.get("spring.datasource.username"),
                database.get("spring.datasource.password"));
    }
}
