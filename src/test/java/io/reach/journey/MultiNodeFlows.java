package io.reach.journey;

import static io.reach.support.FlowFixtures.branches;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.sandbox.SandboxNetwork;
import io.reach.shared.BackgroundWorker;
import io.reach.support.Api;
import io.reach.support.FlowFixtures;
import io.reach.support.ReachNode;
import io.reach.support.TestDatabase;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;
import tools.jackson.databind.JsonNode;

/**
 * What the restart and the two-engine tests share: a sandbox network in its own node (so that it outlives the Reach
 * nodes), the example flow over 100 contacts, and the checks that nothing was lost or done twice.
 */
final class MultiNodeFlows {

    static final Duration PATIENCE = Duration.ofSeconds(90);
    static final int DIVISOR = 2;

    private MultiNodeFlows() {}

    /** A node that only runs the sandbox network, sending Meta's webhooks to {@code reachPort}. */
    static ReachNode sandbox(int reachPort) {
        return sandbox(reachPort, "classpath:sandbox/flow-handsets.yml");
    }

    /** A node that only runs the sandbox network, its handsets from {@code rulesFile}. */
    static ReachNode sandbox(int reachPort, String rulesFile) {
        return ReachNode.start("sandbox", TestDatabase.fresh(), Map.of(
                "server.port", "0",
                "reach.sandbox.graph-api-port", "0",
                "reach.sandbox.smpp.port", "0",
                "reach.sandbox.twilio.port", "0",
                "reach.sandbox.rules-file", rulesFile,
                "reach.sandbox.webhook-url", "http://127.0.0.1:" + reachPort + "/webhooks/whatsapp",
                "reach.sandbox.register-senders", "false",
                "reach.journeys.engine-enabled", "false"));
    }

    /** A Reach node on the test database, with no sandbox of its own. */
    static ReachNode reach(String name, Map<String, String> database, int port) {
        return reach(name, database, port, Map.of());
    }

    /** A Reach node on the test database, with no sandbox of its own, and these settings too. */
    static ReachNode reach(String name, Map<String, String> database, int port, Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(settings);
        all.put("server.port", String.valueOf(port));
        all.put("reach.sandbox.enabled", "false");
        return ReachNode.start(name, database, all);
    }

    /** Registers the sandbox node's numbers as senders and the example flow; returns the flow id. */
    static String setUp(Api api, SandboxNetwork sandbox) {
        FlowFixtures.registerSandboxSenders(api, sandbox);
        FlowFixtures.orderReadyTemplate(api);
        return FlowFixtures.publishExampleFlow(api);
    }

    /**
     * Moves the shared clock past the flow's timeouts, step by step, until every journey has ended. Each move waits
     * until no send is on the wire: one would outlive its lease, and be claimed and sent again.
     */
    static void finish(Api api, String flowId) {
        String counts = "/api/v1/flows/" + flowId + "/versions/1/counts";
        try {
            await().atMost(PATIENCE).untilAsserted(() -> {
                JsonNode now = api.get(counts).json();
                assertThat(branches(now, "whatsapp_delivered")).containsEntry("delivered", 45L).containsEntry("failed", 45L);
                assertThat(branches(now, "ask_pickup")).containsEntry("YES", 20L);
                // Every SMS of a failed WhatsApp, and every call of a failed SMS, has been decided.
                assertThat(branches(now, "sms_delivered")).containsEntry("delivered", 20L).containsEntry("failed", 25L);
                assertThat(branches(now, "call_answered")).containsEntry("delivered", 15L).containsEntry("failed", 10L);
            });
            // What the journeys sent has gone out: a message put back for a second after a dropped connection, or left
            // to the lease of an attempt one cut short, would fall due with its journey's timeout after the move, and be
            // withdrawn by it (as a message still held a timeout after its step began is), not sent.
            String queued = "/api/v1/messages?campaignId=" + api.get("/api/v1/flows/" + flowId).json().path("name").asString()
                    + "&status=queued";
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(api.get(queued).json()).as("messages still queued").isEmpty());
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + "\nJourneys that have not ended, with their messages:\n" + unfinished(api, flowId), e);
        }
        ReachNode.CLOCK.advance(Duration.ofMinutes(10).plusSeconds(1));
        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(branches(api.get(counts).json(), "sms_delivered")).containsEntry("delivered", 30L));
        ReachNode.CLOCK.advance(Duration.ofHours(1));
        ReachNode.CLOCK.advance(Duration.ofHours(24));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(api.get(counts).json().path("ended").asLong()).isEqualTo(100));
    }

    /** Once every journey ended, no worker of these nodes still holds a send or a journey in hand. */
    static void assertNothingLeftInHand(ReachNode... nodes) {
        for (ReachNode node : nodes) {
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(node.beans(BackgroundWorker.class))
                    .isNotEmpty().allSatisfy((name, worker) -> assertThat(worker.itemsInHand()).as(name).isZero()));
        }
    }

    /** Each journey that has not ended: where it is, and each of its messages with its timeline. */
    private static String unfinished(Api api, String flowId) {
        StringBuilder out = new StringBuilder();
        for (JsonNode journey : api.get("/api/v1/flows/" + flowId + "/journeys?limit=1000").json()) {
            if (journey.path("state").asString().equals("ENDED")) {
                continue;
            }
            out.append(journey).append('\n');
            for (JsonNode step : api.get("/api/v1/journeys/" + journey.path("id").asString() + "/path").json()) {
                String message = step.path("messageId").asString(null);
                out.append("  ").append(step.path("stepId").asString()).append(' ').append(step.path("outcome").asString(""))
                        .append(message == null ? "" : " " + api.get("/api/v1/messages/" + message).json()).append('\n');
            }
        }
        return out.toString();
    }

    /** Reach's messages to a phone, each with its timeline, a line each. */
    private static String messagesTo(Api api, String phone) {
        StringBuilder out = new StringBuilder();
        String number = URLEncoder.encode(phone, StandardCharsets.UTF_8);
        for (JsonNode contact : api.get("/api/v1/contacts?phone=" + number).json()) {
            for (JsonNode message : api.get("/api/v1/messages?contactId=" + contact.path("id").asString()).json()) {
                out.append("  ").append(api.get("/api/v1/messages/" + message.path("id").asString()).json()).append('\n');
            }
        }
        return out.toString();
    }

    /** The counts match the mix, every contact got each message at most once, and no journey took a step twice. */
    static void assertNothingLostOrDoubled(Api api, String flowId, SandboxNetwork sandbox) {
        JsonNode counts = api.get("/api/v1/flows/" + flowId + "/versions/1/counts").json();
        assertThat(counts.path("failed").asLong()).isZero();
        assertThat(branches(counts, "whatsapp_delivered")).isEqualTo(Map.of("delivered", 45L, "failed", 45L, "timeout", 10L));
        assertThat(branches(counts, "whatsapp_read")).isEqualTo(Map.of("read", 30L, "timeout", 15L));
        assertThat(branches(counts, "ask_pickup")).isEqualTo(Map.of("YES", 20L, "no_reply", 10L));
        assertThat(branches(counts, "sms_delivered")).isEqualTo(Map.of("delivered", 30L, "failed", 25L));
        assertThat(branches(counts, "call_answered")).isEqualTo(Map.of("delivered", 15L, "failed", 10L));
        FlowFixtures.MIX.forEach((group, count) -> {
            for (int i = 0; i < count / DIVISOR; i++) {
                String phone = FlowFixtures.phone(group, i);
                boolean whatsAppFailed = List.of("4", "5", "6", "7").contains(group);
                boolean smsFailed = List.of("5", "6").contains(group);
                assertThat(sandbox.graphApi().acceptedFor(phone)).as(() -> "WhatsApp to " + phone + "; Reach's messages to it:\n"
                        + messagesTo(api, phone)).isEqualTo(1);
                // Each answered send would have been a message of its own at Meta, which de-duplicates nothing.
                assertThat(sandbox.graphApi().sendsAnsweredFor(phone)).as("WhatsApp sends answered for " + phone).isEqualTo(1);
                assertThat(sandbox.smsc().submitsTo(phone)).as("SMS to " + phone).hasSize(whatsAppFailed ? 1 : 0);
                assertThat(sandbox.twilio().createdFor("call", phone)).as("calls to " + phone).hasSize(smsFailed ? 1 : 0);
            }
        });
        // Submits and creates the sandbox answered as repeats: a real SMSC and Twilio would have sent those again.
        assertThat(sandbox.smsc().resubmissions()).as("SMS submitted again").isZero();
        assertThat(sandbox.twilio().replays()).as(() -> "calls placed again, with Reach's view of each:\n"
                + sandbox.twilio().replayed().stream().map(repeat -> repeat.form().get("To") + " " + api.get("/api/v1/messages/"
                        + repeat.form().get("StatusCallback").replaceAll(".*/", "")).json()).collect(Collectors.joining("\n")))
                .isZero();
        for (JsonNode journey : api.get("/api/v1/flows/" + flowId + "/journeys?limit=1000").json()) {
            JsonNode path = api.get("/api/v1/journeys/" + journey.path("id").asString() + "/path").json();
            Set<String> seen = new HashSet<>();
            int seq = 0;
            for (JsonNode step : path) {
                assertThat(step.path("seq").asInt()).isEqualTo(++seq);
                assertThat(seen.add(step.path("stepId").asString())).as("step taken twice: " + path).isTrue();
            }
            assertThat(journey.path("state").asString()).isEqualTo("ENDED");
        }
        assertThat(api.get("/api/v1/flows/" + flowId + "/reports?limit=1000").json()).hasSize(100);
    }
}
