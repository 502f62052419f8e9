package io.reach.journey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.sandbox.SandboxNetwork;
import io.reach.support.Api;
import io.reach.support.Fixtures;
import io.reach.support.FlowFixtures;
import io.reach.support.ReachNode;
import io.reach.support.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/** Two Reach nodes on one database work the same run: leases keep them apart, nothing is done twice. */
class TwoEnginesIT {

    @Test
    void twoNodesShareTheRunWithoutAdvancingAJourneyTwiceOrSendingTwice() {
        int port = ReachNode.freePort();
        Map<String, String> database = TestDatabase.fresh();
        try (ReachNode sandboxNode = MultiNodeFlows.sandbox(port);
             ReachNode one = MultiNodeFlows.reach("node-one", database, port);
             ReachNode two = MultiNodeFlows.reach("node-two", database, 0)) {
            SandboxNetwork sandbox = sandboxNode.bean(SandboxNetwork.class);
            String flowId = MultiNodeFlows.setUp(one.api(), sandbox);
            List<String> phones = FlowFixtures.importPopulation(one.api(), MultiNodeFlows.DIVISOR);
            for (int i = 0; i < phones.size(); i++) {
                FlowFixtures.orderReady(i % 2 == 0 ? one.api() : two.api(), phones.get(i));
            }

            MultiNodeFlows.finish(two.api(), flowId);

            MultiNodeFlows.assertNothingLostOrDoubled(one.api(), flowId, sandbox);
            MultiNodeFlows.assertNothingLeftInHand(one, two);
            List<String> nodes = one.bean(JdbcClient.class).sql("SELECT DISTINCT node FROM journey_steps").query(String.class).list();
            assertThat(nodes).as("both engines advanced journeys").containsExactlyInAnyOrder("node-one", "node-two");
        }
    }

    @Test
    void aNodeThatOnlyRunsTheEngineSeesTheQueueThatAnotherNodeSendsMoveAndLetsItsMessagesWaitTheirTurn() {
        int port = ReachNode.freePort();
        Map<String, String> database = TestDatabase.fresh();
        // One node sends (and hosts the sandbox), the other runs the journeys and sends nothing itself.
        try (ReachNode sending = ReachNode.start("sending", database, Map.of("server.port", String.valueOf(port),
                     "reach.sandbox.rules-file", "classpath:sandbox/flow-handsets.yml",
                     "reach.journeys.engine-enabled", "false"));
             ReachNode engine = ReachNode.start("engine", database, Map.of("reach.sandbox.enabled", "false",
                     "reach.whatsapp.dispatcher-enabled", "false"))) {
            SandboxNetwork sandbox = sending.bean(SandboxNetwork.class);
            Api api = engine.api();
            FlowFixtures.orderReadyTemplate(api);
            String flow = FlowFixtures.publishSendThenAwaitDelivery(api, "engine only", "sandbox", "order_ready", "PT30S");
            JsonNode number = api.get("/api/v1/senders").json().valueStream()
                    .filter(s -> s.path("name").asString().equals("sandbox")).findFirst().orElseThrow();
            // Through the sending node, which reads its senders' settings again at once.
            assertThat(sending.api().patch("/api/v1/senders/" + number.path("id").asString(),
                    Map.of("throughputPerSecond", 1)).status()).isEqualTo(200);
            // Past both nodes' first minute, in which a node counts every sender it has not seen as moving.
            ReachNode.CLOCK.advance(Duration.ofSeconds(61));
            // Handsets that report no status: only the timeout ends a journey.
            List<String> phones = IntStream.range(0, 8).mapToObj(i -> FlowFixtures.phone("7", 7000 + i)).toList();
            List<String> journeys = phones.stream().map(phone -> {
                Fixtures.consentingContact(api, phone);
                Api.Response started = api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", phone));
                assertThat(started.status()).as(started.body()).isEqualTo(201);
                return started.json().path("journeyId").asString();
            }).toList();
            await().atMost(MultiNodeFlows.PATIENCE).until(() -> journeys.stream().allMatch(j -> "WAITING".equals(
                    api.get("/api/v1/journeys/" + j).json().path("state").asString()))
                    && phones.stream().anyMatch(p -> sandbox.graphApi().acceptedFor(p) == 1));
            assertThat(phones).as("messages waiting their turn").anyMatch(p -> sandbox.graphApi().acceptedFor(p) == 0);

            ReachNode.CLOCK.advance(Duration.ofSeconds(31));

            // The engine's node saw the other node hand the sender's messages over: those still queued wait their turn.
            await().atMost(MultiNodeFlows.PATIENCE).until(() -> phones.stream().allMatch(p -> sandbox.graphApi().acceptedFor(p) == 1));
            assertThat(journeys).anySatisfy(j -> assertThat(path(api, j).path(1).path("outcome").asString())
                    .startsWith("waiting: its message waits its turn"));
            ReachNode.CLOCK.advance(Duration.ofSeconds(61));
            await().atMost(MultiNodeFlows.PATIENCE).untilAsserted(() -> assertThat(journeys).allSatisfy(j ->
                    assertThat(api.get("/api/v1/journeys/" + j).json().path("state").asString()).isEqualTo("ENDED")));
            for (String journey : journeys) {
                JsonNode path = path(api, journey);
                assertThat(path.path(1).path("branch").asString()).isEqualTo("timeout");
                String message = path.path(0).path("messageId").asString();
                assertThat(api.get("/api/v1/messages/" + message).json().path("status").asString())
                        .as("sent once, never withdrawn").isEqualTo("submitted");
            }
            assertThat(phones).allSatisfy(p -> assertThat(sandbox.graphApi().acceptedFor(p)).isEqualTo(1));
            assertThat(phones).allSatisfy(p -> assertThat(sandbox.graphApi().sendsAnsweredFor(p)).as(p).isEqualTo(1));
        }
    }

    private static JsonNode path(Api api, String journey) {
        return api.get("/api/v1/journeys/" + journey + "/path").json();
    }
}
