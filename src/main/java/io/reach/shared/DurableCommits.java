package io.reach.shared;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.datasource.JdbcTransactionObjectSupport;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.support.DefaultTransactionStatus;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Reach's transactions. On H2 a commit returns before its changes are in the database's file: H2 writes them in the
 * background, up to half a second later, and a process that crashed or was killed meanwhile lost them, though Reach
 * had answered for them (a webhook acknowledged, a provider's acceptance recorded, a contact created). So on H2 a
 * commit returns once the file has it: the first committer to find no write under way writes everything committed so
 * far ({@code CHECKPOINT}), and those who commit meanwhile wait for the next such write, which takes all of theirs at
 * once (a group commit: one write for many commits; a write for each, H2's {@code WRITE_DELAY=0}, cost three quarters
 * of the throughput, and writes spaced 10 ms apart more still). The engine's own transactions do not wait (see
 * {@link Dialect#runTogetherCommittingWithoutWaitingForTheFlush}), as on PostgreSQL. Unlike PostgreSQL's log, the
 * file is not forced to the disk: a machine that loses its power may lose the last moments.
 */
public class DurableCommits extends JdbcTransactionManager {

    private static final Logger log = LoggerFactory.getLogger(DurableCommits.class);
    private static final ThreadLocal<Boolean> WITHOUT_WAITING = new ThreadLocal<>();

    private final boolean embedded;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition written = lock.newCondition();
    private long started;
    private long finished;
    private boolean writing;

    public DurableCommits(DataSource dataSource, Dialect dialect) {
        super(dataSource);
        this.embedded = dialect == Dialect.H2 && inAFile(dataSource);
    }

    /** Whether the database is kept in a file (not only in memory, as the tests' H2 is: it has nothing to write). */
    private static boolean inAFile(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            return !connection.getMetaData().getURL().startsWith("jdbc:h2:mem:");
        } catch (SQLException e) {
            return true;
        }
    }

    /** Lets the transaction under way on this thread commit without waiting for the database's file. */
    static void commitWithoutWaiting() {
        // Outside a transaction each statement commits on its own, and nothing would clear the mark for the next one.
        if (TransactionSynchronizationManager.isActualTransactionActive()) {
            WITHOUT_WAITING.set(Boolean.TRUE);
        }
    }

    @Override
    protected void doCommit(DefaultTransactionStatus status) {
        super.doCommit(status);
        if (embedded && WITHOUT_WAITING.get() == null && !status.isReadOnly()) {
            awaitWritten(((JdbcTransactionObjectSupport) status.getTransaction()).getConnectionHolder().getConnection());
        }
    }

    /**
     * A rollback on a connection the database dropped (a restart, a failover) fails too. Spring would then throw the
     * rollback's failure in place of the statement's or the commit's, logging the latter at ERROR with its stack trace,
     * for every transaction an outage cuts short. The database ends such a transaction itself as it loses the
     * connection, so the rollback's failure is only logged at DEBUG, and the first failure, which Reach handles as a
     * passing one, goes on. A rollback that fails on a connection still there fails as before.
     */
    @Override
    protected void doRollback(DefaultTransactionStatus status) {
        try {
            super.doRollback(status);
        } catch (RuntimeException e) {
            if (!PassingFailures.isPassing(e) || !connectionLost(status)) {
                throw e;
            }
            log.debug("The rollback found its connection gone; the database ended the transaction with it", e);
        }
    }

    /** Whether the transaction's connection is closed or fails its check (the pool then drops it). */
    private static boolean connectionLost(DefaultTransactionStatus status) {
        Connection connection = ((JdbcTransactionObjectSupport) status.getTransaction()).getConnectionHolder().getConnection();
        try {
            return connection.isClosed() || !connection.isValid(1);
        } catch (SQLException e) {
            return true;
        }
    }

    @Override
    protected void doCleanupAfterCompletion(Object transaction) {
        WITHOUT_WAITING.remove();
        super.doCleanupAfterCompletion(transaction);
    }

    /** Returns once a write of the file that began after this call has finished, making one if none is under way. */
    private void awaitWritten(Connection connection) {
        long needed;
        lock.lock();
        try {
            needed = started + 1; // a write under way may have begun before this commit
            while (true) {
                while (writing && finished < needed) {
                    written.await();
                }
                if (finished >= needed) {
                    return;
                }
                writing = true;
                started++;
                long mine = started;
                lock.unlock();
                try {
                    write(connection);
                } finally {
                    lock.lock();
                    writing = false;
                    finished = mine;
                    written.signalAll();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** Writes everything committed so far to the database's file. */
    void write(Connection connection) {
        // The committing transaction's own connection, which it still holds: waiting for another one from the pool
        // could wait for ever, every connection held by a commit waiting for this write.
        try (Statement statement = connection.createStatement()) {
            statement.execute("CHECKPOINT");
        } catch (SQLException e) {
            log.warn("H2 could not write its file now; it writes it in the background", e);
        }
    }
}
