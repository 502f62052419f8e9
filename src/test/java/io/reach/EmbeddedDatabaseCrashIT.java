package io.reach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.support.Api;
import io.reach.support.ReachCommand;
import io.reach.support.ReachIntegrationTest;
import io.reach.support.ReachNode;
import io.reach.support.TestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Reach on its embedded default, H2 in a file, killed (as {@code kill -9}, a crash or the OOM killer would) right after
 * it answered: what it answered for is on disk. H2 keeps committed changes in memory for half a second by default,
 * and a crash lost them: an acknowledged webhook, a provider's acceptance (and the message was sent again). And
 * stopped under load: H2's own shutdown hook closed the database while Reach still finished what was under way.
 */
class EmbeddedDatabaseCrashIT {

    @Test
    void whatReachAnsweredForIsKeptWhenItsProcessIsKilledRightAfter() throws Exception {
        Assumptions.assumeFalse(TestDatabase.postgres(), "H2 only: the embedded default");
        Path dataDir = Path.of("target", "test-data", UUID.randomUUID().toString()).toAbsolutePath();
        Files.createDirectories(dataDir);
        int port = ReachNode.freePort();
        Process reach = start(dataDir, port, dataDir.resolve("reach.log"));
        try {
            Api api = new Api("http://127.0.0.1:" + port, ReachIntegrationTest.TOKEN);
            await().atMost(Duration.ofSeconds(120)).ignoreExceptions()
                    .until(() -> api.get("/actuator/health").status() == 200);
            for (int i = 0; i < 30; i++) {
                Api.Response created = api.post("/api/v1/contacts", Map.of("phone", "+316177" + String.format("%05d", i)));
                assertThat(created.status()).as(created.body()).isEqualTo(201);
            }
        } finally {
            reach.destroyForcibly();
            reach.waitFor();
        }

        assertThat(contactsIn(dataDir)).as("contacts on disk after the kill; Reach's log: " + dataDir.resolve("reach.log"))
                .isEqualTo(30);
    }

    @Test
    void aStopUnderLoadFinishesWhatIsUnderWayBeforeTheDatabaseCloses() throws Exception {
        Assumptions.assumeFalse(TestDatabase.postgres(), "H2 only: the embedded default");
        Path dataDir = Path.of("target", "test-data", UUID.randomUUID().toString()).toAbsolutePath();
        Files.createDirectories(dataDir);
        Path log = dataDir.resolve("reach.log");
        int port = ReachNode.freePort();
        Process reach = start(dataDir, port, log);
        Api api = new Api("http://127.0.0.1:" + port, ReachIntegrationTest.TOKEN);
        await().atMost(Duration.ofSeconds(120)).ignoreExceptions().until(() -> api.get("/actuator/health").status() == 200);
        assertThat(api.post("/api/v1/contacts", Map.of("phone", "+31617700001", "consent", Map.of("utility", true))).status())
                .isEqualTo(201);
        // Calls keep coming, and their callbacks with them, while Reach is asked to stop (SIGTERM, as Ctrl-C or a
        // service manager does).
        ExecutorService load = Executors.newVirtualThreadPerTaskExecutor();
        AtomicInteger placed = new AtomicInteger();
        for (int i = 0; i < 200; i++) {
            load.submit(() -> {
                api.post("/api/v1/messages/voice", Map.of("sender", "sandbox-voice", "to", "+31617700001",
                        "text", "Hello", "language", "en-US", "voice", "woman", "category", "utility"));
                placed.incrementAndGet();
            });
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> placed.get() >= 50);
        reach.destroy();
        assertThat(reach.waitFor(60, TimeUnit.SECONDS)).as("Reach stopped").isTrue();
        load.shutdownNow();

        // H2's own shutdown hook closed the database while Reach was still finishing requests and work under way.
        assertThat(Files.readString(log)).doesNotContain("Database is already closed");
    }

    /** Reach as README's first command starts it (application.yml's database, C1 only), in a process of its own. */
    private static Process start(Path dataDir, int port, Path log) throws IOException {
        return ReachCommand.start(List.of("-XX:TieredStopAtLevel=1"), Map.of("server.port", String.valueOf(port),
                "reach.data-dir", dataDir.toString(), "reach.api.token", ReachIntegrationTest.TOKEN,
                "reach.sandbox.graph-api-port", "0", "reach.sandbox.smpp.port", "0", "reach.sandbox.twilio.port", "0"), log);
    }

    private static int contactsIn(Path dataDir) throws SQLException {
        try (Connection connection = DriverManager.getConnection("jdbc:h2:file:" + dataDir.resolve("reach"), "sa", "");
             ResultSet count = connection.createStatement().executeQuery(
                     "SELECT COUNT(*) FROM contacts WHERE phone LIKE '+316177%'")) {
            count.next();
            return count.getInt(1);
        }
    }
}
