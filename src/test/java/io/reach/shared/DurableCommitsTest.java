package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.AbstractDataSource;
import org.springframework.transaction.support.TransactionTemplate;

@ExtendWith(OutputCaptureExtension.class)
class DurableCommitsTest {

    @TempDir
    Path directory;

    /** Counts the writes of the file it makes. */
    private static final class CountedCommits extends DurableCommits {
        final AtomicInteger writes = new AtomicInteger();

        CountedCommits(JdbcDataSource dataSource) {
            super(dataSource, Dialect.H2);
        }

        @Override
        void write(Connection connection) {
            writes.incrementAndGet();
            super.write(connection);
        }
    }

    /** A connection held open, as Reach's pool holds them: H2 writes its file whole when its last connection closes. */
    private Connection held;

    private JdbcDataSource h2() throws SQLException {
        JdbcDataSource dataSource = new JdbcDataSource();
        dataSource.setURL("jdbc:h2:file:" + directory.resolve("reach"));
        dataSource.setUser("sa");
        held = dataSource.getConnection();
        return dataSource;
    }

    private CountedCommits commits;
    private JdbcTemplate jdbc;
    private TransactionTemplate transactions;

    @BeforeEach
    void database() throws SQLException {
        JdbcDataSource dataSource = h2();
        commits = new CountedCommits(dataSource);
        jdbc = new JdbcTemplate(dataSource);
        transactions = new TransactionTemplate(commits);
        transactions.executeWithoutResult(tx -> jdbc.execute("CREATE TABLE rows_written (id INT PRIMARY KEY)"));
    }

    @AfterEach
    void release() throws SQLException {
        held.close();
    }

    /** The rows the database's file holds now: what a process killed at this moment would find at its restart. */
    private int rowsOnDisk() throws Exception {
        Path copy = directory.resolve("copy");
        Files.createDirectories(copy);
        Files.copy(directory.resolve("reach.mv.db"), copy.resolve("reach.mv.db"));
        try (Connection connection = DriverManager.getConnection("jdbc:h2:file:" + copy.resolve("reach"), "sa", "");
             ResultSet count = connection.createStatement().executeQuery("SELECT COUNT(*) FROM rows_written")) {
            count.next();
            return count.getInt(1);
        }
    }

    @Test
    void aCommitReturnsOnceTheFileHasItAndCommitsMadeAtOnceShareAWrite() throws Exception {
        int before = commits.writes.get();

        List<Future<?>> done = new ArrayList<>();
        try (ExecutorService threads = Executors.newFixedThreadPool(8)) {
            for (int t = 0; t < 8; t++) {
                int thread = t;
                done.add(threads.submit(() -> {
                    for (int i = 0; i < 25; i++) {
                        int id = thread * 100 + i;
                        transactions.executeWithoutResult(tx -> jdbc.update("INSERT INTO rows_written VALUES (?)", id));
                    }
                }));
            }
            for (Future<?> each : done) {
                each.get();
            }
        }

        assertThat(commits.writes.get() - before).as("writes for 200 commits").isBetween(1, 199);
        transactions.executeWithoutResult(tx -> jdbc.update("INSERT INTO rows_written VALUES (1000)"));
        // Every commit that returned is in the file, the last one too, though H2 by itself writes it up to half a
        // second later.
        assertThat(rowsOnDisk()).isEqualTo(201);
    }

    @Test
    void aTransactionMarkedNotToWaitCommitsWithoutAWrite() {
        int before = commits.writes.get();

        transactions.executeWithoutResult(tx -> {
            DurableCommits.commitWithoutWaiting();
            jdbc.update("INSERT INTO rows_written VALUES (1)");
        });
        assertThat(commits.writes.get()).isEqualTo(before);

        // The mark goes with that transaction only.
        transactions.executeWithoutResult(tx -> jdbc.update("INSERT INTO rows_written VALUES (2)"));
        assertThat(commits.writes.get()).isEqualTo(before + 1);
    }

    /**
     * A connection PostgreSQL dropped mid-transaction (a restart, a failover): its rollback fails as the driver's does
     * then; its commit too when {@code commitFails}. {@code lost} false: the connection is still there.
     */
    private static DataSource dropped(boolean commitFails, boolean lost) {
        Connection connection = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getAutoCommit" -> true;
                    case "isClosed" -> false;
                    case "isValid" -> !lost;
                    case "rollback" -> throw new SQLException("This connection has been closed.", "08003");
                    case "commit" -> {
                        if (commitFails) {
                            throw new SQLException("An I/O error occurred while sending to the backend.", "08006");
                        }
                        yield null;
                    }
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> method.getReturnType() == boolean.class ? false
                            : method.getReturnType() == int.class ? 0 : null;
                });
        return new AbstractDataSource() {
            @Override
            public Connection getConnection() {
                return connection;
            }

            @Override
            public Connection getConnection(String username, String password) {
                return connection;
            }
        };
    }

    @Test
    void aStatementThatLostItsConnectionFailsWithItsOwnFailureAndNoErrorFromTheRollbackAfterIt(
            CapturedOutput output) {
        TransactionTemplate transactions = new TransactionTemplate(new DurableCommits(dropped(false, true), Dialect.POSTGRESQL));
        RuntimeException lost = new DataAccessResourceFailureException(
                "An I/O error occurred while sending to the backend.");

        assertThatThrownBy(() -> transactions.executeWithoutResult(tx -> {
            throw lost;
        })).isSameAs(lost);
        assertThat(output.getOut()).doesNotContain("overridden by rollback exception");
    }

    @Test
    void aCommitThatLostItsConnectionFailsWithItsOwnFailureAndNoErrorFromTheRollbackAfterIt(
            CapturedOutput output) {
        TransactionTemplate transactions = new TransactionTemplate(new DurableCommits(dropped(true, true), Dialect.POSTGRESQL));

        assertThatThrownBy(() -> transactions.executeWithoutResult(tx -> { }))
                .isInstanceOf(DataAccessResourceFailureException.class)
                .hasMessageContaining("JDBC commit");
        assertThat(output.getOut()).doesNotContain("overridden by rollback exception");
    }

    @Test
    void aRollbackThatFailsOnAConnectionStillThereFailsAsBefore() {
        TransactionTemplate transactions = new TransactionTemplate(new DurableCommits(dropped(false, false), Dialect.POSTGRESQL));

        assertThatThrownBy(() -> transactions.executeWithoutResult(tx -> {
            throw new IllegalStateException("a refused step");
        })).hasMessageContaining("JDBC rollback");
    }
}
