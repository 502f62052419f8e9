package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.support.Api;
import io.reach.support.ReachNode;
import io.reach.support.TestDatabase;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.TreeMap;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/** A database of an earlier version of Reach migrated to this one keeps what it held, in this version's terms. */
class UpgradeIT {

    private final Map<String, String> database = TestDatabase.fresh();
    private final DriverManagerDataSource dataSource = new DriverManagerDataSource(database.get("spring.datasource.url"),
            database.get("spring.datasource.username"), database.get("spring.datasource.password"));
    private final JdbcClient jdbc = JdbcClient.create(dataSource);

    private Flyway migrationsUpTo(String version) {
        return migrations(version, "classpath:db/migration");
    }

    private Flyway migrations(String version, String... locations) {
        var configuration = Flyway.configure().dataSource(dataSource).locations(locations)
                .placeholders((TestDatabase.postgres() ? Dialect.POSTGRESQL : Dialect.H2).migrationPlaceholders())
                .target(version)
                // As Reach's application.yml: a session lock, which CREATE INDEX CONCURRENTLY does not wait for.
                .configuration(Map.of("flyway.postgresql.transactional.lock", "false"));
        if (database.containsKey("spring.flyway.schemas")) {
            configuration.schemas(database.get("spring.flyway.schemas")).defaultSchema(database.get("spring.flyway.default-schema"));
        }
        return configuration.load();
    }

    @Test
    void aNodeOfThisVersionStartsAndWorksOnASchemaALaterVersionMigratedAsARollingUpgradeHasThem() {
        migrations("latest", "classpath:db/migration", "classpath:db/next").migrate();
        String history = "SELECT COUNT(*) FROM \"flyway_schema_history\"";
        int migrated = jdbc.sql(history).query(Integer.class).single();

        try (ReachNode before = ReachNode.start("before", database,
                Map.of("reach.sandbox.enabled", "false"))) {
            Api.Response created = before.api().post("/api/v1/contacts", Map.of("phone", "+31612990201"));

            assertThat(created.status()).as(created.body()).isEqualTo(201);
        }
        assertThat(jdbc.sql(history).query(Integer.class).single()).as("nothing migrated, undone or recorded as failed")
                .isEqualTo(migrated);
        assertThat(jdbc.sql("SELECT COUNT(*) FROM contacts WHERE phone = '+31612990201'").query(Integer.class).single()).isEqualTo(1);
    }

    @Test
    void keepsTheCallbacksGivenUpBeforeTheyWereMarkedAsDiscardedOnes() {
        migrationsUpTo("33").migrate();
        String insert = "INSERT INTO webhook_inbox (channel, received_at, body, processed_at, attempts, next_attempt_at, last_error)"
                + " VALUES ('WHATSAPP', TIMESTAMP WITH TIME ZONE '2026-12-01 10:00:00+00', ?, ?, 3,"
                + " TIMESTAMP WITH TIME ZONE '2026-12-01 10:05:00+00', ?)";
        OffsetDateTime processed = OffsetDateTime.parse("2026-12-01T11:00:00Z");
        jdbc.sql(insert).params("applied", processed, null).update();
        jdbc.sql(insert).params("given up", processed, "could not be read").update();
        jdbc.sql(insert).params("failing", null, "could not be read").update();
        jdbc.sql(insert).params("waiting", null, null).update();

        migrationsUpTo("latest").migrate();

        Map<String, Object> discarded = new TreeMap<>();
        jdbc.sql("SELECT body, discarded_at FROM webhook_inbox").query(rs -> {
            discarded.put(rs.getString("body"), rs.getObject("discarded_at", OffsetDateTime.class));
        });
        assertThat(discarded).containsOnlyKeys("applied", "given up", "failing", "waiting");
        assertThat(((OffsetDateTime) discarded.get("given up")).toInstant()).isEqualTo(processed.toInstant());
        assertThat(discarded.get("applied")).isNull();
        assertThat(discarded.get("failing")).isNull();
        assertThat(discarded.get("waiting")).isNull();
    }
}
