package io.reach.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.reach.ReachApplication;
import io.reach.support.Api;
import io.reach.support.ReachIntegrationTest;
import io.reach.support.ReachNode;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Reach in a JVM of its own, started by a benchmark from its classes (not its tests'), so that Reach's CPU is read
 * apart from that of the sandbox and the load, which stay in the benchmark's JVM.
 */
final class ReachProcess implements AutoCloseable {

    private static final Duration STARTUP = Duration.ofMinutes(3);

    private final Process process;
    private final Api api;
    private final HikariDataSource database;
    private final JdbcClient jdbc;

    private ReachProcess(Process process, Api api, HikariDataSource database) {
        this.process = process;
        this.api = api;
        this.database = database;
        this.jdbc = JdbcClient.create(database);
    }

    /**
     * Starts Reach with the settings a {@link ReachNode} would have (its database's among them) on {@code port}, with
     * the heap and collector of the benchmark's own JVM, and waits until it answers; its log goes to
     * {@code target/bench-reach.log}.
     */
    static ReachProcess start(int port, Map<String, String> database, Map<String, String> properties) throws Exception {
        Map<String, String> all = new LinkedHashMap<>(ReachNode.settings("bench", database, properties));
        all.put("server.port", String.valueOf(port));
        // Reach's classes and libraries, without the tests' (their configurations would join the component scan).
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.endsWith("test-classes") && !entry.endsWith("test-classes/"))
                .reduce((a, b) -> a + File.pathSeparator + b).orElseThrow();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "-cp", classPath, ReachApplication.class.getName()));
        all.forEach((key, value) -> command.add("--" + key + "=" + value));
        Path log = Path.of("target", "bench-reach.log");
        Files.createDirectories(log.getParent());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HikariDataSource pool = new HikariDataSource();
        pool.setJdbcUrl(all.get("spring.datasource.url"));
        pool.setUsername(all.get("spring.datasource.username"));
        pool.setPassword(all.get("spring.datasource.password"));
        pool.setMaximumPoolSize(2);
        ReachProcess reach = new ReachProcess(process, new Api("http://127.0.0.1:" + port, ReachIntegrationTest.TOKEN), pool);
        try {
            org.awaitility.Awaitility.await().atMost(STARTUP).pollInterval(Duration.ofMillis(200))
                    .until(() -> !process.isAlive() || reach.answers());
        } catch (RuntimeException e) {
            reach.close();
            throw e;
        }
        if (!process.isAlive()) {
            reach.close();
            throw new IllegalStateException("Reach's process ended as it started (exit code " + process.exitValue()
                    + "); see " + log);
        }
        return reach;
    }

    private boolean answers() {
        try {
            return api.get("/actuator/health").status() == 200;
        } catch (RuntimeException notYet) {
            return false;
        }
    }

    Api api() {
        return api;
    }

    /** The same database as Reach's, through a connection pool of the benchmark's own. */
    JdbcClient jdbc() {
        return jdbc;
    }

    /** The process id, for its CPU in /proc. */
    long pid() {
        return process.pid();
    }

    /** Stops Reach as a SIGTERM does, and waits for it to end (killing it after a minute). */
    @Override
    public void close() throws InterruptedException {
        database.close();
        process.destroy();
        if (!process.waitFor(1, java.util.concurrent.TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor();
        }
    }
}
