package io.reach.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.support.Api;
import io.reach.support.Fixtures;
import io.reach.support.FlowFixtures;
import io.reach.support.ReachNode;
import io.reach.support.TestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Reach as README's first command runs it, the sandbox in its process, stopped while statuses, a reply, an SMSC's
 * receipt and a call's callbacks are still to come, and started again: the handsets owe them still, as Meta, an SMSC
 * and Twilio would, and the journeys go on with them, not with their timeouts.
 */
class SandboxRestartIT {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final String READS = "+31618880001";
    private static final String SMS = "+31618880002";
    private static final String CALL = "+31618880003";

    @Test
    void journeysGetTheStatusesRepliesReceiptsAndCallbacksTheirHandsetsOwedWhenReachAndItsSandboxRestarted() throws IOException {
        Map<String, String> database = TestDatabase.fresh();
        Path dataDir = Path.of("target", "test-data", UUID.randomUUID().toString());
        Files.createDirectories(dataDir);
        // What is still to come comes eight seconds after its send: after the stop, which comes once all are sent.
        Path rules = Files.writeString(dataDir.resolve("handsets.yml"), """
                handsets:
                  - match: "+3161888*1"
                    name: slow-reader
                    sentAfterMs: 100
                    deliveredAfterMs: 8000
                    readAfterMs: 8500
                    reply: { afterMs: 9000, button: "YES", buttonText: "Yes" }
                  - match: "+3161888*2"
                    name: slow-sms
                    whatsapp: false
                    failAfterMs: 100
                    smsAfterMs: 8000
                  - match: "+3161888*3"
                    name: slow-answer
                    whatsapp: false
                    failAfterMs: 100
                    smsDelivered: false
                    smsAfterMs: 100
                    call: answered
                    callAfterMs: 8000
                """);
        // One port for both runs, as README's first command has: Twilio's callbacks go to the address a call was made with.
        Map<String, String> settings = Map.of("reach.data-dir", dataDir.toString(),
                "reach.sandbox.rules-file", rules.toAbsolutePath().toString(), "server.port", String.valueOf(ReachNode.freePort()));
        Map<String, String> journeys = new LinkedHashMap<>();
        try (ReachNode first = ReachNode.start("first", database, settings)) {
            Api api = first.api();
            FlowFixtures.orderReadyTemplate(api);
            String flowId = FlowFixtures.publishExampleFlow(api);
            for (String phone : List.of(READS, SMS, CALL)) {
                Fixtures.contact(api, phone, Map.of("utility", true), false);
                FlowFixtures.orderReady(api, phone);
            }
            for (JsonNode journey : api.get("/api/v1/flows/" + flowId + "/journeys").json()) {
                String contact = journey.path("contactId").asString();
                String phone = api.get("/api/v1/contacts/" + contact).json().path("phone").asString();
                journeys.put(phone, journey.path("id").asString());
            }
            // Every send taken by its provider, none of what follows it come yet.
            await().atMost(PATIENCE).until(() -> "sent".equals(status(api, journeys.get(READS), "send_whatsapp"))
                    && taken(status(api, journeys.get(SMS), "send_sms")) && taken(status(api, journeys.get(CALL), "call")));
        }
        try (ReachNode second = ReachNode.start("second", database, settings)) {
            Api api = second.api();
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(journeys.entrySet()).allSatisfy(journey ->
                    assertThat(api.get("/api/v1/journeys/" + journey.getValue()).json().path("state").asString())
                            .as(journey.getKey() + ": " + path(api, journey.getValue())).isEqualTo("ENDED")));
            assertThat(path(api, journeys.get(READS))).containsExactly("send_whatsapp", "whatsapp_delivered:delivered",
                    "whatsapp_read:read", "ask_pickup:YES", "report_yes", "end");
            assertThat(path(api, journeys.get(SMS))).containsExactly("send_whatsapp", "whatsapp_delivered:failed", "send_sms",
                    "sms_delivered:delivered", "report_sms", "end");
            assertThat(path(api, journeys.get(CALL))).containsExactly("send_whatsapp", "whatsapp_delivered:failed", "send_sms",
                    "sms_delivered:failed", "call", "call_answered:delivered", "report_call", "end");
            // Nothing was sent again: the restarted sandbox took no message, and each contact has one a channel.
            SandboxNetwork sandbox = second.bean(SandboxNetwork.class);
            for (String phone : List.of(READS, SMS, CALL)) {
                assertThat(sandbox.graphApi().acceptedFor(phone)).isZero();
                assertThat(sandbox.graphApi().sendsAnsweredFor(phone)).isZero();
                assertThat(sandbox.smsc().submitsTo(phone)).isEmpty();
            }
            JsonNode messages = api.get("/api/v1/messages?campaignId=whatsapp-fallback").json();
            assertThat(messages.valueStream().map(m -> m.path("channel").asString() + " " + m.path("recipient").asString()))
                    .containsExactlyInAnyOrder("whatsapp " + READS, "whatsapp " + SMS, "whatsapp " + CALL, "sms " + SMS,
                            "sms " + CALL, "voice " + CALL);
        }
    }

    /** Whether a provider took the message, and nothing it said after that has come yet. */
    private static boolean taken(String status) {
        return "submitted".equals(status) || "sent".equals(status);
    }

    private static List<String> path(Api api, String journey) {
        return api.get("/api/v1/journeys/" + journey + "/path").json().valueStream()
                .map(step -> step.path("stepId").asString() + (step.path("branch").isMissingNode() || step.path("branch").isNull() ? ""
                        : ":" + step.path("branch").asString()))
                .toList();
    }

    /** The status of the message a journey's step sent; null before it is sent. */
    private static String status(Api api, String journey, String step) {
        String message = api.get("/api/v1/journeys/" + journey + "/path").json().valueStream()
                .filter(s -> s.path("stepId").asString().equals(step)).map(s -> s.path("messageId").asString(null))
                .filter(Objects::nonNull).findFirst().orElse(null);
        return message == null ? null : api.get("/api/v1/messages/" + message).json().path("status").asString();
    }
}
