package io.reach.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.awaitility.Awaitility;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The database an integration test context runs on: a fresh in-memory H2 by default, or, when the build runs the
 * PostgreSQL pass ({@code reach.test.database=postgres}), a fresh schema in the database named by
 * {@code REACH_TEST_POSTGRES_URL} (a JDBC URL), dropped when the JVM ends.
 */
public final class TestDatabase {

    private static final List<String> CREATED_SCHEMAS = new CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(TestDatabase::dropSchemas));
    }

    private TestDatabase() {}

    public static boolean postgres() {
        return "postgres".equals(System.getProperty("reach.test.database"));
    }

    public static void register(DynamicPropertyRegistry registry) {
        fresh().forEach((key, value) -> registry.add(key, () -> value));
    }

    /**
     * Opens a transaction on a connection of {@code dataSource} that locks the row {@code selectForUpdate} finds for
     * {@code key} (a {@code SELECT … WHERE … = ? FOR UPDATE}); the lock holds until the caller commits or closes it.
     */
    public static Connection holdRowLock(DataSource dataSource, String selectForUpdate, Object key)
            throws SQLException {
        Connection holder = dataSource.getConnection();
        try {
            lockRow(holder, selectForUpdate, key);
            return holder;
        } catch (SQLException | RuntimeException e) {
            holder.close();
            throw e;
        }
    }

    /**
     * Makes every connection of the context wait at most {@code timeout} for a row lock another holds (then the
     * statement fails, as a passing failure), on H2 or PostgreSQL alike.
     */
    public static void registerLockTimeout(DynamicPropertyRegistry registry, Duration timeout) {
        lockTimeout(timeout).forEach((key, value) -> registry.add(key, () -> value));
    }

    /** The settings that make a statement waiting longer than {@code timeout} for a lock fail, for a node started by hand. */
    public static Map<String, String> lockTimeout(Duration timeout) {
        long millis = timeout.toMillis();
        return Map.of("spring.datasource.hikari.connection-init-sql",
                postgres() ? "SET lock_timeout = " + millis : "SET LOCK_TIMEOUT " + millis);
    }

    /**
     * Opens a transaction on {@code holder} that locks the row {@code selectForUpdate} finds for {@code key}; the lock
     * holds until the caller commits, rolls back or closes it.
     */
    public static void lockRow(Connection holder, String selectForUpdate, Object key) throws SQLException {
        holder.setAutoCommit(false);
        try (PreparedStatement lock = holder.prepareStatement(selectForUpdate)) {
            lock.setObject(1, key);
            lock.executeQuery().close();
        }
    }

    /** A connection of its own to the database of {@code settings} (from {@link #fresh()}). */
    public static Connection connect(Map<String, String> settings) throws SQLException {
        return DriverManager.getConnection(settings.get("spring.datasource.url"), settings.get("spring.datasource.username"),
                settings.get("spring.datasource.password"));
    }

    /**
     * How many sessions of the test's database wait for a lock another holds, running a statement that contains
     * {@code statementText}: for a test that holds a lock until its rivals all wait for it.
     */
    public static long sessionsWaitingForALock(JdbcClient jdbc, String statementText) {
        String waiting = postgres()
                ? "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE ?"
                : "SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS WHERE BLOCKER_ID IS NOT NULL AND EXECUTING_STATEMENT LIKE ?";
        return jdbc.sql(waiting).param("%" + statementText + "%").query(Long.class).single();
    }

    /**
     * Waits, asking on {@code connection}, until no session waits for a lock running a statement that contains
     * {@code statementText}: a node stopped while one of its statements waited has then given it up, and its pool,
     * closed, gives it no connection to try again. Only then may a test let go of the lock without that node's
     * statement going through late (in one JVM, a stopped node's threads outlive it).
     */
    public static void awaitNoneWaitingForALock(Connection connection, String statementText) {
        JdbcClient jdbc = JdbcClient.create(
                new SingleConnectionDataSource(connection, true));
        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> sessionsWaitingForALock(jdbc, statementText) == 0);
    }

    /** The settings of a fresh database (H2 in memory, or a new PostgreSQL schema), for contexts started by hand. */
    public static Map<String, String> fresh() {
        Map<String, String> settings = new LinkedHashMap<>();
        String unique = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        if (!postgres()) {
            settings.put("spring.datasource.url", "jdbc:h2:mem:reach_" + unique + ";DB_CLOSE_DELAY=-1");
            settings.put("spring.datasource.username", "sa");
            settings.put("spring.datasource.password", "");
            return settings;
        }
        String url = System.getenv("REACH_TEST_POSTGRES_URL");
        if (url == null || url.isBlank()) {
            throw new IllegalStateException("The PostgreSQL pass needs REACH_TEST_POSTGRES_URL (a JDBC URL), e.g. "
                    + "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
        }
        String schema = "reach_test_" + unique;
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot create a test schema in " + url, e);
        }
        CREATED_SCHEMAS.add(schema);
        // Named after its schema in pg_stat_activity, so that a test can drop its own connections and no one else's.
        String withSchema = url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema + "&ApplicationName=" + schema;
        settings.put("spring.datasource.url", withSchema);
        settings.put("spring.datasource.username", "");
        settings.put("spring.datasource.password", "");
        settings.put("spring.flyway.schemas", schema);
        settings.put("spring.flyway.default-schema", schema);
        return settings;
    }

    /**
     * Drops every connection to the PostgreSQL schema of {@code database} (made by {@link #fresh}), as a restart or a
     * failover of the server would; returns how many were dropped.
     */
    public static int dropConnections(Map<String, String> database) throws SQLException {
        try (Connection connection = DriverManager.getConnection(database.get("spring.datasource.url"));
             PreparedStatement terminate = connection.prepareStatement("SELECT COUNT(pg_terminate_backend(pid))"
                     + " FROM pg_stat_activity WHERE application_name = current_setting('application_name') AND pid <> pg_backend_pid()");
             ResultSet dropped = terminate.executeQuery()) {
            dropped.next();
            return dropped.getInt(1);
        }
    }

    private static void dropSchemas() {
        String url = System.getenv("REACH_TEST_POSTGRES_URL");
        if (CREATED_SCHEMAS.isEmpty() || url == null) {
            return;
        }
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            for (String schema : CREATED_SCHEMAS) {
                statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        } catch (SQLException e) {
            System.err.println("Could not drop the test schemas " + CREATED_SCHEMAS + ": " + e.getMessage());
        }
    }
}
