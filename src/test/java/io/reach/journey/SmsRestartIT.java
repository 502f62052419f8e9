package io.reach.journey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.sandbox.SandboxNetwork;
import io.reach.sandbox.SandboxSmsc;
import io.reach.support.Api;
import io.reach.support.Fixtures;
import io.reach.support.FlowFixtures;
import io.reach.support.ReachNode;
import io.reach.support.TestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * An SMS on the wire when its node stops, or whose answer could not be recorded as the database failed: the node
 * started again records the SMSC's answer and does not submit it again. Apart from {@link RestartIT}, so that the two
 * test JVMs share the restarts.
 */
class SmsRestartIT {

    @Test
    void anSmsOnTheWireWhenItsNodeStopsHasItsAnswerRecordedAndIsNotSentAgain() throws Exception {
        String phone = "+31619900001";
        Path rules = slowSmsc(phone);
        int port = ReachNode.freePort();
        Map<String, String> database = TestDatabase.fresh();
        try (ReachNode sandboxNode = MultiNodeFlows.sandbox(port, rules.toAbsolutePath().toString())) {
            SandboxSmsc smsc = sandboxNode.bean(SandboxNetwork.class).smsc();
            String message;
            try (ReachNode first = MultiNodeFlows.reach("first", database, port)) {
                message = sendSms(first, sandboxNode, phone);
                // On the wire: the SMSC has it, Reach waits for its answer. Then the node stops.
                await().atMost(Duration.ofSeconds(20)).until(() -> !smsc.submitsTo(phone).isEmpty());
            }
            try (ReachNode second = MultiNodeFlows.reach("second", database, port)) {
                JsonNode recorded = second.api().get("/api/v1/messages/" + message).json();
                assertThat(recorded.path("providerMessageId").asString()).as(recorded.toString())
                        .isEqualTo(smsc.submitsTo(phone).get(0).messageId());
                assertSentOnceAndDelivered(second, smsc, message, phone);
            }
        } finally {
            Files.deleteIfExists(rules);
        }
    }

    @Test
    void anSmsPartTheSmscTookWhileTheDatabaseFailedIsNotSubmittedAgainWhenItsNodeStartsAgain() throws Exception {
        String phone = "+31619900002";
        Path rules = slowSmsc(phone);
        int port = ReachNode.freePort();
        Map<String, String> database = TestDatabase.fresh();
        Path dataDir = Path.of("target", "test-data", UUID.randomUUID().toString());
        Map<String, String> settings = new HashMap<>(Map.of("reach.data-dir", dataDir.toString(),
                "reach.stop-patience", "1s"));
        // A statement that waits a second for a lock fails, as one does when the database is gone.
        settings.putAll(TestDatabase.lockTimeout(Duration.ofSeconds(1)));
        try (ReachNode sandboxNode = MultiNodeFlows.sandbox(port, rules.toAbsolutePath().toString())) {
            SandboxSmsc smsc = sandboxNode.bean(SandboxNetwork.class).smsc();
            String message;
            ReachNode first = MultiNodeFlows.reach("first", database, port, settings);
            try {
                message = sendSms(first, sandboxNode, phone);
                await().atMost(Duration.ofSeconds(20)).until(() -> !smsc.submitsTo(phone).isEmpty());
                try (Connection holder = TestDatabase.connect(database)) {
                    TestDatabase.lockRow(holder, "SELECT part_number FROM sms_parts WHERE message_id = ? FOR UPDATE",
                            UUID.fromString(message));
                    // The SMSC answers; recording its id fails on the lock, so it is kept on the disk; the node stops.
                    Path kept = dataDir.resolve("unrecorded-answers.jsonl");
                    String smscId = smsc.submitsTo(phone).get(0).messageId();
                    await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(kept)
                            && Files.readString(kept).contains(smscId));
                    first.close();
                    TestDatabase.awaitNoneWaitingForALock(holder, "UPDATE sms_parts");
                    holder.rollback();
                }
            } finally {
                first.close();
            }
            try (ReachNode second = MultiNodeFlows.reach("second", database, port, settings)) {
                assertSentOnceAndDelivered(second, smsc, message, phone);
                assertThat(second.api().get("/api/v1/messages/" + message).json().path("providerMessageId").asString())
                        .isEqualTo(smsc.submitsTo(phone).get(0).messageId());
            }
        } finally {
            Files.deleteIfExists(rules);
        }
    }

    /** Rules for one handset behind a slow SMSC: its submit_sm is taken at once, its submit_sm_resp leaves 3 s later. */
    private static Path slowSmsc(String phone) throws IOException {
        Path rules = Files.createTempFile(Path.of("target"), "slow-smsc", ".yml");
        return Files.writeString(rules, """
                handsets:
                  - match: "%s"
                    name: slow-smsc
                    smsSubmitRespAfterMs: 3000
                    smsAfterMs: 300
                """.formatted(phone));
    }

    /** Registers the sandbox's senders on {@code node}, and sends one SMS to {@code phone} once the SMPP link is up. */
    private static String sendSms(ReachNode node, ReachNode sandboxNode, String phone) {
        FlowFixtures.registerSandboxSenders(node.api(), sandboxNode.bean(SandboxNetwork.class));
        Fixtures.consentingContact(node.api(), phone);
        await().atMost(MultiNodeFlows.PATIENCE).until(() -> node.api().get("/api/v1/smpp-links").body()
                .contains("\"bound\":true"));
        Api.Response sent = node.api().post("/api/v1/messages/sms", Map.of("sender", "sandbox-sms", "to", phone,
                "text", "Your table is ready", "category", "utility"));
        assertThat(sent.status()).as(sent.body()).isEqualTo(202);
        return sent.json().path("messageId").asString();
    }

    /** Past any lease of the stopped node (a send it left unrecorded would be sent again now), the SMS is delivered, sent once. */
    private static void assertSentOnceAndDelivered(ReachNode node, SandboxSmsc smsc, String message,
                                                   String phone) {
        ReachNode.CLOCK.advance(Duration.ofSeconds(61));
        await().atMost(MultiNodeFlows.PATIENCE).until(() ->
                "delivered".equals(node.api().get("/api/v1/messages/" + message).json().path("status").asString()));
        assertThat(node.api().get("/api/v1/messages/" + message).json().path("attempts").asInt()).isEqualTo(1);
        assertThat(smsc.submitsTo(phone)).hasSize(1);
        assertThat(smsc.resubmissions()).isZero();
    }
}
