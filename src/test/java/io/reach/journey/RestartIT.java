package io.reach.journey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.sandbox.SandboxNetwork;
import io.reach.shared.Ids;
import io.reach.support.Api;
import io.reach.support.FakeProvider;
import io.reach.support.Fixtures;
import io.reach.support.FlowFixtures;
import io.reach.support.ReachNode;
import io.reach.support.TestDatabase;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Reach stopped in the middle of a run (journeys waiting, sends in flight) and started again on the same database;
 * and the leases of journeys a node claimed ahead, given back when it stops or when they waited too long. An SMS on
 * the wire as its node stops: {@link SmsRestartIT}.
 */
class RestartIT {

    @Test
    void everyJourneyFinishesAfterARestartWithNoStepTakenTwiceAndNoMessageSentTwice() throws Exception {
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
            // A node that stops finishes the turns in hand and gives back every lease, also of journeys it claimed
            // ahead and did not take up: another node need not wait for them to run out.
            assertThat(leasedJourneys(database)).isZero();
            // Down for a minute, in which any lease of the stopped node runs out; nothing else is due that early. Not
            // once the next node is up: a send it has on the wire would outlive its lease, and be claimed again.
            ReachNode.CLOCK.advance(Duration.ofSeconds(61));
            try (ReachNode second = MultiNodeFlows.reach("second", database, port)) {
                MultiNodeFlows.finish(second.api(), flowId);
                MultiNodeFlows.assertNothingLostOrDoubled(second.api(), flowId, sandbox);
                MultiNodeFlows.assertNothingLeftInHand(second);
            }
        }
    }

    @Test
    void everyJourneyFinishesWhenPostgreSqlDropsEveryConnectionMidRunWithNoStepTakenTwiceAndNoMessageSentTwice() throws Exception {
        Assumptions.assumeTrue(TestDatabase.postgres(), "PostgreSQL only: an embedded H2 drops no connection");
        int port = ReachNode.freePort();
        Map<String, String> database = TestDatabase.fresh();
        // Leases far longer than the test's patience: a journey whose turn the drop cut short must be given back at
        // once, not when its lease ends.
        try (ReachNode sandboxNode = MultiNodeFlows.sandbox(port);
             ReachNode node = ReachNode.start("outage", database, Map.of("server.port", String.valueOf(port),
                     "reach.sandbox.enabled", "false", "reach.journeys.lease", "10m"))) {
            SandboxNetwork sandbox = sandboxNode.bean(SandboxNetwork.class);
            String flowId = MultiNodeFlows.setUp(node.api(), sandbox);
            List<String> phones = FlowFixtures.importPopulation(node.api(), MultiNodeFlows.DIVISOR);
            phones.forEach(phone -> FlowFixtures.orderReady(node.api(), phone));
            String counts = "/api/v1/flows/" + flowId + "/versions/1/counts";

            // As a restart or a failover of the server would, four times: while WhatsApp's statuses come in, and
            // while the fallbacks go out. Every statement under way fails; the pool opens new connections.
            for (Map.Entry<String, Integer> progress : List.of(Map.entry("whatsapp_delivered", 20), Map.entry("whatsapp_delivered", 50),
                    Map.entry("send_sms", 10), Map.entry("call", 5))) {
                await().atMost(MultiNodeFlows.PATIENCE).until(() -> node.api().get(counts).json().path("steps")
                        .path(progress.getKey()).path("entered").asLong() >= progress.getValue());
                assertThat(TestDatabase.dropConnections(database)).as("connections dropped").isPositive();
            }

            MultiNodeFlows.finish(node.api(), flowId);
            MultiNodeFlows.assertNothingLostOrDoubled(node.api(), flowId, sandbox);
            MultiNodeFlows.assertNothingLeftInHand(node);
        }
    }

    @Test
    void aStoppingNodeGivesBackTheLeasesOfRunningJourneysItClaimedAheadAndDidNotTakeUp() throws Exception {
        Map<String, String> database = TestDatabase.fresh();
        // A backend that takes the connection and never answers: each journey's first step waits out its timeout,
        // so that the two journeys the running share allows are in flight and the others are claimed ahead.
        try (ServerSocket silent = silentBackend(); ReachNode node = withRunningShare("stopping", database, 2)) {
            String flowId = slowFlow(node.api(), "{\"type\":\"api\"}", silent.getLocalPort(), "PT1S");
            for (int i = 0; i < 10; i++) {
                start(node.api(), flowId, "+3161400000" + i);
            }
            // More leased than the two in flight: the others are claimed ahead (once a slot first frees up).
            await().atMost(Duration.ofSeconds(20)).until(() -> leasedJourneys(database) > 2);

            node.close();

            assertThat(count(database, "SELECT COUNT(*) FROM journeys WHERE state = 'RUNNING'"))
                    .as("journeys the node had claimed and not taken up").isPositive();
            assertThat(leasedJourneys(database)).isZero();
        }
    }

    @Test
    void runningJourneysClaimedAheadAreGivenBackOnceHalfTheirLeaseIsGone() throws Exception {
        Map<String, String> database = TestDatabase.fresh();
        // One running journey at a time, each waiting out a 3 s fetch: those claimed ahead wait in line.
        try (ServerSocket silent = silentBackend(); ReachNode node = withRunningShare("slow", database, 1)) {
            for (int i = 0; i < 4; i++) {
                Fixtures.consentingContact(node.api(), "+3161500000" + i);
            }
            String flowId = slowFlow(node.api(), "{\"type\":\"audience\",\"audience\":{\"consent\":\"utility\"}}",
                    silent.getLocalPort(), "PT3S");
            // All four start in one transaction: the engine's first claim takes them, one in flight, three ahead.
            assertThat(FlowFixtures.launch(node.api(), flowId).path("started").asInt()).isEqualTo(4);
            String unleasedRunning = "SELECT COUNT(*) FROM journeys WHERE state = 'RUNNING' AND lease_until IS NULL";
            await().atMost(Duration.ofSeconds(2)).until(() -> count(database,
                    "SELECT COUNT(*) FROM journeys WHERE state = 'RUNNING' AND lease_until IS NOT NULL") == 4);

            ReachNode.CLOCK.advance(Duration.ofSeconds(31)); // half the minute's lease

            // The three still in line are given back (and claimed afresh once the one in flight is done).
            await().atMost(Duration.ofSeconds(2)).until(() -> count(database, unleasedRunning) == 3);
        }
    }

    @Test
    void claimsAheadAreGivenBackOnceHalfTheirLeaseIsGoneEvenWhileEveryThreadIsBusy() throws Exception {
        Map<String, String> database = TestDatabase.fresh();
        // One engine thread, taken by a 20 s fetch: the engine makes no claim meanwhile, and those it claimed ahead
        // must still be given back at half their lease, not when the thread frees up.
        try (ReachNode node = ReachNode.start("busy", database, Map.of("reach.sandbox.enabled", "false",
                "reach.journeys.concurrency", "1", "reach.journeys.running-concurrency", "1"));
             ServerSocket silent = silentBackend()) {
            for (int i = 0; i < 4; i++) {
                Fixtures.consentingContact(node.api(), "+3161500001" + i);
            }
            String flowId = slowFlow(node.api(), "{\"type\":\"audience\",\"audience\":{\"consent\":\"utility\"}}",
                    silent.getLocalPort(), "PT20S");
            assertThat(FlowFixtures.launch(node.api(), flowId).path("started").asInt()).isEqualTo(4);
            await().atMost(Duration.ofSeconds(5)).until(() -> count(database,
                    "SELECT COUNT(*) FROM journeys WHERE state = 'RUNNING' AND lease_until IS NOT NULL") == 4);

            ReachNode.CLOCK.advance(Duration.ofSeconds(31));

            await().atMost(Duration.ofSeconds(5)).until(() -> count(database,
                    "SELECT COUNT(*) FROM journeys WHERE state = 'RUNNING' AND lease_until IS NULL") == 3);
        }
    }

    @Test
    void aLaunchANodeLeftHalfWayGoesOnFromItsLastPageOnAnotherNodeUnlessItsFlowWasStopped() throws Exception {
        Map<String, String> database = TestDatabase.fresh();
        int audience = 1200;
        String launchId;
        String stoppedLaunchId;
        String cancelledLaunchId;
        // The first node records the launch and works none of it (its engine is off), as if it died at once.
        try (ReachNode first = ReachNode.start("launcher", database, Map.of("reach.sandbox.enabled", "false",
                "reach.journeys.engine-enabled", "false"))) {
            StringBuilder csv = new StringBuilder("phone,consent\n");
            for (int i = 0; i < audience; i++) {
                csv.append("+316151").append(String.format("%05d", i)).append(",utility\n");
            }
            Api.Response imported = first.api().postRaw("/api/v1/contacts/import", "text/csv",
                    csv.toString().getBytes(StandardCharsets.UTF_8), Map.of());
            assertThat(imported.json().path("created").asInt()).as(imported.body()).isEqualTo(audience);
            String flowId = FlowFixtures.publish(first.api(), """
                    {"name":"half-launched","entry":{"type":"audience","audience":{"consent":"utility"}},"start":"pause",
                     "steps":[{"id":"pause","type":"wait","duration":"P1D","next":"end"},{"id":"end","type":"end"}]}""");
            Api.Response launched = first.api().post("/api/v1/flows/" + flowId + "/launch", "");
            assertThat(launched.status()).as(launched.body()).isEqualTo(202);
            assertThat(launched.json().path("state").asString()).isEqualTo("RUNNING");
            assertThat(launched.json().path("audienceSize").asInt()).isEqualTo(audience);
            launchId = launched.json().path("id").asString();
            String stoppedFlowId = FlowFixtures.publish(first.api(), """
                    {"name":"launched-then-stopped","entry":{"type":"audience","audience":{"consent":"utility"}},
                     "start":"end","steps":[{"id":"end","type":"end"}]}""");
            stoppedLaunchId = first.api().post("/api/v1/flows/" + stoppedFlowId + "/launch", "").json().path("id").asString();
            assertThat(first.api().post("/api/v1/flows/" + stoppedFlowId + "/stop", "").status()).isEqualTo(200);
            // A running launch cancelled takes no more contacts.
            String cancelledFlowId = FlowFixtures.publish(first.api(), """
                    {"name":"launched-then-cancelled","entry":{"type":"audience","audience":{"consent":"utility"}},
                     "start":"end","steps":[{"id":"end","type":"end"}]}""");
            cancelledLaunchId = first.api().post("/api/v1/flows/" + cancelledFlowId + "/launch", "").json().path("id").asString();
            Api.Response cancelled = first.api().post("/api/v1/launches/" + cancelledLaunchId + "/cancel", "");
            assertThat(cancelled.status()).as(cancelled.body()).isEqualTo(200);
            assertThat(cancelled.json().path("state").asString()).isEqualTo("CANCELLED");
            assertThat(cancelled.json().has("finishedAt")).isTrue();
        }
        // What a node that died after its first page leaves: that page's progress, committed with its journeys (left
        // out here, to show that the launch goes on from its last page, not from the start).
        String cursor;
        try (Connection connection = TestDatabase.connect(database)) {
            ResultSet fifthHundredth = connection.createStatement()
                    .executeQuery("SELECT id FROM contacts ORDER BY id LIMIT 1 OFFSET 499");
            fifthHundredth.next();
            cursor = fifthHundredth.getString(1);
            PreparedStatement progress = connection.prepareStatement(
                    "UPDATE launches SET after_contact_id = ?, taken = 500 WHERE id = ?");
            progress.setObject(1, UUID.fromString(cursor));
            progress.setObject(2, UUID.fromString(launchId));
            assertThat(progress.executeUpdate()).isEqualTo(1);
        }

        try (ReachNode second = withRunningShare("second", database, 1)) {
            JsonNode done = FlowFixtures.awaitLaunch(second.api(), launchId, "DONE");
            assertThat(done.path("taken").asInt()).isEqualTo(audience);
            assertThat(done.path("started").asInt()).isEqualTo(audience - 500);
            assertThat(done.has("finishedAt")).isTrue();
            FlowFixtures.awaitLaunch(second.api(), stoppedLaunchId, "STOPPED");
            assertThat(second.api().get("/api/v1/launches/" + cancelledLaunchId).json().path("state").asString())
                    .isEqualTo("CANCELLED");
        }
        assertThat(count(database, "SELECT COUNT(*) FROM journeys")).isEqualTo(audience - 500);
        assertThat(count(database, "SELECT COUNT(DISTINCT contact_id) FROM journeys")).isEqualTo(audience - 500);
        assertThat(count(database, "SELECT COUNT(*) FROM journeys WHERE contact_id <= '" + cursor + "'")).isZero();
    }

    @Test
    void theCancellationOfAStoppedFlowsJourneysThatANodeLeftHalfWayIsFinishedByAnotherNode() throws Exception {
        Map<String, String> database = TestDatabase.fresh();
        int underWay = Journeys.STOP_CHUNKS * Journeys.CANCEL_CHUNK + 700;
        String flowId;
        String cancellationId;
        // The first node's worker is off (its engine is): its stop cancels the first chunks itself, answers, and is gone.
        try (ReachNode first = ReachNode.start("stopper", database, Map.of("reach.sandbox.enabled", "false",
                "reach.journeys.engine-enabled", "false"))) {
            flowId = FlowFixtures.publish(first.api(), """
                    {"name":"stopped-half-way","entry":{"type":"api"},"start":"pause",
                     "steps":[{"id":"pause","type":"wait","duration":"P1D","next":"end"},{"id":"end","type":"end"}]}""");
            String contactId = Fixtures.consentingContact(first.api(), "+31612470001").path("id").asString();
            String versionId = first.api().get("/api/v1/flows/" + flowId + "/versions").json().path(0).path("id").asString();
            try (Connection connection = TestDatabase.connect(database);
                 PreparedStatement insert = connection.prepareStatement("INSERT INTO journeys (id, flow_version_id,"
                         + " contact_id, state, current_step, variables, wake_at, started_at, updated_at) VALUES (?, ?, ?,"
                         + " 'WAITING', 'pause', '{}', ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")) {
                for (int i = 0; i < underWay; i++) {
                    insert.setObject(1, Ids.newId());
                    insert.setObject(2, UUID.fromString(versionId));
                    insert.setObject(3, UUID.fromString(contactId));
                    // A day after the nodes' clock, which other tests have moved on: the second node's engine leaves them be.
                    insert.setObject(4, ReachNode.CLOCK.instant().plus(Duration.ofDays(1)).atOffset(ZoneOffset.UTC));
                    insert.addBatch();
                }
                insert.executeBatch();
            }

            Api.Response stopped = first.api().post("/api/v1/flows/" + flowId + "/stop?cancelJourneys=true", "");

            assertThat(stopped.status()).as(stopped.body()).isEqualTo(202);
            assertThat(stopped.json().path("cancellation").path("state").asString()).isEqualTo("RUNNING");
            assertThat(stopped.json().path("cancellation").path("cancelledJourneys").asInt())
                    .isEqualTo(Journeys.STOP_CHUNKS * Journeys.CANCEL_CHUNK);
            cancellationId = stopped.json().path("cancellation").path("id").asString();
            Api.Response refused = first.api().post("/api/v1/flows/" + flowId + "/resume", "");
            assertThat(refused.status()).as(refused.body()).isEqualTo(409);
            assertThat(refused.json().path("error").asString()).isEqualTo("flow_cancelling");
        }

        try (ReachNode second = ReachNode.start("second", database, Map.of("reach.sandbox.enabled", "false"))) {
            await().atMost(MultiNodeFlows.PATIENCE).until(() -> "DONE".equals(
                    second.api().get("/api/v1/cancellations/" + cancellationId).json().path("state").asString()));
            assertThat(second.api().get("/api/v1/cancellations/" + cancellationId).json().path("cancelledJourneys").asInt())
                    .isEqualTo(underWay);
            assertThat(second.api().post("/api/v1/flows/" + flowId + "/resume", "").status()).isEqualTo(200);
        }
        assertThat(count(database, "SELECT COUNT(*) FROM journeys WHERE state = 'CANCELLED'")).isEqualTo(underWay);
        assertThat(count(database, "SELECT COUNT(*) FROM journeys WHERE state <> 'CANCELLED'")).isZero();
    }

    @Test
    void timeoutsThatCameDueWhileReachWasStoppedWaitForTheQueueToMoveAgainInsteadOfWithdrawingItsMessages() throws Exception {
        Map<String, String> database = TestDatabase.fresh();
        List<String> phones = IntStream.range(0, 8).mapToObj(i -> "+3161520000" + i).toList();
        List<String> journeys = new ArrayList<>();
        // Meta, which the test can keep from answering: a send then waits, and nothing goes out meanwhile.
        AtomicReference<CountDownLatch> answers =
                new AtomicReference<>(new CountDownLatch(0));
        try (FakeProvider meta = new FakeProvider((n, request) -> {
            try {
                answers.get().await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return FakeProvider.metaAccepted(n);
        })) {
            // A broadcast from a number that sends one a second, stopped when its first message went out.
            try (ReachNode first = ReachNode.start("broadcasting", database, Map.of("reach.sandbox.enabled", "false"))) {
                Api api = first.api();
                Api.Response sender = api.post("/api/v1/senders", Map.of("name", "one-a-second", "phoneNumberId",
                        "106540352249190", "wabaId", "102290129349100", "displayNumber", "+15550789190", "accessToken",
                        "EAAJB-restart-token", "appSecret", "restart-app-secret", "verifyToken", "restart-verify",
                        "graphApiBaseUrl", meta.baseUrl(), "graphApiVersion", "v21.0", "throughputPerSecond", 1));
                assertThat(sender.status()).as(sender.body()).isEqualTo(201);
                Fixtures.orderTemplate(api, "order_ready_restart");
                String flowId = FlowFixtures.publish(api, """
                        {"name":"broadcast-restarted","entry":{"type":"api"},"start":"send","steps":[
                         {"id":"send","type":"send_whatsapp","sender":"one-a-second","template":"order_ready_restart",
                          "language":"en_US","headerParameters":["A-1"],"bodyParameters":["you","A-1"],"next":"status"},
                         {"id":"status","type":"branch_on_status","message":"send","timeout":"PT1M",
                          "branches":{"delivered":"end","timeout":"end"}},
                         {"id":"end","type":"end"}]}""");
                for (String phone : phones) {
                    Fixtures.consentingContact(api, phone);
                    Api.Response started = api.post("/api/v1/flows/" + flowId + "/journeys", Map.of("to", phone));
                    assertThat(started.status()).as(started.body()).isEqualTo(201);
                    journeys.add(started.json().path("journeyId").asString());
                }
                await().atMost(Duration.ofSeconds(20)).until(() -> !meta.requests().isEmpty());
            }
            long queued = count(database, "SELECT COUNT(*) FROM messages WHERE status = 'QUEUED'");
            assertThat(queued).as("messages the stop left in the queue").isPositive();
            // One of them as a crash in the middle of a claim leaves it: its attempt counted, and never made.
            try (Connection connection = TestDatabase.connect(database)) {
                assertThat(connection.createStatement().executeUpdate("UPDATE messages SET attempts = 1 WHERE id ="
                        + " (SELECT id FROM messages WHERE status = 'QUEUED' ORDER BY id LIMIT 1)")).isEqualTo(1);
            }

            // Down for two minutes: every journey's timeout came due meanwhile. Back up, its first send waits on Meta,
            // so that no message has gone out yet when the engine takes up the timeouts.
            ReachNode.CLOCK.advance(Duration.ofMinutes(2));
            CountDownLatch meantime = new CountDownLatch(1);
            answers.set(meantime);
            try (ReachNode second = ReachNode.start("restarted", database, Map.of("reach.sandbox.enabled", "false"))) {
                Api api = second.api();
                // Those whose message is still queued wait for it to go out, instead of giving up on it.
                await().atMost(Duration.ofSeconds(15)).until(() -> journeys.stream().filter(j -> {
                    JsonNode path = api.get("/api/v1/journeys/" + j + "/path").json();
                    return path.path(1).path("outcome").asString("").startsWith("waiting: its message waits its turn");
                }).count() == queued);
                assertThat(count(database, "SELECT COUNT(*) FROM messages WHERE status = 'BLOCKED'")).isZero();
                meantime.countDown();

                // The queue moves again: every message goes out once, none is withdrawn.
                await().atMost(Duration.ofSeconds(30)).until(() -> phones.stream().allMatch(p -> meta.requestsTo(p).size() == 1));
                assertThat(count(database, "SELECT COUNT(*) FROM messages WHERE status = 'BLOCKED'")).isZero();
                // Each timeout counts from when its message went out as recorded, which follows Meta's request: moved
                // before the last one was recorded, the clock would give that one its whole minute again (a CI run).
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        count(database, "SELECT COUNT(*) FROM messages WHERE status = 'SUBMITTED'") == phones.size());

                ReachNode.CLOCK.advance(Duration.ofSeconds(61));
                await().atMost(Duration.ofSeconds(20)).until(() -> journeys.stream()
                        .allMatch(j -> "ENDED".equals(api.get("/api/v1/journeys/" + j).json().path("state").asString())));
                for (String journey : journeys) {
                    JsonNode status = api.get("/api/v1/journeys/" + journey + "/path").json().path(1);
                    assertThat(status.path("branch").asString()).isEqualTo("timeout");
                    assertThat(status.path("outcome").asString()).isEqualTo("no decision in time");
                }
                assertThat(phones).allSatisfy(p -> assertThat(meta.requestsTo(p)).hasSize(1));
            }
        }
    }

    @Test
    void aJourneyClaimedAgainWhileItsNodeStillFetchesForItCallsTheBackendOnce() throws Exception {
        Map<String, String> database = TestDatabase.fresh();
        CountDownLatch answer = new CountDownLatch(1);
        // A backend that answers once the test says so; threads to spare, so that a second turn would start at once.
        try (FakeProvider backend = new FakeProvider((n, request) -> {
                 try {
                     answer.await(30, TimeUnit.SECONDS);
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
                 return new FakeProvider.Answer(200, "{\"tier\":\"gold\"}");
             });
             ReachNode node = withRunningShare("fetching", database, 4)) {
            String flowId = slowFlow(node.api(), "{\"type\":\"api\"}",
                    URI.create(backend.baseUrl()).getPort(), "PT20S");
            start(node.api(), flowId, "+31615300001");
            await().atMost(Duration.ofSeconds(20)).until(() -> backend.requests().size() == 1);

            // Past its lease (the fetch's longest time and a minute) while the backend holds its answer: the next
            // claim takes the journey again.
            Instant leasedUntil = leaseEnd(database);
            ReachNode.CLOCK.advance(Duration.between(ReachNode.CLOCK.instant(), leasedUntil).plusSeconds(1));
            await().atMost(Duration.ofSeconds(20)).until(() -> leaseEnd(database).isAfter(leasedUntil.plusSeconds(1)));
            answer.countDown();

            await().atMost(Duration.ofSeconds(20)).until(() -> count(database,
                    "SELECT COUNT(*) FROM journeys WHERE state = 'ENDED'") == 1);
            assertThat(backend.requests()).as("calls the backend got").hasSize(1);
            assertThat(count(database, "SELECT COUNT(*) FROM journey_steps WHERE step_id = 'fetch'")).isEqualTo(1);
        }
    }

    /** When the lease of the database's one journey ends (the distant past when it has none). */
    private static Instant leaseEnd(Map<String, String> database) throws SQLException {
        try (Connection connection = TestDatabase.connect(database);
             ResultSet rows = connection.createStatement().executeQuery("SELECT lease_until FROM journeys")) {
            rows.next();
            OffsetDateTime until = rows.getObject(1, OffsetDateTime.class);
            return until == null ? Instant.EPOCH : until.toInstant();
        }
    }

    /** A backend that takes connections and never answers. */
    private static ServerSocket silentBackend() throws IOException {
        return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    private static ReachNode withRunningShare(String name, Map<String, String> database, int share) {
        return ReachNode.start(name, database, Map.of("reach.sandbox.enabled", "false",
                "reach.journeys.running-concurrency", String.valueOf(share)));
    }

    private static String slowFlow(Api api, String entry, int silentPort, String timeout) {
        return FlowFixtures.publish(api, """
                {"name":"slow-start","entry":%s,"start":"fetch","steps":[
                 {"id":"fetch","type":"fetch_variables","request":{"method":"GET",
                  "url":"http://127.0.0.1:%d/customer","timeout":"%s"},"extract":{"tier":"/tier"},
                  "branches":{"success":"end","failure":"end"}},
                 {"id":"end","type":"end"}]}""".formatted(entry, silentPort, timeout));
    }

    private static void start(Api api, String flowId, String phone) {
        Fixtures.consentingContact(api, phone);
        Api.Response started = api.post("/api/v1/flows/" + flowId + "/journeys", Map.of("to", phone));
        assertThat(started.status()).as(started.body()).isEqualTo(201);
    }

    private static long leasedJourneys(Map<String, String> database) throws SQLException {
        return count(database, "SELECT COUNT(*) FROM journeys WHERE lease_until IS NOT NULL");
    }

    private static long count(Map<String, String> database, String sql) throws SQLException {
        try (Connection connection = TestDatabase.connect(database);
             ResultSet rs = connection.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
