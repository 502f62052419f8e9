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
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Reach as README's first command runs it, the sandbox in its own process, stopped while a message's statuses and
 * reply are still to come and started again: the handsets owe them still, as Meta would, and the journey goes on
 * with them, not with its timeout.
 */
class SandboxRestartIT {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final String PHONE = "+31618880001";

    @Test
    void aJourneyGetsTheStatusesAndTheReplyItsHandsetOwedWhenReachAndItsSandboxRestarted() throws IOException {
        Map<String, String> database = TestDatabase.fresh();
        Path dataDir = Path.of("target", "test-data", UUID.randomUUID().toString());
        Files.createDirectories(dataDir);
        // Delivered, read and answered seconds after the send: after the stop, which comes once it is sent.
        Path rules = Files.writeString(dataDir.resolve("handsets.yml"), """
                handsets:
                  - match: "+3161888*"
                    name: slow-reader
                    sentAfterMs: 100
                    deliveredAfterMs: 4000
                    readAfterMs: 4500
                    reply: { afterMs: 5000, button: "YES", buttonText: "Yes" }
                  - match: "+*"
                    name: reads
                    sentAfterMs: 100
                    deliveredAfterMs: 300
                """);
        Map<String, String> settings = Map.of("reach.data-dir", dataDir.toString(),
                "reach.sandbox.rules-file", rules.toAbsolutePath().toString());
        String flowId;
        String journey;
        try (ReachNode first = ReachNode.start("first", database, settings)) {
            Api api = first.api();
            FlowFixtures.orderReadyTemplate(api);
            flowId = FlowFixtures.publishExampleFlow(api);
            Fixtures.contact(api, PHONE, Map.of("utility", true), false);
            FlowFixtures.orderReady(api, PHONE);
            journey = api.get("/api/v1/flows/" + flowId + "/journeys").json().path(0).path("id").asString();
            await().atMost(PATIENCE).until(() -> "SENT".equalsIgnoreCase(messageStatus(api, journey)));
        }
        try (ReachNode second = ReachNode.start("second", database, settings)) {
            Api api = second.api();
            await().atMost(PATIENCE).untilAsserted(() ->
                    assertThat(api.get("/api/v1/journeys/" + journey).json().path("state").asString()).isEqualTo("ENDED"));
            List<String> path = api.get("/api/v1/journeys/" + journey + "/path").json().valueStream()
                    .map(step -> step.path("stepId").asString() + (step.path("branch").isMissingNode() ? ""
                            : ":" + step.path("branch").asString()))
                    .toList();
            assertThat(path).containsExactly("send_whatsapp", "whatsapp_delivered:delivered", "whatsapp_read:read",
                    "ask_pickup:YES", "report_yes", "end");
            assertThat(messageStatus(api, journey)).isEqualToIgnoringCase("read");
            // Nothing was sent again: the restarted sandbox accepted no message, and the contact has its one.
            assertThat(second.bean(SandboxNetwork.class).graphApi().acceptedFor(PHONE)).isZero();
            JsonNode messages = api.get("/api/v1/messages?campaignId=whatsapp-fallback").json();
            assertThat(messages).hasSize(1);
        }
    }

    private static String messageStatus(Api api, String journey) {
        String message = api.get("/api/v1/journeys/" + journey + "/path").json().path(0).path("messageId").asString(null);
        return message == null ? null : api.get("/api/v1/messages/" + message).json().path("status").asString();
    }
}
