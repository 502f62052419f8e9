package io.reach.bench;

import io.reach.sandbox.SandboxNetwork;
import io.reach.sandbox.SandboxSmsc;
import io.reach.support.Api;
import io.reach.support.FlowFixtures;
import io.reach.support.ReachNode;
import io.reach.support.TestDatabase;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Runs the example flow over N sandbox contacts and prints journeys/s, messages/s, webhook events/s, the p50/p99
 * delay from a failed-status webhook (acknowledged by Reach) to the fallback SMS reaching the SMSC, and peak heap.
 * Run it with {@code bench/run [N] [h2|postgres|both]}; see docs/PERFORMANCE.md.
 */
public final class FlowBenchmark {

    private static final Duration LIMIT = Duration.ofMinutes(30);

    public static void main(String[] args) throws Exception {
        int contacts = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        String databases = args.length > 1 ? args[1] : "both";
        List<String> rows = new ArrayList<>();
        if (!databases.equals("postgres")) {
            rows.add(run("H2 (file)", h2(), contacts));
        }
        if (!databases.equals("h2")) {
            System.setProperty("reach.test.database", "postgres");
            rows.add(run("PostgreSQL", TestDatabase.fresh(), contacts));
        }
        System.out.println();
        System.out.println("| database | journeys | journeys/s | messages/s | webhook events/s | failed→SMS p50 | failed→SMS p99 | peak heap |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
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

    private static String run(String label, Map<String, String> database, int contacts) throws Exception {
        int port = ReachNode.freePort();
        Map<String, String> reach = new LinkedHashMap<>(Map.of("server.port", String.valueOf(port), "reach.sandbox.enabled", "false",
                "spring.datasource.hikari.maximum-pool-size", "20", "spring.datasource.hikari.minimum-idle", "20",
                "reach.whatsapp.poll-interval", "50ms", "reach.messaging.poll-interval", "50ms",
                "reach.journeys.poll-interval", "50ms", "logging.level.root", "warn"));
        try (ReachNode sandboxNode = ReachNode.start("bench-sandbox", sandboxDatabase(), Map.of(
                "server.port", "0", "reach.sandbox.graph-api-port", "0", "reach.sandbox.smpp.port", "0",
                "reach.sandbox.twilio.port", "0", "reach.sandbox.register-senders", "false",
                "reach.sandbox.rules-file", "classpath:sandbox/bench-handsets.yml",
                "reach.sandbox.webhook-url", "http://127.0.0.1:" + port + "/webhooks/whatsapp",
                "reach.journeys.engine-enabled", "false", "logging.level.root", "warn"));
             ReachNode node = ReachNode.start("bench", database, reach)) {
            SandboxNetwork sandbox = sandboxNode.bean(SandboxNetwork.class);
            Api api = node.api();
            FlowFixtures.registerSandboxSenders(api, sandbox);
            FlowFixtures.orderReadyTemplate(api);
            String flowId = FlowFixtures.publishExampleFlow(api);
            List<String> phones = population(api, contacts);
            System.out.printf("%s: %d contacts imported, starting the run%n", label, phones.size());

            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            System.gc();
            AtomicLong peak = new AtomicLong(memory.getHeapMemoryUsage().getUsed());
            Instant start = Instant.now();
            postEvents(api, phones);
            JdbcClient progress = node.bean(JdbcClient.class);
            long ended = 0;
            long lastReport = 0;
            while (ended < phones.size()) {
                if (Duration.between(start, Instant.now()).compareTo(LIMIT) > 0) {
                    throw new IllegalStateException("the run did not finish within " + LIMIT + ": " + ended + " ended");
                }
                peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                // A cheap count, so that watching the run costs the run little.
                ended = progress.sql("SELECT COUNT(*) FROM journeys WHERE state = 'ENDED'").query(Long.class).single();
                if (System.currentTimeMillis() - lastReport > 5_000) {
                    System.out.printf("  %d / %d journeys ended after %d s%n", ended, phones.size(),
                            Duration.between(start, Instant.now()).toSeconds());
                    lastReport = System.currentTimeMillis();
                }
                java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofSeconds(1).toNanos());
            }
            double seconds = Duration.between(start, Instant.now()).toMillis() / 1000.0;
            JdbcClient jdbc = progress;
            long messages = jdbc.sql("SELECT COUNT(*) FROM messages").query(Long.class).single();
            long webhooks = jdbc.sql("SELECT COUNT(*) FROM webhook_inbox").query(Long.class).single();
            List<Long> fallbackMillis = fallbackDelays(sandbox, phones);
            return String.format("| %s | %d | %.0f | %.0f | %.0f | %d ms | %d ms | %d MiB |", label, phones.size(),
                    phones.size() / seconds, messages / seconds, webhooks / seconds, percentile(fallbackMillis, 50),
                    percentile(fallbackMillis, 99), peak.get() / (1024 * 1024));
        }
    }

    /** The sandbox node's own database is a scratch H2 in memory, whichever database Reach is measured on. */
    private static Map<String, String> sandboxDatabase() {
        return Map.of("spring.datasource.url", "jdbc:h2:mem:bench_sandbox_" + System.nanoTime() + ";DB_CLOSE_DELAY=-1",
                "spring.datasource.username", "sa", "spring.datasource.password", "");
    }

    /** 50 % read and answer, 30 % SMS fallback, 20 % call fallback (sandbox/bench-handsets.yml). */
    private static List<String> population(Api api, int contacts) {
        List<String> phones = new ArrayList<>();
        StringBuilder csv = new StringBuilder("phone,first_name,consent\n");
        for (int i = 0; i < contacts; i++) {
            int group = i % 10 < 5 ? 1 : i % 10 < 8 ? 2 : 3;
            String phone = "+3161" + group + String.format("%06d", i);
            phones.add(phone);
            csv.append(phone).append(",customer,utility\n");
        }
        Api.Response imported = api.postRaw("/api/v1/contacts/import", "text/csv", csv.toString().getBytes(), Map.of());
        if (imported.status() != 200 || imported.json().path("failed").asInt() != 0) {
            throw new IllegalStateException("import failed: " + imported.body().substring(0, Math.min(500, imported.body().length())));
        }
        return phones;
    }

    /** Posts one order_ready event per contact, 32 at a time, as a busy backend would. */
    private static void postEvents(Api api, List<String> phones) throws InterruptedException {
        Semaphore inFlight = new Semaphore(32);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String phone : phones) {
                inFlight.acquire();
                threads.submit(() -> {
                    try {
                        Api.Response response = api.post("/api/v1/events", Map.of("name", "order_ready", "to", phone,
                                "properties", Map.of("order_id", phone.substring(phone.length() - 6))));
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

    private static long percentile(List<Long> sorted, int percentile) {
        if (sorted.isEmpty()) {
            return -1;
        }
        int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
    }
}
