package io.reach.journey;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.flow.FlowVersion;
import io.reach.flow.Flows;
import io.reach.shared.Dialect;
import io.reach.shared.Ids;
import io.reach.shared.OldestFirst;
import io.reach.shared.Times;
import io.reach.support.Api;
import io.reach.support.Fixtures;
import io.reach.support.FlowFixtures;
import io.reach.support.OffsetClock;
import io.reach.support.OffsetClockConfiguration;
import io.reach.support.OpenTransactions;
import io.reach.support.ReachIntegrationTest;
import io.reach.support.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import org.springframework.transaction.support.TransactionTemplate;

/** Which journeys the engine claims first; the engine itself is off, so the test does the claiming. */
@TestPropertySource(properties = "reach.journeys.engine-enabled=false")
@Import(OffsetClockConfiguration.class)
class JourneyClaimsIT extends ReachIntegrationTest {

    @Autowired
    OffsetClock clock;

    @Autowired
    JourneyStore store;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    TransactionTemplate transactions;

    @Autowired
    Flows flows;

    @Autowired
    Journeys journeys;

    @Autowired
    JdbcTemplate batches;

    @Autowired
    CancellationWorker cancellationWorker;

    @Autowired
    CancellationStore cancellations;

    @Autowired
    LaunchWorker launchWorker;

    @Autowired
    Dialect dialect;

    @BeforeEach
    void endJourneysOfOtherTests() {
        // Each test counts what it claims; journeys another test left (their leases run out as its clock moves on)
        // would be claimed too.
        jdbc.sql("UPDATE journeys SET state = 'ENDED', lease_until = NULL").update();
    }

    @Test
    void theEnginesClaimsAndStepWritesAloneCommitWithoutWaitingForTheFlush() {
        // H2 has no such setting (the engine's transactions run these same writes there, without it, in every test).
        Assumptions.assumeTrue(TestDatabase.postgres(), "PostgreSQL only");
        String flowId = publishedFlow("flush");
        UUID journey = start(flowId, "+31612200001");

        String inAClaim = transactions.execute(tx -> {
            assertThat(store.claim(0, 1, Duration.ofMinutes(1))).extracting(Journey::id).containsExactly(journey);
            return synchronousCommit();
        });
        String inTheEnginesStep = transactions.execute(tx -> {
            JourneyStore.Writes writes = store.writes(store.lock(journey).orElseThrow().journey());
            writes.release();
            store.writeCommittingWithoutWaitingForTheFlush(writes);
            return synchronousCommit();
        });
        long releasedByTheStep = jdbc.sql("SELECT COUNT(*) FROM journeys WHERE id = ? AND lease_until IS NULL")
                .param(journey).query(Long.class).single();
        String inAnyOtherWrite = transactions.execute(tx -> {
            JourneyStore.Writes writes = store.writes(store.lock(journey).orElseThrow().journey());
            writes.release();
            store.write(writes);
            return synchronousCommit();
        });
        String inTheNextTransaction = transactions.execute(tx -> synchronousCommit());

        assertThat(inAClaim).isEqualTo("off");
        assertThat(inTheEnginesStep).isEqualTo("off");
        assertThat(inAnyOtherWrite).isEqualTo("on");
        assertThat(inTheNextTransaction).as("for that transaction only: its connection goes back to the pool").isEqualTo("on");
        assertThat(releasedByTheStep).as("the write sent with the setting gave the claim's lease back").isEqualTo(1);
    }

    private String synchronousCommit() {
        return jdbc.sql("SHOW synchronous_commit").query(String.class).single();
    }

    @Test
    void aDueWaitingJourneyIsClaimedBeforeRunningJourneysThatStartedEarlier() {
        String flowId = publishedFlow("claims");

        UUID firstRunning = start(flowId, "+31612000001");
        UUID secondRunning = start(flowId, "+31612000002");
        UUID due = start(flowId, "+31612000003");
        UUID notDue = start(flowId, "+31612000004");
        clock.advance(Duration.ofMinutes(5));
        // As the engine leaves them: one timer ran out a minute ago, long after the other two journeys started;
        // the other runs out in an hour.
        waitUntil(due, clock.instant().minus(Duration.ofMinutes(1)));
        waitUntil(notDue, clock.instant().plus(Duration.ofHours(1)));

        List<UUID> claimed = claim(10, 10);

        assertThat(claimed).containsExactly(due, firstRunning, secondRunning);
        assertThat(claim(10, 10)).as("all leased, or not due").isEmpty();
    }

    @Test
    void aJourneyWhoseMessageFailedIsClaimedBeforeJourneysDecidedEarlierByMessagesThatGotThrough() {
        String flowId = publishedFlow("fallbacks-first");
        UUID readEarlier = start(flowId, "+31612300001");
        UUID deliveredEarlier = start(flowId, "+31612300002");
        UUID failed = start(flowId, "+31612300003");
        UUID blocked = start(flowId, "+31612300004");
        Map<UUID, UUID> messages = new HashMap<>();
        for (UUID journey : List.of(readEarlier, deliveredEarlier, failed, blocked)) {
            messages.put(journey, UUID.randomUUID());
            waitForStatus(journey, messages.get(journey));
        }
        // Decided in this order, a second apart: the failed and the blocked message last.
        List<Map.Entry<UUID, String>> decisions = List.of(Map.entry(readEarlier, "read"), Map.entry(deliveredEarlier, "delivered"),
                Map.entry(failed, "failed"), Map.entry(blocked, "blocked"));
        for (Map.Entry<UUID, String> decision : decisions) {
            int decided = transactions.execute(tx -> store.decideStatuses(List.of(
                    new JourneyStore.StatusDecision(decision.getKey(), messages.get(decision.getKey()), decision.getValue()))));
            assertThat(decided).isEqualTo(1);
            clock.advance(Duration.ofSeconds(1));
        }

        assertThat(claim(2, 0)).as("the fallbacks first, oldest first").containsExactly(failed, blocked);
        assertThat(claim(10, 0)).as("then the others, oldest first").containsExactly(readEarlier, deliveredEarlier);
    }

    @Test
    void claimsDueWaitingJourneysAndRunningOnesEachUpToTheirOwnLimit() {
        String flowId = publishedFlow("running-share");
        List<UUID> running = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            running.add(start(flowId, "+3161300000" + i));
        }
        List<UUID> due = new ArrayList<>();
        for (int i = 4; i < 7; i++) {
            UUID journey = start(flowId, "+3161300000" + i);
            waitUntil(journey, clock.instant().minus(Duration.ofSeconds(30)));
            due.add(journey);
        }

        List<UUID> first = claim(10, 1);
        List<UUID> second = claim(10, 2);

        assertThat(first).containsExactlyInAnyOrder(due.get(0), due.get(1), due.get(2), running.get(0));
        assertThat(second).containsExactly(running.get(1), running.get(2));
        assertThat(claim(10, 0)).as("no running ones wanted, none waiting is due").isEmpty();
        assertThat(claim(10, 5)).containsExactly(running.get(3));
    }

    @Test
    void aJourneyStartedForOneContactIsClaimedBeforeThoseALaunchStartedEarlier() {
        String flowId = publishedFlow("ahead-of-launches");
        FlowVersion version = flows.versions(UUID.fromString(flowId)).getFirst();
        List<UUID> audience = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String phone = "+3161240000" + i;
            audience.add(UUID.fromString(Fixtures.consentingContact(api, phone).path("id").asString()));
        }
        int launched = transactions.execute(tx -> store.insertAll(version.id(), "pause", Map.of(), audience,
                contactId -> "ahead-of-launches:" + contactId));
        assertThat(launched).isEqualTo(3);
        clock.advance(Duration.ofSeconds(1));
        UUID ordered = start(flowId, "+31612400009");
        // Its place in the engine's order is no time the API shows: a running journey waits for nothing.
        assertThat(api.get("/api/v1/journeys/" + ordered).json().has("wakeAt")).isFalse();

        assertThat(claim(0, 1)).as("the customer's own journey first").containsExactly(ordered);
        assertThat(claim(0, 10)).as("then the audience's").hasSize(3);
    }

    @Test
    void aClaimLocksOnlyTheJourneysItClaims() throws Exception {
        String flowId = publishedFlow("locks");
        UUID first = start(flowId, "+31612100001");
        UUID second = start(flowId, "+31612100002");
        UUID third = start(flowId, "+31612100003");
        OpenTransactions.Seen<List<UUID>, List<UUID>> seen = OpenTransactions.whileOpen(
                transactions, () -> store.claim(0, 1, Duration.ofMinutes(1)).stream().map(Journey::id).toList(),
                // Another transaction finds the journeys the claim did not take free to lock.
                () -> transactions.execute(tx -> jdbc.sql("SELECT id FROM journeys WHERE id IN (?, ?, ?) FOR UPDATE SKIP LOCKED")
                        .params(first, second, third).query(UUID.class).list()));

        assertThat(seen.inside()).containsExactly(first);
        assertThat(seen.meanwhile()).containsExactlyInAnyOrder(second, third);
    }

    @Test
    void aClaimReadsOnlyTheJourneysItTakesWhateverPlanTheTablesSizeSuggested() {
        Assumptions.assumeTrue(TestDatabase.postgres(), "PostgreSQL only");
        String flowId = publishedFlow("claim-plan");
        UUID contact = UUID.fromString(Fixtures.consentingContact(api, "+31612490001").path("id").asString());

        long rowsRead = transactions.execute(tx -> {
            tx.setRollbackOnly();
            // An audience launch's backlog, never analyzed: at this size (and not at 2,000 or 100,000) PostgreSQL plans
            // the claim, for want of statistics, as a bitmap scan of the whole backlog and a sort, rather than the
            // index read in order; a connection that makes its plan now keeps it.
            jdbc.sql("TRUNCATE journeys CASCADE").update();
            journeysOf(flowId, contact, 30_000, "RUNNING", Duration.ofMinutes(-1));
            jdbc.sql("SET LOCAL plan_cache_mode = force_generic_plan").update();
            long before = journeysRead();
            assertThat(store.claim(0, 32, Duration.ofMinutes(1))).hasSize(32);
            return journeysRead() - before;
        });

        assertThat(rowsRead).as("journeys the claim read, by a scan of the table or through an index").isLessThan(100);
    }

    @Test
    void aLaunchsPageReadsNoJourneyByScanningTheTableEvenWithPlansMadeWhenTheTableWasEmpty() {
        Assumptions.assumeTrue(TestDatabase.postgres(), "PostgreSQL only");
        String flowId = publishedFlow("launch-plan");
        UUID version = versionOf(flowId);
        UUID contact = UUID.fromString(Fixtures.consentingContact(api, "+31612490002").path("id").asString());
        List<UUID> firstPage = contactsInBulk("+3169001", LaunchWorker.PAGE);
        List<UUID> secondPage = contactsInBulk("+3169002", LaunchWorker.PAGE);
        Function<UUID, String> entryKey = id -> "launch-plan:" + id;

        long[] outcome = transactions.execute(tx -> {
            tx.setRollbackOnly();
            withAFreshJourneysTableAndThePlansMadeFirst();
            // The first page started, then found started again and again: the statements' plans are made meanwhile.
            for (int i = 0; i < 8; i++) {
                store.insertAll(version, "pause", Map.of(), firstPage, entryKey);
            }
            journeysOf(flowId, contact, 20_000, "WAITING", Duration.ofDays(1));
            long before = journeysReadByScanning();
            int started = store.insertAll(version, "pause", Map.of(), secondPage, entryKey);
            int startedAgain = store.insertAll(version, "pause", Map.of(), secondPage, entryKey);
            return new long[] {journeysReadByScanning() - before, started, startedAgain};
        });

        assertThat(outcome[1]).as("journeys the second page started").isEqualTo(LaunchWorker.PAGE);
        assertThat(outcome[2]).as("journeys the same page started again").isZero();
        assertThat(outcome[0]).as("journeys the launch's pages read by scanning the table").isLessThan(100);
    }

    @Test
    void runningLaunchesTakeTurnsPageByPageSoThatASmallOneIsNotHeldBehindALargeOne() {
        String large = audienceFlow("launch-turns-large", "+3161520", 2 * LaunchWorker.PAGE + 100);
        String small = audienceFlow("launch-turns-small", "+3161521", LaunchWorker.PAGE + 100);
        String first = launched(large);
        clock.advance(Duration.ofSeconds(1));
        String second = launched(small);

        // This context's launch worker is off: the test runs its rounds, each a page of one launch.
        clock.advance(Duration.ofSeconds(1));
        launchWorker.doWork();
        clock.advance(Duration.ofSeconds(1));
        launchWorker.doWork();

        assertThat(journeys.launchOf(UUID.fromString(first)).taken()).isEqualTo(LaunchWorker.PAGE);
        assertThat(journeys.launchOf(UUID.fromString(second)).taken()).as("the small launch's first page, taken in turn")
                .isEqualTo(LaunchWorker.PAGE);
        clock.advance(Duration.ofSeconds(1));
        launchWorker.doWork();
        clock.advance(Duration.ofSeconds(1));
        launchWorker.doWork();
        assertThat(journeys.launchOf(UUID.fromString(second)).state()).as("the small launch, done before the large one")
                .isEqualTo(Launch.DONE);
        assertThat(journeys.launchOf(UUID.fromString(first)).state()).isEqualTo(Launch.RUNNING);
        while (launchWorker.doWork() > 0) {
            clock.advance(Duration.ofSeconds(1));
        }
        assertThat(journeys.launchOf(UUID.fromString(first)).started()).isEqualTo(2L * LaunchWorker.PAGE + 100);
        assertThat(journeys.launchOf(UUID.fromString(second)).started()).isEqualTo(LaunchWorker.PAGE + 100);
    }

    @Test
    void theMetricsTellHowLateTheEngineIsWithTheJourneysDueAndHowManyLaunchesRunOrWait() {
        String flowId = publishedFlow("metrics");
        UUID running = start(flowId, "+31612200091");
        UUID waiting = start(flowId, "+31612200092");
        UUID notDue = start(flowId, "+31612200093");
        jdbc.sql("UPDATE journeys SET wake_at = ? WHERE id = ?")
                .params(Times.utc(clock.instant().minus(Duration.ofMinutes(2))), running).update();
        waitUntil(waiting, clock.instant().minus(Duration.ofMinutes(5)));
        waitUntil(notDue, clock.instant().plus(Duration.ofHours(1)));

        Map<String, Double> late = api.metricsOnce(m -> m.get(JOURNEYS_LAG + "{state=\"running\"}") > 60
                && m.get(JOURNEYS_LAG + "{state=\"waiting\"}") > 60);
        // The clock runs on between the writes and the scrape (the engine of this context is off: nothing moves them).
        assertThat(late.get(JOURNEYS_LAG + "{state=\"running\"}")).isCloseTo(120.0, Offset.offset(10.0));
        assertThat(late.get(JOURNEYS_LAG + "{state=\"waiting\"}")).isCloseTo(300.0, Offset.offset(10.0));

        jdbc.sql("UPDATE journeys SET state = 'ENDED' WHERE id IN (?, ?)").params(running, waiting).update();
        Map<String, Double> caughtUp = api.metricsOnce(m -> m.get(JOURNEYS_LAG + "{state=\"running\"}") == 0
                && m.get(JOURNEYS_LAG + "{state=\"waiting\"}") == 0 && !m.get("reach_launches_running").isNaN());
        assertThat(caughtUp).as("one waiting journey is left, due in an hour").containsEntry(JOURNEYS_LAG + "{state=\"running\"}", 0.0)
                .containsEntry(JOURNEYS_LAG + "{state=\"waiting\"}", 0.0);

        // This context's launch worker is off: a launch runs until the test works it.
        double launchesBefore = caughtUp.get("reach_launches_running");
        UUID launch = UUID.fromString(launched(audienceFlow("metrics-launch", "+3161522", 3)));
        assertThat(api.metricsOnce(m -> m.get("reach_launches_running") == launchesBefore + 1))
                .containsEntry("reach_launches_running", launchesBefore + 1);
        while (journeys.launchOf(launch).state().equals(Launch.RUNNING)) {
            clock.advance(Duration.ofSeconds(1));
            launchWorker.doWork();
        }
        assertThat(api.metricsOnce(m -> m.get("reach_launches_running") == launchesBefore))
                .containsEntry("reach_launches_running", launchesBefore);

        // A launch scheduled for tomorrow waits for it; cancelled, it waits no more.
        double scheduledBefore = api.metricsOnce(m -> !m.get("reach_launches_scheduled").isNaN()).get("reach_launches_scheduled");
        Api.Response scheduled = api.post("/api/v1/flows/" + audienceFlow("metrics-scheduled", "+3161523", 1) + "/launch",
                Map.of("at", clock.instant().plus(Duration.ofDays(1)).toString()));
        assertThat(scheduled.status()).as(scheduled.body()).isEqualTo(202);
        assertThat(api.metricsOnce(m -> m.get("reach_launches_scheduled") == scheduledBefore + 1))
                .containsEntry("reach_launches_scheduled", scheduledBefore + 1);
        assertThat(api.post("/api/v1/launches/" + scheduled.json().path("id").asString() + "/cancel", "").status()).isEqualTo(200);
        assertThat(api.metricsOnce(m -> m.get("reach_launches_scheduled") == scheduledBefore))
                .containsEntry("reach_launches_scheduled", scheduledBefore);
    }

    private static final String JOURNEYS_LAG = "reach_journeys_lag_seconds";

    /** An audience flow published for {@code count} new contacts of its own tag, their phones {@code prefix} and a number. */
    private String audienceFlow(String name, String prefix, int count) {
        StringBuilder csv = new StringBuilder("phone,tags,consent\n");
        for (int i = 0; i < count; i++) {
            csv.append(prefix).append(String.format("%04d", i)).append(',').append(name).append(",utility\n");
        }
        Api.Response imported = api.postRaw("/api/v1/contacts/import", "text/csv",
                csv.toString().getBytes(StandardCharsets.UTF_8), Map.of());
        assertThat(imported.json().path("failed").asInt()).as(imported.body()).isZero();
        return FlowFixtures.publish(api, """
                {"name":"%s","entry":{"type":"audience","audience":{"tags":["%s"],"consent":"utility"}},"start":"pause",
                 "steps":[{"id":"pause","type":"wait","duration":"PT1H","next":"end"},{"id":"end","type":"end"}]}"""
                .formatted(name, name));
    }

    private String launched(String flowId) {
        Api.Response launched = api.post("/api/v1/flows/" + flowId + "/launch", "");
        assertThat(launched.status()).as(launched.body()).isEqualTo(202);
        return launched.json().path("id").asString();
    }

    @Test
    void stoppingAFlowCancelsEveryJourneyUnderWayChunkAfterChunkAndLeavesTheEndedOnes() {
        String flowId = publishedFlow("stop-chunks");
        UUID version = versionOf(flowId);
        UUID contact = UUID.fromString(Fixtures.consentingContact(api, "+31612490004").path("id").asString());
        List<Object[]> rows = journeyRows(version, contact, 2 * Journeys.CANCEL_CHUNK + 250);
        long ended = rows.stream().filter(row -> row[3].equals("ENDED")).count();

        Journeys.Stopped stopped = journeys.stop(UUID.fromString(flowId), true);

        assertThat(stopped.cancellation().state()).isEqualTo(Cancellation.DONE);
        assertThat(stopped.cancellation().cancelledJourneys()).isEqualTo(rows.size() - ended);
        assertThat(jdbc.sql("SELECT state, COUNT(*) FROM journeys WHERE flow_version_id = ? GROUP BY state ORDER BY state")
                .param(version).query((rs, n) -> rs.getString(1) + " " + rs.getLong(2)).list())
                .containsExactly("CANCELLED " + (rows.size() - ended), "ENDED " + ended);
    }

    @Test
    void aCancellationCutShortIsFinishedByTheWorkerOfWhicheverNodeTakesItUp() {
        // A node stopped the flow and cancelled its first chunk, then went down before the next one.
        StoppedFlow stopped = stoppedWithItsCancellationRunning("stop-cut-short", "+31612490005", 3 * Journeys.CANCEL_CHUNK + 100);
        UUID version = stopped.version();
        List<Object[]> rows = stopped.journeys();
        long underWay = rows.stream().filter(row -> !row[3].equals("ENDED")).count();
        Cancellation made = stopped.cancellation();
        Cancellation afterOneChunk = cancellationWorker.work(made.id(), 1);
        assertThat(afterOneChunk.state()).isEqualTo(Cancellation.RUNNING);
        assertThat(afterOneChunk.cancelledJourneys()).isBetween(1L, (long) Journeys.CANCEL_CHUNK);

        // Any node's worker takes the cancellation up from the database (this context's worker is off: the test runs it).
        int rounds = 0;
        while (cancellationWorker.doWork() > 0) {
            rounds++;
        }

        Cancellation done = cancellations.find(made.id()).orElseThrow();
        assertThat(done.state()).isEqualTo(Cancellation.DONE);
        assertThat(done.finishedAt()).isNotNull();
        assertThat(done.cancelledJourneys()).isEqualTo(underWay);
        assertThat(rounds).as("chunks after the first, and the round that found none left").isEqualTo(3 + 1);
        assertThat(jdbc.sql("SELECT state, COUNT(*) FROM journeys WHERE flow_version_id = ? GROUP BY state ORDER BY state")
                .param(version).query((rs, n) -> rs.getString(1) + " " + rs.getLong(2)).list())
                .containsExactly("CANCELLED " + underWay, "ENDED " + (rows.size() - underWay));
        assertThat(jdbc.sql("SELECT DISTINCT error FROM journeys WHERE flow_version_id = ? AND state = 'CANCELLED'")
                .param(version).query(String.class).list()).containsExactly("cancelled: stop-cut-short");
    }

    @Test
    void runningCancellationsTakeTurnsChunkByChunk() {
        List<UUID> made = new ArrayList<>();
        for (String name : List.of("stop-turns-large", "stop-turns-small")) {
            boolean large = name.endsWith("large");
            made.add(stoppedWithItsCancellationRunning(name, large ? "+31612490007" : "+31612490008",
                    (large ? 4 : 2) * Journeys.CANCEL_CHUNK).cancellation().id());
            clock.advance(Duration.ofSeconds(1));
        }

        // This context's worker is off: the test runs its rounds, each a chunk of one cancellation.
        cancellationWorker.doWork();
        clock.advance(Duration.ofSeconds(1));
        cancellationWorker.doWork();

        assertThat(made).allSatisfy(id -> assertThat(cancellations.find(id).orElseThrow().cancelledJourneys())
                .as("a chunk of each, in turn").isBetween(1L, (long) Journeys.CANCEL_CHUNK));
        while (cancellationWorker.doWork() > 0) {
            clock.advance(Duration.ofSeconds(1));
        }
        assertThat(made).allSatisfy(id -> assertThat(cancellations.find(id).orElseThrow().state()).isEqualTo(Cancellation.DONE));
    }

    @Test
    void aStopAnswersAtOnceWithoutWaitingWhenAWorkerIsOnAChunkOfItsCancellation() throws Exception {
        StoppedFlow stopped = stoppedWithItsCancellationRunning("stop-worker-on-it", "+31612490011", Journeys.CANCEL_CHUNK + 10);
        String flowId = stopped.flowId();
        Cancellation running = stopped.cancellation();

        // A worker's chunk under way: the cancellation's row locked by a transaction still open.
        var seen = OpenTransactions.whileOpen(transactions,
                () -> cancellations.lockIfFree(running.id()).isPresent(),
                () -> journeys.stop(UUID.fromString(flowId), true));

        assertThat(seen.inside()).isTrue();
        assertThat(seen.meanwhile().cancellation().id()).isEqualTo(running.id());
        assertThat(seen.meanwhile().cancellation().state()).as("left to the worker on it").isEqualTo(Cancellation.RUNNING);
        assertThat(seen.meanwhile().cancellation().cancelledJourneys()).isZero();
    }

    @Test
    void aFlowWhoseJourneysAreStillBeingCancelledIsNotResumedUntilTheCancellationIsDone() {
        StoppedFlow stopped = stoppedWithItsCancellationRunning("stop-resume", "+31612490006", Journeys.CANCEL_CHUNK + 10);
        String flowId = stopped.flowId();
        Cancellation running = stopped.cancellation();

        Api.Response refused = api.post("/api/v1/flows/" + flowId + "/resume", "");
        Api.Response stoppedAgain = api.post("/api/v1/flows/" + flowId + "/stop?cancelJourneys=true", "");

        assertThat(refused.status()).as(refused.body()).isEqualTo(409);
        assertThat(refused.json().path("error").asString()).isEqualTo("flow_cancelling");
        assertThat(refused.json().path("message").asString()).contains(running.id().toString());
        assertThat(flows.isStopped(UUID.fromString(flowId))).isTrue();
        // Stopping it again answers with the cancellation under way (worked on by the stop, here to its end), not a second one.
        assertThat(stoppedAgain.status()).as(stoppedAgain.body()).isEqualTo(200);
        assertThat(stoppedAgain.json().path("cancellation").path("id").asString()).isEqualTo(running.id().toString());
        assertThat(stoppedAgain.json().path("cancellation").path("state").asString()).isEqualTo(Cancellation.DONE);
        assertThat(api.get("/api/v1/flows/" + flowId + "/cancellations").json()).hasSize(1);

        Api.Response resumed = api.post("/api/v1/flows/" + flowId + "/resume", "");

        assertThat(resumed.status()).as(resumed.body()).isEqualTo(200);
        assertThat(flows.isStopped(UUID.fromString(flowId))).isFalse();
    }

    @Test
    void aStopsChunkReadsOnlyTheJourneysAfterTheChunkBeforeItNotThoseItCancelled() {
        Assumptions.assumeTrue(TestDatabase.postgres(), "PostgreSQL only");
        String flowId = publishedFlow("stop-walk");
        UUID version = versionOf(flowId);
        UUID contact = UUID.fromString(Fixtures.consentingContact(api, "+31612490003").path("id").asString());

        long[] outcome = transactions.execute(tx -> {
            tx.setRollbackOnly();
            journeysOf(flowId, contact, 20_000, "WAITING", Duration.ofDays(1));
            // A stop half-way through: the first 10,000 cancelled, chunk after chunk.
            UUID lastCancelled = jdbc.sql("SELECT id FROM journeys WHERE flow_version_id = ? ORDER BY id OFFSET 9999 LIMIT 1")
                    .param(version).query(UUID.class).single();
            jdbc.sql("UPDATE journeys SET state = 'CANCELLED' WHERE flow_version_id = ? AND id <= ?")
                    .params(version, lastCancelled).update();
            // Statistics as autovacuum would have them by then (this machine's PostgreSQL runs without it).
            jdbc.sql("ANALYZE journeys").update();
            jdbc.sql("SET LOCAL plan_cache_mode = force_generic_plan").update();
            long before = journeysRead();
            List<UUID> next = store.underWayAfter(List.of(version), lastCancelled, Journeys.CANCEL_CHUNK);
            return new long[] {journeysRead() - before, next.size()};
        });

        assertThat(outcome[1]).as("journeys the next chunk takes").isEqualTo(Journeys.CANCEL_CHUNK);
        // From the first journey on, the chunk would walk the primary key through the 10,000 cancelled ones (or read
        // and sort every journey left): 80 ms halfway through 100,000 in psql, a stop's time growing with its square.
        assertThat(outcome[0]).as("journeys the chunk's look-up read, by a scan of the table or through an index")
                .isLessThan(2L * Journeys.CANCEL_CHUNK);
    }

    @Test
    void aStopsChunkOnH2ReadsThePrimaryKeyFromTheChunkBeforeItNotEveryJourneyOfTheFlow() {
        Assumptions.assumeFalse(TestDatabase.postgres(), "H2 only (PostgreSQL: above)");
        String flowId = publishedFlow("stop-walk-h2");
        UUID version = versionOf(flowId);
        UUID contact = UUID.fromString(Fixtures.consentingContact(api, "+31612490010").path("id").asString());

        Object[] outcome = transactions.execute(tx -> {
            tx.setRollbackOnly();
            List<Object[]> rows = journeyRows(version, contact, 20_000);
            UUID halfWay = (UUID) rows.stream().map(row -> (UUID) row[0]).sorted().skip(9_999).findFirst().orElseThrow();
            // H2 counts the rows each part of a plan read (scanCount) when it explains a statement it ran.
            String plan = dialect.queryInPrimaryKeyOrder(batches, "journeys", "EXPLAIN ANALYZE "
                            + JourneyStore.underWayAfterQuery(1, true), List.of(version, halfWay, Journeys.CANCEL_CHUNK),
                    rs -> rs.getString(1)).getFirst();
            long read = scanned(plan);
            List<UUID> next = store.underWayAfter(List.of(version), halfWay, Journeys.CANCEL_CHUNK);
            return new Object[] {read, next, halfWay, plan};
        });

        @SuppressWarnings("unchecked")
        List<UUID> next = (List<UUID>) outcome[1];
        assertThat(next).hasSize(Journeys.CANCEL_CHUNK).isSorted().allSatisfy(id -> assertThat(id).isGreaterThan((UUID) outcome[2]));
        // Through the index of the version's journeys, the chunk read all 20,000 and sorted them (a stop's time growing
        // with the square of its journeys).
        assertThat((long) outcome[0]).as("journeys the chunk's look-up read: %s", outcome[3]).isLessThan(2L * Journeys.CANCEL_CHUNK);
    }

    @Test
    void aPageOfTheJourneysAtOneStepInOneStateOrInAnyReadsAboutAPageNotAllOfThemSorted() {
        String flowId = publishedFlow("step-drill-down");
        UUID version = versionOf(flowId);
        UUID contact = UUID.fromString(Fixtures.consentingContact(api, "+31612490020").path("id").asString());
        int limit = 100;

        Object[] outcome = transactions.execute(tx -> {
            tx.setRollbackOnly();
            journeyRows(version, contact, 20_000); // all at step pause: 9,600 waiting, 9,600 running, 800 ended
            if (TestDatabase.postgres()) {
                jdbc.sql("ANALYZE journeys").update(); // statistics as autovacuum would have them
            }
            return new Object[] {
                    rowsRead(store.ofVersionsQuery(List.of(version), "waiting", "pause", null, limit, 0)),
                    rowsRead(store.ofVersionsQuery(List.of(version), null, "pause", null, limit, 0)),
                    store.ofVersions(List.of(version), "waiting", "pause", null, limit, 0),
                    store.ofVersions(List.of(version), null, "pause", null, limit, 0),
                    jdbc.sql("SELECT id FROM journeys WHERE flow_version_id = ? AND current_step = 'pause' ORDER BY id")
                            .param(version).query(UUID.class).list().subList(0, limit)};
        });

        @SuppressWarnings("unchecked")
        List<Journey> waiting = (List<Journey>) outcome[2];
        @SuppressWarnings("unchecked")
        List<Journey> anyState = (List<Journey>) outcome[3];
        assertThat(waiting).hasSize(limit).allSatisfy(journey -> {
            assertThat(journey.state()).isEqualTo("WAITING");
            assertThat(journey.currentStep()).isEqualTo("pause");
        });
        assertThat(waiting).extracting(Journey::id).isSorted();
        // They all started at the same moment (one transaction's), so the first page is the step's first ids.
        assertThat(anyState).extracting(Journey::id).isEqualTo(outcome[4]);
        assertThat(anyState).extracting(Journey::state).contains("WAITING", "RUNNING", "ENDED");
        // Through journeys_by_version (flow_version_id, state, current_step), H2 read all 9,600 waiting ones, or every
        // journey of the version, and sorted them; now a part per state reads at most a page of its own.
        assertThat((long) ((Object[]) outcome[0])[0]).as("journeys the waiting ones' page read: %s", ((Object[]) outcome[0])[1])
                .isLessThan(3L * limit);
        assertThat((long) ((Object[]) outcome[1])[0]).as("journeys the page of any state read: %s", ((Object[]) outcome[1])[1])
                .isLessThan(Journey.STATES.size() * 2L * limit);
    }

    @Test
    void aVersionsStepsAreCountedFromAnIndexHoldingTheirBranchesOnH2AndNoIndexHoldsABranchOnPostgreSQL() {
        if (TestDatabase.postgres()) {
            // A branch (a quick-reply payload) can be longer than an entry of PostgreSQL's B-tree may be.
            List<String> indexes = jdbc.sql("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                    + " AND tablename = 'journey_steps'").query(String.class).list();
            assertThat(indexes).isNotEmpty().noneMatch(index -> index.contains("branch"));
            return;
        }
        String plan = String.join("\n", jdbc.sql("EXPLAIN " + JourneyStore.COUNT_STEPS).param(UUID.randomUUID())
                .query(String.class).list());
        Matcher index = Pattern.compile("/\\* \\w+\\.(\\w+): FLOW_VERSION_ID").matcher(plan);
        assertThat(index.find()).as("an index found the version's rows: %s", plan).isTrue();

        List<String> columns = jdbc.sql("SELECT COLUMN_NAME FROM INFORMATION_SCHEMA.INDEX_COLUMNS WHERE TABLE_NAME = 'JOURNEY_STEPS'"
                + " AND INDEX_NAME = ? ORDER BY ORDINAL_POSITION").param(index.group(1)).query(String.class).list();
        // Without BRANCH, H2 fetched each row from the table by its key for its branch: 40 s for a million journeys.
        assertThat(columns).as("the columns of %s", index.group(1)).containsExactly("FLOW_VERSION_ID", "STEP_ID", "BRANCH");
    }

    /**
     * The journeys' rows a query read ({@code [count, plan]}): on PostgreSQL from the table's statistics of this
     * transaction, on H2 from the counts of rows each part of its plan read (scanCount) when it explains a statement it
     * ran.
     */
    private Object[] rowsRead(OldestFirst query) {
        if (TestDatabase.postgres()) {
            long before = journeysRead();
            jdbc.sql(query.sql()).params(query.params()).query((rs, n) -> n).list();
            return new Object[] {journeysRead() - before, query.sql()};
        }
        String plan = String.join("\n", jdbc.sql("EXPLAIN ANALYZE " + query.sql()).params(query.params())
                .query(String.class).list());
        return new Object[] {scanned(plan), plan};
    }

    /** The rows an H2 plan explained after its run says its parts read: the sum of their {@code scanCount}s. */
    private static long scanned(String plan) {
        return Pattern.compile("scanCount: (\\d+)").matcher(plan).results()
                .mapToLong(match -> Long.parseLong(match.group(1))).sum();
    }

    /**
     * For the rest of the (rolled back) transaction: an empty journeys table that was never analyzed, as a fresh
     * install's, and each statement's plan made at its first run and kept, as PostgreSQL keeps a prepared statement's
     * generic plan on each connection, with no statistics to plan again when autovacuum is off.
     */
    private void withAFreshJourneysTableAndThePlansMadeFirst() {
        jdbc.sql("TRUNCATE journeys CASCADE").update();
        jdbc.sql("SET LOCAL plan_cache_mode = force_generic_plan").update();
    }

    /** {@code count} journeys of the flow's version for the contact, in {@code state}, due {@code dueIn} from now. */
    private void journeysOf(String flowId, UUID contact, int count, String state, Duration dueIn) {
        jdbc.sql("INSERT INTO journeys (id, flow_version_id, contact_id, state, current_step, variables, wake_at, started_at,"
                        + " updated_at) SELECT gen_random_uuid(), v.id, ?, ?, 'pause', '{\"order_id\":\"A-17\",\"first_name\":\"Anna\"}', ?,"
                        + " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP"
                        + " FROM flow_versions v, generate_series(1, ?) WHERE v.flow_id = ?")
                .params(contact, state, Times.utc(clock.instant().plus(dueIn)), count, UUID.fromString(flowId)).update();
    }

    /** Contacts written straight into the table, phones {@code prefix} followed by a number. */
    private List<UUID> contactsInBulk(String prefix, int count) {
        return jdbc.sql("INSERT INTO contacts (id, phone, created_at, updated_at) SELECT gen_random_uuid(), ? || LPAD(n::text, 5, '0'),"
                        + " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM generate_series(1, ?) n RETURNING id")
                .params(prefix, count).query(UUID.class).list();
    }

    /** Rows of journeys read in this transaction so far, by sequential scans and through indexes. */
    private long journeysRead() {
        return jdbc.sql("SELECT seq_tup_read + COALESCE(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables"
                        + " WHERE relname = 'journeys' AND schemaname = current_schema()")
                .query(Long.class).single();
    }

    /** Rows of journeys read by sequential scans in this transaction so far. */
    private long journeysReadByScanning() {
        return jdbc.sql("SELECT seq_tup_read FROM pg_stat_xact_user_tables WHERE relname = 'journeys' AND schemaname = current_schema()")
                .query(Long.class).single();
    }

    /** The one version of a flow published once. */
    /** A flow stopped with journeys of its own, and the running cancellation of them that a stop records. */
    private record StoppedFlow(String flowId, UUID version, List<Object[]> journeys, Cancellation cancellation) {}

    /**
     * Publishes a flow, writes {@code count} journeys of it (see {@link #journeyRows}), stops it, and records a
     * cancellation of its journeys as a stop does, none of them cancelled yet; its reason is "cancelled: " and the name.
     */
    private StoppedFlow stoppedWithItsCancellationRunning(String name, String phone, int count) {
        String flowId = publishedFlow(name);
        UUID version = versionOf(flowId);
        UUID contact = UUID.fromString(Fixtures.consentingContact(api, phone).path("id").asString());
        List<Object[]> rows = journeyRows(version, contact, count);
        flows.stop(UUID.fromString(flowId));
        Cancellation cancellation = cancellations.insert(Ids.newId(), UUID.fromString(flowId), "cancelled: " + name);
        return new StoppedFlow(flowId, version, rows, cancellation);
    }

    /**
     * Journeys of this version written straight into the table, waiting a day, running, or (every 25th, among the
     * others in id order) ended already; each row as written: id, version, contact, state, wake-up.
     */
    private List<Object[]> journeyRows(UUID version, UUID contact, int count) {
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String state = i % 25 == 0 ? "ENDED" : i % 2 == 0 ? "WAITING" : "RUNNING";
            rows.add(new Object[] {Ids.newId(), version, contact, state,
                    Times.utc(clock.instant().plus(Duration.ofDays(1)))});
        }
        batches.batchUpdate("INSERT INTO journeys (id, flow_version_id, contact_id, state, current_step, variables, wake_at,"
                + " started_at, updated_at) VALUES (?, ?, ?, ?, 'pause', '{}', ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", rows);
        return rows;
    }

    private UUID versionOf(String flowId) {
        return jdbc.sql("SELECT id FROM flow_versions WHERE flow_id = ?").param(UUID.fromString(flowId)).query(UUID.class).single();
    }

    private String publishedFlow(String name) {
        return FlowFixtures.publish(api, """
                {"name":"%s","entry":{"type":"api"},"start":"pause","steps":[
                 {"id":"pause","type":"wait","duration":"PT1H","next":"end"},
                 {"id":"end","type":"end"}]}""".formatted(name));
    }

    private UUID start(String flowId, String phone) {
        Fixtures.consentingContact(api, phone);
        Api.Response started = api.post("/api/v1/flows/" + flowId + "/journeys", Map.of("to", phone));
        assertThat(started.status()).as(started.body()).isEqualTo(201);
        clock.advance(Duration.ofSeconds(1));
        return UUID.fromString(started.json().path("journeyId").asString());
    }

    private void waitUntil(UUID journey, Instant wakeAt) {
        int updated = jdbc.sql("UPDATE journeys SET state = 'WAITING', waiting_kind = 'TIMER', wake_at = ? WHERE id = ?")
                .params(Times.utc(wakeAt), journey).update();
        assertThat(updated).isEqualTo(1);
    }

    private void waitForStatus(UUID journey, UUID message) {
        int updated = jdbc.sql("UPDATE journeys SET state = 'WAITING', waiting_kind = 'STATUS', waiting_message_id = ?,"
                        + " wake_at = ? WHERE id = ?")
                .params(message, Times.utc(clock.instant().plus(Duration.ofHours(1))), journey).update();
        assertThat(updated).isEqualTo(1);
    }

    private List<UUID> claim(int limit, int runningLimit) {
        return transactions.execute(tx -> store.claim(limit, runningLimit, Duration.ofMinutes(1))).stream()
                .map(Journey::id).toList();
    }
}
