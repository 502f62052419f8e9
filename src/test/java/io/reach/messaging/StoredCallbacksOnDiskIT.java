package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.shared.Dialect;
import io.reach.shared.DurableCommits;
import io.reach.support.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Clock;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A callback stored for the background (one that could not be applied as it came, or came while others waited) is in
 * H2's file when its provider is answered: the file as it is at that moment, copied while the database stays open,
 * is what a Reach killed right then would start from. H2 writes its file up to a second after a commit on its own.
 */
class StoredCallbacksOnDiskIT {

    @Test
    void aCallbackStoredForLaterIsInTheFileWhenStoreReturns() throws Exception {
        Assumptions.assumeFalse(TestDatabase.postgres(), "H2 only: the embedded default");
        Path dir = Files.createDirectories(Path.of("target", "test-data", UUID.randomUUID().toString()).toAbsolutePath());
        DriverManagerDataSource dataSource = new DriverManagerDataSource("jdbc:h2:file:" + dir.resolve("reach")
                + ";AUTO_SERVER=FALSE;DB_CLOSE_ON_EXIT=FALSE", "sa", "");
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration")
                .placeholders(Dialect.H2.migrationPlaceholders()).load().migrate();
        // One connection held open for the whole test, as Reach's pool holds them: the database stays open.
        try (Connection open = dataSource.getConnection()) {
            WebhookInbox inbox = new WebhookInbox(JdbcClient.create(dataSource), new JdbcTemplate(dataSource), Dialect.H2,
                    Clock.systemUTC(), new TransactionTemplate(new DurableCommits(dataSource, Dialect.H2)));
            for (int i = 0; i < 5; i++) {
                inbox.store("SMPP", null, "{\"_kind\":\"receipt\",\"id\":\"5a0000" + i + "\",\"stat\":\"DELIVRD\"}", "5a0000" + i);
            }
            // At once, as a kill right after the last answer: no background write of H2's has come in between.
            Path copy = Files.createDirectories(dir.resolve("at-the-kill"));
            Files.copy(dir.resolve("reach.mv.db"), copy.resolve("reach.mv.db"));

            try (Connection afterTheKill = DriverManager.getConnection("jdbc:h2:file:" + copy.resolve("reach"), "sa", "");
                 ResultSet count = afterTheKill.createStatement().executeQuery("SELECT COUNT(*) FROM webhook_inbox")) {
                count.next();
                assertThat(count.getInt(1)).as("callbacks in the file at the kill").isEqualTo(5);
            }
            assertThat(open.isClosed()).isFalse();
        }
    }
}
