package io.reach.bench;

import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import com.zaxxer.hikari.HikariDataSource;
import io.reach.support.Api;
import io.reach.support.ReachCommand;
import io.reach.support.ReachIntegrationTest;
import io.reach.support.ReachNode;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.awaitility.Awaitility;
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
    // Reach's heap over JMX, once asked for (see memory()).
    private JMXConnector jmx;
    private MemoryMXBean memory;

    private ReachProcess(Process process, Api api, HikariDataSource database) {
        this.process = process;
        this.api = api;
        this.database = database;
        this.jdbc = JdbcClient.create(database);
    }

    /**
     * Starts Reach with the settings a {@link ReachNode} would have (its database's among them) on {@code port}, with
     * the heap and collector of the benchmark's own JVM and the flags of {@code BENCH_JVM_OPTS}, as the benchmark's JVM
     * has them, and waits until it answers; its log goes to {@code target/bench-reach.log}.
     */
    static ReachProcess start(int port, Map<String, String> database, Map<String, String> properties) throws Exception {
        Map<String, String> all = new LinkedHashMap<>(ReachNode.settings("bench", database, properties));
        all.put("server.port", String.valueOf(port));
        List<String> jvmOptions = new ArrayList<>(List.of("-Xms1g", "-Xmx1g", "-XX:+UseG1GC"));
        String extraOptions = System.getenv().getOrDefault("BENCH_JVM_OPTS", "").strip();
        if (!extraOptions.isEmpty()) {
            jvmOptions.addAll(List.of(extraOptions.split("\\s+")));
        }
        Path log = Path.of("target", "bench-reach.log");
        Process process = ReachCommand.start(jvmOptions, all, log);
        HikariDataSource pool = new HikariDataSource();
        pool.setJdbcUrl(all.get("spring.datasource.url"));
        pool.setUsername(all.get("spring.datasource.username"));
        pool.setPassword(all.get("spring.datasource.password"));
        pool.setMaximumPoolSize(2);
        ReachProcess reach = new ReachProcess(process, new Api("http://127.0.0.1:" + port, ReachIntegrationTest.TOKEN), pool);
        try {
            Awaitility.await().atMost(STARTUP).pollInterval(Duration.ofMillis(200))
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

    /**
     * Reach's heap, read over JMX: the attach API starts the local management agent of Reach's JVM (loopback only, no
     * port opened) the first time.
     */
    MemoryMXBean memory() throws IOException {
        if (memory == null) {
            String address;
            try {
                VirtualMachine vm = VirtualMachine.attach(String.valueOf(process.pid()));
                try {
                    address = vm.startLocalManagementAgent();
                } finally {
                    vm.detach();
                }
            } catch (AttachNotSupportedException e) {
                throw new IOException("Cannot attach to Reach's JVM (pid " + process.pid() + ")", e);
            }
            jmx = JMXConnectorFactory.connect(new JMXServiceURL(address));
            memory = ManagementFactory.newPlatformMXBeanProxy(jmx.getMBeanServerConnection(),
                    ManagementFactory.MEMORY_MXBEAN_NAME, MemoryMXBean.class);
        }
        return memory;
    }

    /** The process id, for its CPU in /proc. */
    long pid() {
        return process.pid();
    }

    /** Stops Reach as a SIGTERM does, and waits for it to end (killing it after a minute). */
    @Override
    public void close() throws InterruptedException {
        if (jmx != null) {
            try {
                jmx.close();
            } catch (IOException alreadyGone) {
                // Reach's JVM is stopped next anyway.
            }
        }
        database.close();
        process.destroy();
        if (!process.waitFor(1, TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor();
        }
    }
}
