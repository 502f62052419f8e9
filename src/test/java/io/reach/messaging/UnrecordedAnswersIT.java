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
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A node stopped while its database fails to record an answer Meta gave (a lock held too long here; an outage alike):
 * the answer kept in the node's data directory is recorded when it starts again, or when it claims the message, and
 * the message is not sent twice, though its lease ran out meanwhile.
 */
class UnrecordedAnswersIT {

    private static final Duration PATIENCE = Duration.ofSeconds(60);

    /** Meta, answering each send with {@code wamid.kept-<n>} once the test has locked the message's row. */
    private record HeldMeta(FakeProvider provider, CountDownLatch locked) implements AutoCloseable {

        static HeldMeta start() {
            CountDownLatch locked = new CountDownLatch(1);
            return new HeldMeta(new FakeProvider((n, request) -> {
                try {
                    locked.await(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return new FakeProvider.Answer(200,
                        "{\"messaging_product\":\"whatsapp\",\"messages\":[{\"id\":\"wamid.kept-" + n + "\"}]}");
            }), locked);
        }

        @Override
        public void close() {
            provider.close();
        }
    }

    @Test
    void aNodeStoppedWhileItsDatabaseFailedRecordsTheAnswerItKeptWhenItStartsAgainAndDoesNotSendTwice() throws Exception {
        Map<String, String> database = TestDatabase.fresh();
        Map<String, String> settings = settings(Map.of());
        try (HeldMeta meta = HeldMeta.start(); Connection holder = TestDatabase.connect(database)) {
            String message = keptByAStoppedNode(database, settings, meta, holder);
            holder.rollback();
            pastTheLease(database, message);
            try (ReachNode second = ReachNode.start("second", database, settings)) {
                // Recorded as the node starts, before its dispatchers claim anything: not one attempt more.
                assertRecordedNotSentAgain(second, meta, message, 1);
            }
        }
    }

    @Test
    void aKeptAnswerIsRecordedWhenItsMessageIsClaimedInsteadOfBeingSentAgain() throws Exception {
        Map<String, String> database = TestDatabase.fresh();
        // No turn of the replay but the one at start, which the lock still held makes fail: only the claim is left.
        Map<String, String> settings = settings(Map.of("reach.messaging.kept-answers-interval", "1h"));
        try (HeldMeta meta = HeldMeta.start(); Connection holder = TestDatabase.connect(database)) {
            String message = keptByAStoppedNode(database, settings, meta, holder);
            pastTheLease(database, message);
            try (ReachNode second = ReachNode.start("second", database, settings)) {
                assertThat(second.bean(UnrecordedAnswers.class).size()).as("answers kept after the start").isEqualTo(1);
                holder.rollback();
                // The claim counts an attempt, and records the answer kept instead of sending.
                assertRecordedNotSentAgain(second, meta, message, 2);
            }
        }
    }

    private static Map<String, String> settings(Map<String, String> more) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "reach.data-dir", Path.of("target", "test-data", UUID.randomUUID().toString()).toString(),
                "reach.sandbox.enabled", "false",
                // The node stops with the send in hand, its recording still failing: a second, not twenty.
                "reach.stop-patience", "1s"));
        // A statement that waits a second for a lock fails, as one does when the database is gone.
        settings.putAll(TestDatabase.lockTimeout(Duration.ofSeconds(1)));
        settings.putAll(more);
        return settings;
    }

    /**
     * A node sends a message Meta takes while {@code holder} locks its row, so that recording the answer fails and
     * it is kept on the disk; the node stops meanwhile. The lock is still held when this returns.
     */
    private static String keptByAStoppedNode(Map<String, String> database, Map<String, String> settings, HeldMeta meta,
                                             Connection holder) throws Exception {
        ReachNode first = ReachNode.start("first", database, settings);
        try {
            Api api = first.api();
            Fixtures.metaSender(api, "meta-kept", meta.provider().baseUrl());
            Fixtures.orderTemplate(api, "kept_order");
            Fixtures.consentingContact(api, "+31612380001");
            Api.Response sent = Fixtures.sendOrder(api, "meta-kept", "kept_order", "+31612380001");
            assertThat(sent.status()).as(sent.body()).isEqualTo(202);
            String message = sent.json().path("messageId").asString();
            await().atMost(PATIENCE).until(() -> meta.provider().requests().size() == 1);

            TestDatabase.lockRow(holder, "SELECT id FROM messages WHERE id = ? FOR UPDATE", UUID.fromString(message));
            meta.locked().countDown();
            Path kept = Path.of(settings.get("reach.data-dir")).resolve("unrecorded-answers.jsonl");
            await().atMost(PATIENCE).until(() -> Files.exists(kept) && Files.readString(kept).contains("wamid.kept-1"));
            first.close();
            // In one JVM the stopped node's threads outlive it: its statement gives up before the lock is let go.
            TestDatabase.awaitNoneWaitingForALock(holder, "FROM messages%FOR UPDATE");
            return message;
        } finally {
            first.close();
        }
    }

    /** Moves the clock past the lease of the send: without the answer kept, the next claim would send it again. */
    private static void pastTheLease(Map<String, String> database, String message) throws Exception {
        ReachNode.CLOCK.advance(Duration.between(ReachNode.CLOCK.instant(), leaseEnd(database, message)).plusSeconds(1));
    }

    private static void assertRecordedNotSentAgain(ReachNode node, HeldMeta meta, String message, int attempts) {
        await().atMost(PATIENCE).until(() -> "submitted".equals(node.api().get("/api/v1/messages/" + message)
                .json().path("status").asString()));
        JsonNode recorded = node.api().get("/api/v1/messages/" + message).json();
        assertThat(recorded.path("providerMessageId").asString()).isEqualTo("wamid.kept-1");
        assertThat(recorded.path("attempts").asInt()).isEqualTo(attempts);
        assertThat(meta.provider().requests()).as("sends Meta got").hasSize(1);
        assertThat(node.bean(UnrecordedAnswers.class).size()).isZero();
    }

    private static Instant leaseEnd(Map<String, String> database, String message) throws Exception {
        try (Connection connection = TestDatabase.connect(database);
             PreparedStatement select = connection.prepareStatement("SELECT lease_until FROM messages WHERE id = ?")) {
            select.setObject(1, UUID.fromString(message));
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getObject(1, OffsetDateTime.class).toInstant();
            }
        }
    }
}
