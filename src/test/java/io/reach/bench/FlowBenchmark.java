package io.reach.bench;

import com.sun.management.OperatingSystemMXBean;
import io.reach.journey.Cancellation;
import io.reach.journey.Journeys;
import io.reach.journey.Launch;
import io.reach.sandbox.SandboxNetwork;
import io.reach.sandbox.SandboxSmsc;
import io.reach.support.Api;
import io.reach.support.FlowFixtures;
import io.reach.support.ReachNode;
import io.reach.support.TestDatabase;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/**
 * Runs the example flow over N sandbox contacts and prints journeys/s, messages/s, webhook events/s, the p50/p99
 * delay from a failed-status webhook (from the moment the sandbox posted it) to the fallback SMS reaching the SMSC,
 * and peak heap.
 * Run it with {@code bench/run [N] [h2|postgres|both]}; see docs/PERFORMANCE.md.
 */
public final class FlowBenchmark {

    private static final Duration LIMIT = Duration.ofMinutes(30);
    private static final int WARM_UP = 2_000;
    private static final int WARM_UP_ROUNDS = 10;
    private static final double SETTLED_JIT_SHARE = 0.10;
    // The contacts' mix in tenths (read and answer / SMS fallback / call fallback): see mixFromEnvironment.
    private static final int[] DEFAULT_MIX = {5, 3, 2};
    private static int[] mix = DEFAULT_MIX;
    // Events a second in the measured run (not the warm-up) from BENCH_RATE; 0: as fast as Reach takes them.
    private static double rate;
    // Reach's settings from BENCH_REACH_SETTINGS, over its defaults in every run.
    private static Map<String, String> settings = Map.of();
    // The measured run launches the example flow to an audience of its contacts (a broadcast) instead of posting
    // an event for each.
    private static boolean launch;
    private static final String RUN_TAG = "bench-run";

    public static void main(String[] args) throws Exception {
        int contacts = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        String databases = args.length > 1 ? args[1] : "both";
        boolean waiting = args.length > 2 && args[2].equals("waiting");
        boolean apart = args.length > 2 && args[2].equals("apart");
        launch = args.length > 2 && args[2].equals("launch");
        if (args.length > 2 && !List.of("flow", "waiting", "apart", "launch").contains(args[2])) {
            throw new IllegalArgumentException("'" + args[2] + "': the third argument is flow (the default), waiting, apart"
                    + " or launch");
        }
        if (apart && !databases.equals("postgres")) {
            throw new IllegalArgumentException("'apart' runs on PostgreSQL only (an H2 file opens in one process): "
                    + "bench/run N postgres apart");
        }
        mix = mixFromEnvironment();
        rate = rateFromEnvironment();
        settings = settingsFromEnvironment();
        List<String> rows = new ArrayList<>();
        if (!databases.equals("postgres")) {
            rows.add(waiting ? waiting("H2 (file)", h2(), contacts)
                    : run(launch ? "H2 (file), launched" : "H2 (file)", h2(), contacts, false));
        }
        if (!databases.equals("h2")) {
            System.setProperty("reach.test.database", "postgres");
            rows.add(waiting ? waiting("PostgreSQL", TestDatabase.fresh(), contacts)
                    : run(apart ? "PostgreSQL, Reach apart" : launch ? "PostgreSQL, launched" : "PostgreSQL",
                    TestDatabase.fresh(), contacts, apart));
        }
        System.out.println();
        if (waiting) {
            System.out.println("| database | waiting journeys | heap after GC, none waiting | heap after GC, all waiting | per waiting journey"
                    + " | started/s | a stop with its journeys answered in | all cancelled in |");
            System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
        } else {
            System.out.println("| database | journeys | journeys/s | messages/s | webhook events/s | failed→SMS p50 | failed→SMS p99 | peak heap |");
            System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
        }
        rows.forEach(System.out::println);
        System.exit(0);
    }

    private static Map<String, String> h2() {
        Map<String, String> database = new LinkedHashMap<>();
        database.put("spring.datasource.url", "jdbc:h2:file:./target/bench-data/reach-" + System.nanoTime());
        database.put("spring.datasource.username", "sa");
        database.put("spring.datasource.password", "");
        return database;
    }

    /**
     * Reach's settings to run with instead of its defaults, from {@code BENCH_REACH_SETTINGS} (e.g.
     * {@code "reach.journeys.running-concurrency=1 reach.messaging.batch-size=20"}), so that a setting's effect can be
     * measured without editing the benchmark.
     */
    static Map<String, String> settingsFromEnvironment() {
        String given = System.getenv().getOrDefault("BENCH_REACH_SETTINGS", "").trim();
        Map<String, String> settings = new LinkedHashMap<>();
        for (String pair : given.isEmpty() ? new String[0] : given.split("\\s+")) {
            int equals = pair.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException("BENCH_REACH_SETTINGS: '" + pair + "' is not name=value");
            }
            settings.put(pair.substring(0, equals), pair.substring(equals + 1));
        }
        if (!settings.isEmpty()) {
            System.out.println("Reach's settings from BENCH_REACH_SETTINGS: " + settings);
        }
        return settings;
    }

    /**
     * The example flow over {@code contacts}; with {@code apart}, Reach runs in a JVM of its own (see
     * {@link ReachProcess}) and its CPU and heap are read apart from the sandbox's and the load's.
     */
    private static String run(String label, Map<String, String> database, int contacts, boolean apart) throws Exception {
        int port = ReachNode.freePort();
        Map<String, String> reach = new LinkedHashMap<>(Map.of("server.port", String.valueOf(port), "reach.sandbox.enabled", "false",
                "spring.datasource.hikari.maximum-pool-size", "20", "spring.datasource.hikari.minimum-idle", "20",
                "reach.whatsapp.poll-interval", "50ms", "reach.messaging.poll-interval", "50ms",
                "reach.journeys.poll-interval", "50ms", "logging.level.root", "warn"));
        reach.putAll(settings);
        try (ReachNode sandboxNode = ReachNode.start("bench-sandbox", sandboxDatabase(), Map.of(
                "server.port", "0", "reach.sandbox.graph-api-port", "0", "reach.sandbox.smpp.port", "0",
                "reach.sandbox.twilio.port", "0", "reach.sandbox.register-senders", "false",
                "reach.sandbox.rules-file", "classpath:sandbox/bench-handsets.yml",
                "reach.sandbox.webhook-url", "http://127.0.0.1:" + port + "/webhooks/whatsapp",
                "reach.journeys.engine-enabled", "false", "logging.level.root", "warn",
                // The delays are read from what the sandbox remembers, warm-up rounds included.
                "reach.sandbox.history-size", String.valueOf(Math.max(100_000, 2 * (contacts + WARM_UP_ROUNDS * WARM_UP)))));
             BenchedReach node = apart ? BenchedReach.apart(port, database, reach) : BenchedReach.inThisJvm(database, reach)) {
            SandboxNetwork sandbox = sandboxNode.bean(SandboxNetwork.class);
            Api api = node.api();
            FlowFixtures.registerSandboxSenders(api, sandbox);
            whatsAppThroughputFromEnvironment(api);
            FlowFixtures.orderReadyTemplate(api);
            FlowFixtures.publishExampleFlow(api);
            // Warm-up rounds first, until the JIT compiler has settled: on two cores it took over a third of the CPU
            // for the first two minutes, which a long-running Reach pays once; the run measures the steady state.
            int warmUp = Math.min(contacts, WARM_UP);
            List<String> warmUpPhones = population(api, contacts, warmUp, "bench-warm-up");
            List<String> phones = population(api, 0, contacts, RUN_TAG);
            String launchedFlow = launch ? FlowFixtures.publish(api, broadcastOfTheExampleFlow()) : null;
            JdbcClient jdbc = node.jdbc();
            System.out.printf("%s: %d contacts imported; warming up with rounds of %d more%n", label, phones.size(), warmUp);
            int warmedUp = warmUp(node, warmUpPhones);
            long messagesBefore = jdbc.sql("SELECT COUNT(*) FROM messages").query(Long.class).single();
            // The callbacks providers made (Meta's webhooks, SMPP's deliver_sm, Twilio's callbacks), and the messages.
            Map<String, Long> callbacksBefore = countsBy(jdbc, "webhook_inbox", "channel");
            Map<String, Long> messagesByChannelBefore = countsBy(jdbc, "messages", "channel");
            long eventsBefore = providerEvents(jdbc);
            System.out.printf("%s: warmed up, starting the run%n", label);

            MemoryMXBean memory = node.memory();
            memory.gc();
            AtomicLong peak = new AtomicLong(memory.getHeapMemoryUsage().getUsed());
            long jvmCpuBefore = jvmCpuNanos();
            long reachCpuBefore = node.cpuTicks();
            long postgresCpuBefore = postgresCpuTicks();
            boolean postgres = database.getOrDefault("spring.datasource.url", "").startsWith("jdbc:postgresql:");
            long transactionsBefore = postgres ? writingTransactions(jdbc) : 0;
            Instant start = Instant.now();
            Thread heapWatch = Thread.ofPlatform().daemon(true).start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                    LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
                }
            });
            if (launch) {
                Api.Response launched = api.post("/api/v1/flows/" + launchedFlow + "/launch", "");
                if (launched.status() != 202) {
                    throw new IllegalStateException("launch refused: " + launched.body());
                }
                // The journeys are counted by those not ended yet, so all of them must exist first.
                String launchId = launched.json().path("id").asString();
                JsonNode done = Awaitility.await().atMost(LIMIT)
                        .pollInterval(Duration.ofMillis(250)).until(() -> api.get("/api/v1/launches/" + launchId).json(),
                                progress -> !progress.path("state").asString().equals("RUNNING"));
                if (done.path("started").asLong() != phones.size()) {
                    throw new IllegalStateException("the launch started other journeys than the run's contacts: " + done);
                }
                System.out.printf("  launch: %d journeys created in %.1f s%n", phones.size(),
                        Duration.between(start, Instant.now()).toMillis() / 1000.0);
            } else {
                postEvents(api, phones, rate);
            }
            awaitJourneys(jdbc, "ENDED", warmedUp + phones.size(), start, "run");
            heapWatch.interrupt();
            long jvmCpu = jvmCpuNanos() - jvmCpuBefore;
            long reachCpu = node.cpuTicks() - reachCpuBefore;
            long postgresCpu = postgresCpuTicks() - postgresCpuBefore;
            // Ticks are 1/100 s on Linux (USER_HZ).
            if (apart) {
                double reachMillis = reachCpu * 10.0 / phones.size();
                System.out.printf("  CPU per journey: %.1f ms in Reach's JVM, %.1f ms in this JVM (sandbox, load), %.1f ms in"
                                + " PostgreSQL's processes: %.0f journeys per second of Reach's CPU, %.0f per second of"
                                + " Reach's and PostgreSQL's%n", reachMillis, jvmCpu / 1e6 / phones.size(),
                        postgresCpu * 10.0 / phones.size(), 1000 / reachMillis,
                        1000 / (reachMillis + postgresCpu * 10.0 / phones.size()));
            } else {
                System.out.printf("  CPU per journey: %.1f ms in this JVM (Reach, sandbox, load), %.1f ms in PostgreSQL's processes%n",
                        jvmCpu / 1e6 / phones.size(), postgresCpu * 10.0 / phones.size());
            }
            if (postgres) {
                System.out.printf("  PostgreSQL transactions that wrote or locked rows: %.1f per journey%n",
                        (writingTransactions(jdbc) - transactionsBefore) / (double) phones.size());
            }
            double seconds = Duration.between(start, Instant.now()).toMillis() / 1000.0;
            long messages = jdbc.sql("SELECT COUNT(*) FROM messages").query(Long.class).single() - messagesBefore;
            Map<String, Long> callbacks = countsBy(jdbc, "webhook_inbox", "channel");
            callbacks.replaceAll((channel, count) -> count - callbacksBefore.getOrDefault(channel, 0L));
            long webhooks = callbacks.values().stream().mapToLong(Long::longValue).sum();
            long events = providerEvents(jdbc) - eventsBefore;
            System.out.printf("  provider callbacks: %d, carrying %d events (%.1f each); per journey: %s%n", webhooks, events,
                    (double) events / Math.max(1, webhooks), perJourney(callbacks, phones.size()));
            Map<String, Long> sends = countsBy(jdbc, "messages", "channel");
            sends.replaceAll((channel, count) -> count - messagesByChannelBefore.getOrDefault(channel, 0L));
            System.out.printf("  messages per journey: %s%n", perJourney(sends, phones.size()));
            List<Long> fallbackMillis = fallbackDelays(sandbox, phones);
            System.out.println(fallbackStages(jdbc, sandbox, phones));
            return String.format("| %s | %d | %.0f | %.0f | %.0f | %s | %s | %s |", label, phones.size(),
                    phones.size() / seconds, messages / seconds, events / seconds, inMillis(percentile(fallbackMillis, 50)),
                    inMillis(percentile(fallbackMillis, 99)), peak.get() / (1024 * 1024) + (apart ? " MiB (Reach's JVM)" : " MiB"));
        }
    }

    /**
     * Starts a flow that waits a day for N contacts (an audience launch) and compares the heap in use after a full
     * GC before the launch and once all N journeys wait: journeys are rows, so the difference should be noise.
     */
    private static String waiting(String label, Map<String, String> database, int contacts) {
        Map<String, String> reach = new LinkedHashMap<>(Map.of("server.port", "0", "reach.sandbox.enabled", "false",
                "spring.datasource.hikari.maximum-pool-size", "20", "reach.journeys.poll-interval", "50ms",
                "logging.level.root", "warn"));
        reach.putAll(settings);
        try (ReachNode node = ReachNode.start("bench-waiting", database, reach)) {
            Api api = node.api();
            population(api, 0, contacts, RUN_TAG);
            Api.Response imported = api.post("/api/v1/flows", """
                    {"name":"bench-waiting","entry":{"type":"audience","audience":{"consent":"utility"}},"start":"pause",
                     "steps":[{"id":"pause","type":"wait","duration":"P1D","next":"end"},{"id":"end","type":"end"}]}""");
            String flowId = imported.json().path("flowId").asString();
            Api.Response published = api.post("/api/v1/flows/" + flowId + "/publish", "");
            if (published.status() != 200) {
                throw new IllegalStateException("publish failed: " + published.body());
            }
            JdbcClient jdbc = node.bean(JdbcClient.class);
            long before = heapAfterGc();
            Instant start = Instant.now();
            Journeys journeys = node.bean(Journeys.class);
            UUID launchId = journeys.launch(UUID.fromString(flowId), false).id();
            Launch launch = Awaitility.await().atMost(LIMIT).pollInterval(Duration.ofMillis(50))
                    .until(() -> journeys.launchOf(launchId), done -> Launch.DONE.equals(done.state()));
            int started = Math.toIntExact(launch.started());
            System.out.printf("  launch: %d journeys created in %.1f s%n", started,
                    Duration.between(start, Instant.now()).toMillis() / 1000.0);
            awaitJourneys(jdbc, "WAITING", started, start, "launch");
            double seconds = Duration.between(start, Instant.now()).toMillis() / 1000.0;
            long after = heapAfterGc();
            String stop = stopWithItsJourneys(api, journeys, jdbc, flowId, label.startsWith("PostgreSQL"));
            return String.format("| %s | %d | %d MiB | %d MiB | %d bytes | %.0f | %s |", label, started, before / (1024 * 1024),
                    after / (1024 * 1024), (after - before) / Math.max(1, started), started / seconds, stop);
        }
    }

    /**
     * Stops the flow with its waiting journeys through the API, and times the stop's answer (after the journeys it
     * cancels itself) and the cancellation of all of them (the rest in the background); their table analyzed first on
     * PostgreSQL, as autovacuum would have done by then (this machine's PostgreSQL runs without it).
     */
    private static String stopWithItsJourneys(Api api, Journeys journeys, JdbcClient jdbc, String flowId,
                                              boolean postgres) {
        if (postgres) {
            jdbc.sql("ANALYZE journeys").update();
        }
        Instant start = Instant.now();
        Api.Response stop = api.post("/api/v1/flows/" + flowId + "/stop?cancelJourneys=true", "");
        double answered = Duration.between(start, Instant.now()).toMillis() / 1000.0;
        if (stop.status() != 200 && stop.status() != 202) {
            throw new IllegalStateException("stop failed: " + stop.body());
        }
        UUID id = UUID.fromString(stop.json().path("cancellation").path("id").asString());
        Cancellation done = Awaitility.await().atMost(LIMIT).pollInterval(Duration.ofMillis(50))
                .until(() -> journeys.cancellationOf(id), c -> Cancellation.DONE.equals(c.state()));
        double all = Duration.between(start, Instant.now()).toMillis() / 1000.0;
        System.out.printf("  stop: answered %d after %.2f s (%d cancelled by then), all %d cancelled in %.1f s%n",
                stop.status(), answered, stop.json().path("cancellation").path("cancelledJourneys").asLong(),
                done.cancelledJourneys(), all);
        return String.format("%.2f s | %.1f s (%.0f/s)", answered, all, done.cancelledJourneys() / all);
    }

    /**
     * Runs the warm-up population through the flow again and again until the JIT compiler's threads used less than
     * {@link #SETTLED_JIT_SHARE} of this JVM's CPU during a round (at most {@link #WARM_UP_ROUNDS} rounds); returns
     * the journeys that ended.
     */
    private static int warmUp(BenchedReach reach, List<String> phones) throws InterruptedException {
        int ended = 0;
        for (int round = 1; round <= WARM_UP_ROUNDS; round++) {
            long jitBefore = compilerCpuTicks("self") + reach.compilerCpuTicks();
            long cpuBefore = jvmCpuNanos() + reach.cpuTicks() * 10_000_000;
            Instant roundStart = Instant.now();
            postEvents(reach.api(), phones, 0);
            ended += phones.size();
            awaitJourneys(reach.jdbc(), "ENDED", ended, roundStart, "warm-up " + round);
            double jitShare = (compilerCpuTicks("self") + reach.compilerCpuTicks() - jitBefore) * 1e7
                    / Math.max(1, jvmCpuNanos() + reach.cpuTicks() * 10_000_000 - cpuBefore);
            System.out.printf("  warm-up %d: %d journeys in %d s, the JIT compiler took %.0f %% of the JVMs' CPU%n", round,
                    phones.size(), Duration.between(roundStart, Instant.now()).toSeconds(), jitShare * 100);
            if (jitShare < SETTLED_JIT_SHARE) {
                break;
            }
        }
        return ended;
    }

    /**
     * CPU ticks (1/100 s) of the JIT compiler threads of the JVM with process id {@code pid} ("self": this one) so
     * far, from /proc; 0 where /proc cannot tell.
     */
    static long compilerCpuTicks(String pid) {
        long ticks = 0;
        File[] threads = new File("/proc/" + pid + "/task").listFiles();
        for (File thread : threads == null ? new File[0] : threads) {
            try {
                String stat = Files.readString(thread.toPath().resolve("stat"));
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
                }
            } catch (IOException | RuntimeException e) {
                // a thread that ended meanwhile
            }
        }
        return ticks;
    }

    /** CPU ticks (1/100 s, user + system) of the process {@code pid} so far, from /proc; 0 once it has ended. */
    static long processCpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException | RuntimeException gone) {
            return 0;
        }
    }

    /** The Reach a run measures: in this JVM (a {@link ReachNode}), or in a JVM of its own ({@link ReachProcess}). */
    interface BenchedReach extends AutoCloseable {
        Api api();

        JdbcClient jdbc();

        /** CPU ticks of Reach's own JVM so far; 0 when it runs in this one (whose CPU is counted as a whole). */
        long cpuTicks();

        /** CPU ticks of the JIT compiler threads of Reach's own JVM so far; 0 when it runs in this one. */
        long compilerCpuTicks();

        /** The heap of the JVM Reach runs in (this one's, the sandbox's and the load's with it, when it runs here). */
        MemoryMXBean memory() throws IOException;

        static BenchedReach inThisJvm(Map<String, String> database, Map<String, String> settings) {
            ReachNode node = ReachNode.start("bench", database, settings);
            return new BenchedReach() {
                public Api api() { return node.api(); }
                public JdbcClient jdbc() { return node.bean(JdbcClient.class); }
                public long cpuTicks() { return 0; }
                public long compilerCpuTicks() { return 0; }
                public MemoryMXBean memory() { return ManagementFactory.getMemoryMXBean(); }
                public void close() { node.close(); }
            };
        }

        static BenchedReach apart(int port, Map<String, String> database, Map<String, String> settings) throws Exception {
            ReachProcess reach = ReachProcess.start(port, database, settings);
            return new BenchedReach() {
                public Api api() { return reach.api(); }
                public JdbcClient jdbc() { return reach.jdbc(); }
                public long cpuTicks() { return processCpuTicks(reach.pid()); }
                public long compilerCpuTicks() { return FlowBenchmark.compilerCpuTicks(String.valueOf(reach.pid())); }
                public MemoryMXBean memory() throws IOException { return reach.memory(); }
                public void close() throws InterruptedException { reach.close(); }
            };
        }
    }

    /** CPU time this JVM used so far (all threads, JIT and GC included). */
    static long jvmCpuNanos() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** CPU ticks (user + system) of this machine's PostgreSQL processes so far; 0 where /proc cannot tell. */
    static long postgresCpuTicks() {
        long ticks = 0;
        File[] processes = new File("/proc").listFiles((dir, name) -> name.chars().allMatch(Character::isDigit));
        for (File process : processes == null ? new File[0] : processes) {
            try {
                String stat = Files.readString(process.toPath().resolve("stat"));
                if (stat.contains("(postgres)")) {
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                }
            } catch (IOException | RuntimeException gone) {
                // the process ended meanwhile
            }
        }
        return ticks;
    }

    /**
     * PostgreSQL's transaction ids handed out so far: one per transaction that wrote or locked a row, counted at once
     * and exactly (its per-database statistics lag by seconds). Only this benchmark uses the server meanwhile.
     */
    private static long writingTransactions(JdbcClient jdbc) {
        return jdbc.sql("SELECT CAST(CAST(pg_current_xact_id() AS TEXT) AS BIGINT)").query(Long.class).single();
    }

    private static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** The sandbox node's own database is a scratch H2 in memory, whichever database Reach is measured on. */
    private static Map<String, String> sandboxDatabase() {
        return Map.of("spring.datasource.url", "jdbc:h2:mem:bench_sandbox_" + System.nanoTime() + ";DB_CLOSE_DELAY=-1",
                "spring.datasource.username", "sa", "spring.datasource.password", "");
    }

    /** Waits until {@code expected} journeys are in {@code state}, printing progress every 5 s. */
    private static void awaitJourneys(JdbcClient jdbc, String state, long expected, Instant start, String phase) {
        long reached = 0;
        long lastReport = System.currentTimeMillis();
        while (reached < expected) {
            if (Duration.between(start, Instant.now()).compareTo(LIMIT) > 0) {
                throw new IllegalStateException("the " + phase + " did not finish within " + LIMIT + ": " + reached + " " + state.toLowerCase());
            }
            // A cheap count, so that watching the run costs the run little. Every journey awaited to end exists by
            // now (an event starts its journeys before it is answered), so the few that have not ended are counted:
            // counting the ended ones read every row (PostgreSQL's visibility map stays unset without autovacuum),
            // a tenth of its statements' time by the end of a run.
            try {
                reached = state.equals("ENDED")
                        ? expected - jdbc.sql("SELECT COUNT(*) FROM journeys WHERE state IN ('RUNNING', 'WAITING', 'FAILED')")
                                .query(Long.class).single()
                        : jdbc.sql("SELECT COUNT(*) FROM journeys WHERE state = ?").param(state).query(Long.class).single();
            } catch (DataAccessResourceFailureException unreachable) {
                // The database restarting under the run (a crash test): watch on once it is back.
                System.out.printf("  %s: the database did not answer (%s); watching on%n", phase, unreachable.getClass().getSimpleName());
            }
            if (System.currentTimeMillis() - lastReport > 5_000) {
                System.out.printf("  %s: %d / %d journeys %s after %d s%n", phase, reached, expected, state.toLowerCase(),
                        Duration.between(start, Instant.now()).toSeconds());
                lastReport = System.currentTimeMillis();
            }
            LockSupport.parkNanos(Duration.ofMillis(250).toNanos());
        }
    }

    /**
     * Tenths of the contacts that read and answer, that fall back to an SMS, and that fall back to a call
     * (sandbox/bench-handsets.yml), from {@code BENCH_MIX} ({@code read/sms/call}, e.g. {@code "8/1/1"}); 5/3/2 by
     * default, every path of the flow that ends without a timeout in a large share.
     */
    static int[] mixFromEnvironment() {
        String given = System.getenv().getOrDefault("BENCH_MIX", "").trim();
        if (given.isEmpty()) {
            return DEFAULT_MIX;
        }
        String[] parts = given.split("/");
        try {
            int[] tenths = Arrays.stream(parts).mapToInt(part -> Integer.parseInt(part.trim())).toArray();
            if (tenths.length == 3 && Arrays.stream(tenths).allMatch(tenth -> tenth >= 0)
                    && Arrays.stream(tenths).sum() == 10) {
                System.out.printf("Contacts' mix from BENCH_MIX: %d %% read and answer, %d %% SMS fallback, %d %% call fallback%n",
                        tenths[0] * 10, tenths[1] * 10, tenths[2] * 10);
                return tenths;
            }
        } catch (NumberFormatException notANumber) {
            // refused below, with what is expected
        }
        throw new IllegalArgumentException("BENCH_MIX: '" + given + "' is not read/sms/call in tenths that add up to 10, e.g. 8/1/1");
    }

    /**
     * The measured run's events a second from {@code BENCH_RATE} (e.g. {@code 60}), so that the delays can be read at
     * a load below saturation; 0 (as fast as Reach takes them) by default.
     */
    static double rateFromEnvironment() {
        String given = System.getenv().getOrDefault("BENCH_RATE", "").trim();
        if (given.isEmpty()) {
            return 0;
        }
        try {
            double perSecond = Double.parseDouble(given);
            if (perSecond > 0 && Double.isFinite(perSecond)) {
                System.out.printf("Events from BENCH_RATE: at most %.0f a second in the measured run%n", perSecond);
                return perSecond;
            }
        } catch (NumberFormatException notANumber) {
            // refused below, with what is expected
        }
        throw new IllegalArgumentException("BENCH_RATE: '" + given + "' is not a number of events a second above 0, e.g. 60");
    }

    /**
     * Contacts number {@code from} to {@code from + contacts - 1}, tagged {@code tag}, in the mix of
     * {@link #mixFromEnvironment} (by default 50 % read and answer, 30 % SMS fallback, 20 % call fallback),
     * interleaved by their number's last digit; each has its order's number as an attribute, for a launch.
     */
    private static List<String> population(Api api, int from, int contacts, String tag) {
        List<String> phones = new ArrayList<>();
        // 10,000 contacts a request: a whole 100,000 in one would outlast the test client's 30 s timeout.
        for (int chunk = from; chunk < from + contacts; chunk += 10_000) {
            StringBuilder csv = new StringBuilder("phone,first_name,order_id,tags,consent\n");
            for (int i = chunk; i < Math.min(from + contacts, chunk + 10_000); i++) {
                int group = i % 10 < mix[0] ? 1 : i % 10 < mix[0] + mix[1] ? 2 : 3;
                String phone = "+3161" + group + String.format("%06d", i);
                phones.add(phone);
                csv.append(phone).append(",customer,").append(orderOf(phone)).append(',').append(tag).append(",utility\n");
            }
            Api.Response imported = api.postRaw("/api/v1/contacts/import", "text/csv", csv.toString().getBytes(), Map.of());
            if (imported.status() != 200 || imported.json().path("failed").asInt() != 0) {
                throw new IllegalStateException("import failed: " + imported.body().substring(0, Math.min(500, imported.body().length())));
            }
        }
        return phones;
    }

    /**
     * Posts one order_ready event per contact, 32 at a time, as a busy backend would: as fast as Reach takes them, or
     * at most {@code perSecond} a second when it is above 0 (the i-th event not before i / perSecond seconds).
     */
    private static void postEvents(Api api, List<String> phones, double perSecond) throws InterruptedException {
        Semaphore inFlight = new Semaphore(32);
        long start = System.nanoTime();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < phones.size(); i++) {
                String phone = phones.get(i);
                if (perSecond > 0) {
                    long due = start + (long) (i * 1e9 / perSecond);
                    for (long now = System.nanoTime(); now < due; now = System.nanoTime()) {
                        LockSupport.parkNanos(due - now);
                    }
                }
                inFlight.acquire();
                threads.submit(() -> {
                    try {
                        Api.Response response = api.post("/api/v1/events", Map.of("name", "order_ready", "to", phone,
                                "properties", Map.of("order_id", orderOf(phone))));
                        if (response.status() != 202) {
                            System.err.println("event refused: " + response.body());
                        }
                    } finally {
                        inFlight.release();
                    }
                });
            }
        }
    }

    /**
     * The sandbox WhatsApp sender's messages a second from {@code BENCH_SENDER_THROUGHPUT} (1,000 by default, more than
     * this machine sends): Meta's default of 80 makes a launch's messages queue behind their sender, as a broadcast's do.
     */
    private static void whatsAppThroughputFromEnvironment(Api api) {
        String given = System.getenv().getOrDefault("BENCH_SENDER_THROUGHPUT", "").trim();
        if (given.isEmpty()) {
            return;
        }
        String sender = api.get("/api/v1/senders").json().valueStream()
                .filter(each -> each.path("name").asString().equals("sandbox")).findFirst().orElseThrow()
                .path("id").asString();
        Api.Response changed = api.patch("/api/v1/senders/" + sender, Map.of("throughputPerSecond", Integer.parseInt(given)));
        if (changed.status() != 200) {
            throw new IllegalArgumentException("BENCH_SENDER_THROUGHPUT: '" + given + "' refused: " + changed.body());
        }
        System.out.println("The sandbox WhatsApp sender's throughput from BENCH_SENDER_THROUGHPUT: " + given + " messages a second");
    }

    private static String orderOf(String phone) {
        return phone.substring(phone.length() - 6);
    }

    /**
     * The example flow as a broadcast: the same steps, started by an audience launch for the measured run's contacts
     * (tagged {@link #RUN_TAG}), with each contact's order number from its attributes instead of the event's.
     */
    private static String broadcastOfTheExampleFlow() throws IOException {
        String example = Files.readString(Path.of("examples/flows/whatsapp-fallback.json"));
        String broadcast = example.replace("\"name\": \"whatsapp-fallback\"", "\"name\": \"whatsapp-fallback-broadcast\"")
                .replace("{ \"type\": \"event\", \"event\": \"order_ready\" }",
                        "{ \"type\": \"audience\", \"audience\": { \"tags\": [\"" + RUN_TAG + "\"], \"consent\": \"utility\" } }")
                .replace("{{event.order_id}}", "{{contact.order_id}}");
        if (broadcast.contains("\"event\"") || broadcast.contains("{{event.")) {
            throw new IllegalStateException("the example flow changed: its broadcast copy still refers to the event");
        }
        return broadcast;
    }

    /** The rows of a table so far, by the value of one column. */
    private static Map<String, Long> countsBy(JdbcClient jdbc, String table, String column) {
        Map<String, Long> counts = new TreeMap<>();
        jdbc.sql("SELECT " + column + " AS k, COUNT(*) AS n FROM " + table + " GROUP BY " + column)
                .query(rs -> { counts.put(rs.getString("k"), rs.getLong("n")); });
        return counts;
    }

    private static String perJourney(Map<String, Long> counts, int journeys) {
        return counts.entrySet().stream().map(count -> String.format("%s %.2f", count.getKey(), count.getValue() / (double) journeys))
                .collect(Collectors.joining(", "));
    }

    /**
     * The events providers reported (statuses from Meta's webhooks, SMPP receipts and Twilio's callbacks, and
     * inbound messages), each counted once: a callback carries one or, under load, many.
     */
    private static long providerEvents(JdbcClient jdbc) {
        return jdbc.sql("SELECT COUNT(*) FROM message_events WHERE status IN ('SENT', 'DELIVERED', 'READ', 'FAILED')"
                + " AND inferred = FALSE").query(Long.class).single()
                + jdbc.sql("SELECT COUNT(*) FROM inbound_messages").query(Long.class).single();
    }

    private static List<Long> fallbackDelays(SandboxNetwork sandbox, List<String> phones) {
        List<Long> delays = new ArrayList<>();
        for (String phone : phones) {
            sandbox.graphApi().failureDeliveredAt(phone).ifPresent(failed -> {
                List<SandboxSmsc.Submit> submits = sandbox.smsc().submitsTo(phone);
                if (!submits.isEmpty()) {
                    delays.add(Duration.between(failed, submits.getFirst().receivedAt()).toMillis());
                }
            });
        }
        Collections.sort(delays);
        return delays;
    }

    /**
     * Where the failed→SMS time goes, p50/p99 of each stage: the failed webhook posted → its status applied
     * (the webhook's handling, and the inbox when it is stored for later), → the SMS recorded by the journey's next step (the engine), → its submit_sm at the SMSC
     * (the SMS dispatcher).
     */
    private static String fallbackStages(JdbcClient jdbc, SandboxNetwork sandbox, List<String> phones) {
        List<Long> inbox = new ArrayList<>();
        List<Long> engine = new ArrayList<>();
        List<Long> dispatcher = new ArrayList<>();
        Map<String, Instant> applied = new HashMap<>();
        jdbc.sql("SELECT m.recipient, e.recorded_at FROM message_events e JOIN messages m ON m.id = e.message_id"
                        + " WHERE m.channel = 'WHATSAPP' AND e.status = 'FAILED'")
                .query(rs -> {
                    applied.put(rs.getString(1), rs.getObject(2, OffsetDateTime.class).toInstant());
                });
        Map<String, Instant> recorded = new HashMap<>();
        jdbc.sql("SELECT recipient, created_at FROM messages WHERE channel = 'SMS'")
                .query(rs -> {
                    recorded.put(rs.getString(1), rs.getObject(2, OffsetDateTime.class).toInstant());
                });
        for (String phone : phones) {
            var failed = sandbox.graphApi().failureDeliveredAt(phone);
            List<SandboxSmsc.Submit> submits = sandbox.smsc().submitsTo(phone);
            if (failed.isEmpty() || submits.isEmpty() || !applied.containsKey(phone) || !recorded.containsKey(phone)) {
                continue;
            }
            inbox.add(Duration.between(failed.get(), applied.get(phone)).toMillis());
            engine.add(Duration.between(applied.get(phone), recorded.get(phone)).toMillis());
            dispatcher.add(Duration.between(recorded.get(phone), submits.getFirst().receivedAt()).toMillis());
        }
        Collections.sort(inbox);
        Collections.sort(engine);
        Collections.sort(dispatcher);
        return String.format("  failed→SMS by stage, p50/p99 ms: webhook %s/%s, engine %s/%s, SMS dispatcher %s/%s",
                percentile(inbox, 50), percentile(inbox, 99), percentile(engine, 50), percentile(engine, 99),
                percentile(dispatcher, 50), percentile(dispatcher, 99));
    }

    private static String inMillis(String percentile) {
        return percentile.equals("n/a") ? percentile : percentile + " ms";
    }

    /** The percentile of the sorted delays, or "n/a" when there are none (a mix without fallbacks). */
    private static String percentile(List<Long> sorted, int percentile) {
        if (sorted.isEmpty()) {
            return "n/a";
        }
        int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
        return String.valueOf(sorted.get(Math.max(0, Math.min(index, sorted.size() - 1))));
    }
}
