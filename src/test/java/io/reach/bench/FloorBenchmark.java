package io.reach.bench;

import io.reach.support.Api;
import io.reach.support.ReachNode;
import io.reach.support.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The floor under the example flow's cost on this machine: the CPU of the two kinds of exchange a journey is made of,
 * with next to none of Reach's work in them: an HTTP request to a Reach node over loopback (client and server in this
 * JVM, as the sandbox and Reach are in {@link FlowBenchmark}) that reads no table, with and without a body and the
 * API's token, and a PostgreSQL transaction that updates one row (through Reach's pool, committed durably and as the
 * engine commits). Multiplied by what a journey makes of each, they tell how much of its CPU no change to Reach's own
 * work can take away.
 * Run it with {@code bench/floor [N]}; see docs/PERFORMANCE.md.
 */
public final class FloorBenchmark {

    private static final int CONCURRENCY = 32;
    // The smallest valid flow document: validating it reads no table.
    private static final String DOCUMENT = "{\"name\":\"floor\",\"entry\":{\"type\":\"api\"},\"start\":\"end\","
            + "\"steps\":[{\"id\":\"end\",\"type\":\"end\"}]}";

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        System.setProperty("reach.test.database", "postgres");
        Map<String, String> reach = new LinkedHashMap<>(Map.of("server.port", String.valueOf(ReachNode.freePort()),
                "reach.sandbox.enabled", "false", "spring.datasource.hikari.maximum-pool-size", "20",
                "spring.datasource.hikari.minimum-idle", "20", "logging.level.root", "warn"));
        reach.putAll(FlowBenchmark.settingsFromEnvironment());
        try (ReachNode node = ReachNode.start("floor", TestDatabase.fresh(), reach)) {
            Api api = node.api();
            JdbcClient jdbc = node.bean(JdbcClient.class);
            TransactionTemplate transactions = node.bean(TransactionTemplate.class);
            jdbc.sql("CREATE TABLE floor_rows (id INT PRIMARY KEY, n BIGINT NOT NULL)").update();
            jdbc.sql("INSERT INTO floor_rows SELECT g, 0 FROM generate_series(1, 1000) g").update();
            Runnable request = () -> {
                Api.Response response = api.post("/api/v1/flows/validate", DOCUMENT);
                if (response.status() != 200 || !response.body().contains("\"valid\":true")) {
                    throw new IllegalStateException("validate answered " + response.status() + ": " + response.body());
                }
            };
            Runnable durable = () -> transactions.executeWithoutResult(status -> touchOneRow(jdbc));
            Runnable asEngine = () -> transactions.executeWithoutResult(status -> {
                jdbc.sql("SELECT set_config('synchronous_commit', 'off', true)").query(String.class).single();
                touchOneRow(jdbc);
            });
            System.out.printf("floor: %d of each, %d at a time, after as many to warm up%n", count, CONCURRENCY);
            Runnable info = () -> {
                Api.Response response = api.get("/actuator/info");
                if (response.status() != 200) {
                    throw new IllegalStateException("info answered " + response.status());
                }
            };
            String[] rows = {
                    measure("an HTTP request without a body or the API's token (GET /actuator/info)", info, count),
                    measure("an HTTP request to Reach's API (POST /api/v1/flows/validate, no table read)", request, count),
                    measure("a PostgreSQL transaction updating one row, committed durably", durable, count),
                    measure("the same, committed as the engine commits (synchronous_commit off)", asEngine, count)};
            System.out.println();
            System.out.println("| exchange | per second | CPU each, JVM + PostgreSQL |");
            System.out.println("| --- | --- | --- |");
            for (String row : rows) {
                System.out.println(row);
            }
        }
        System.exit(0);
    }

    private static void touchOneRow(JdbcClient jdbc) {
        int updated = jdbc.sql("UPDATE floor_rows SET n = n + 1 WHERE id = ?")
                .param(ThreadLocalRandom.current().nextInt(1, 1001)).update();
        if (updated != 1) {
            throw new IllegalStateException("updated " + updated + " rows");
        }
    }

    /** Runs {@code exchange} {@code count} times to warm up, then {@code count} times measured; a table row. */
    private static String measure(String label, Runnable exchange, int count) throws InterruptedException {
        repeat(exchange, count);
        long jvmBefore = FlowBenchmark.jvmCpuNanos();
        long postgresBefore = FlowBenchmark.postgresCpuTicks();
        Instant start = Instant.now();
        repeat(exchange, count);
        double seconds = Duration.between(start, Instant.now()).toNanos() / 1e9;
        double jvmMicros = (FlowBenchmark.jvmCpuNanos() - jvmBefore) / 1e3 / count;
        // Ticks are 1/100 s on Linux (USER_HZ).
        double postgresMicros = (FlowBenchmark.postgresCpuTicks() - postgresBefore) * 10_000.0 / count;
        String row = String.format("| %s | %.0f | %.0f + %.0f µs |", label, count / seconds, jvmMicros, postgresMicros);
        System.out.println(row);
        return row;
    }

    /** Runs {@code exchange} {@code count} times, {@link #CONCURRENCY} at a time, each on a virtual thread. */
    private static void repeat(Runnable exchange, int count) throws InterruptedException {
        AtomicLong next = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < CONCURRENCY; i++) {
                threads.submit(() -> {
                    while (next.getAndIncrement() < count) {
                        try {
                            exchange.run();
                        } catch (RuntimeException e) {
                            if (failures.getAndIncrement() == 0) {
                                e.printStackTrace();
                            }
                        }
                    }
                });
            }
        }
        if (failures.get() > 0) {
            throw new IllegalStateException(failures.get() + " exchanges failed");
        }
    }
}
