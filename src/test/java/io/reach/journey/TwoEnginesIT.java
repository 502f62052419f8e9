package io.reach.journey;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.sandbox.SandboxNetwork;
import io.reach.support.FlowFixtures;
import io.reach.support.ReachNode;
import io.reach.support.TestDatabase;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;

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
            List<String> nodes = one.bean(JdbcClient.class).sql("SELECT DISTINCT node FROM journey_steps").query(String.class).list();
            assertThat(nodes).as("both engines advanced journeys").containsExactlyInAnyOrder("node-one", "node-two");
        }
    }
}
