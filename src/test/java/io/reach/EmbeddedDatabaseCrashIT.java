package io.reach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.support.Api;
import io.reach.support.ReachIntegrationTest;
import io.reach.support.ReachNode;
import io.reach.support.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Reach on its embedded default, H2 in a file, killed (as {@code kill -9}, a crash or the OOM killer would) right after
 * it answered: what it answered for is on disk. H2 keeps committed changes in memory for half a second by default,
 * and a crash lost them: an acknowledged webhook, a provider's acceptance (and the message was sent again).
 */
class EmbeddedDatabaseCrashIT {

    @Test
    void whatReachAnsweredForIsKeptWhenItsProcessIsKilledRightAfter() throws Exception {
        Assumptions.assumeFalse(TestDatabase.postgres(), "H2 only: the embedded default");
        Path dataDir = Path.of("target", "test-data", UUID.randomUUID().toString()).toAbsolutePath();
        Files.createDirectories(dataDir);
        int port = ReachNode.freePort();
        // Reach as README's first command starts it (application.yml's database), in a process of its own.
        Process reach = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ReachApplication.class.getName(),
                "--server.port=" + port, "--reach.data-dir=" + dataDir, "--reach.api.token=" + ReachIntegrationTest.TOKEN,
                "--reach.sandbox.graph-api-port=0", "--reach.sandbox.smpp.port=0", "--reach.sandbox.twilio.port=0")
                .redirectErrorStream(true).redirectOutput(dataDir.resolve("reach.log").toFile()).start();
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

    private static int contactsIn(Path dataDir) throws SQLException {
        try (Connection connection = DriverManager.getConnection("jdbc:h2:file:" + dataDir.resolve("reach"), "sa", "");
             ResultSet count = connection.createStatement().executeQuery(
                     "SELECT COUNT(*) FROM contacts WHERE phone LIKE '+316177%'")) {
            count.next();
            return count.getInt(1);
        }
    }
}
