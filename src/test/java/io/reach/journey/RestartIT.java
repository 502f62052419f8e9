package io.reach.journey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.sandbox.SandboxNetwork;
import io.reach.support.FlowFixtures;
import io.reach.support.ReachNode;
import io.reach.support.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Reach stopped in the middle of a run (journeys waiting, sends in flight) and started again on the same database. */
class RestartIT {

    @Test
    void everyJourneyFinishesAfterARestartWithNoStepTakenTwiceAndNoMessageSentTwice() {
        int port = ReachNode.freePort();
        Map<String, String> database = TestDatabase.fresh();
        try (ReachNode sandboxNode = MultiNodeFlows.sandbox(port)) {
            SandboxNetwork sandbox = sandboxNode.bean(SandboxNetwork.class);
            String flowId;
            try (ReachNode first = MultiNodeFlows.reach("first", database, port)) {
                flowId = MultiNodeFlows.setUp(first.api(), sandbox);
                List<String> phones = FlowFixtures.importPopulation(first.api(), MultiNodeFlows.DIVISOR);
                phones.forEach(phone -> FlowFixtures.orderReady(first.api(), phone));
                String counts = "/api/v1/flows/" + flowId + "/versions/1/counts";
                // Mid-run: some journeys have decided on WhatsApp, most have not finished.
                await().atMost(MultiNodeFlows.PATIENCE).until(() -> {
                    JsonNode now = first.api().get(counts).json();
                    return now.path("steps").path("whatsapp_delivered").path("entered").asLong() >= 30;
                });
                assertThat(first.api().get(counts).json().path("ended").asLong()).isLessThan(100);
            }
            try (ReachNode second = MultiNodeFlows.reach("second", database, port)) {
                // Leases of the stopped node run out (a minute); nothing else is due that early.
                ReachNode.CLOCK.advance(Duration.ofSeconds(61));
                MultiNodeFlows.finish(second.api(), flowId);
                MultiNodeFlows.assertNothingLostOrDoubled(second.api(), flowId, sandbox);
            }
        }
    }
}
