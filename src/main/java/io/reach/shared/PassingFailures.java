package io.reach.shared;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.RecoverableDataAccessException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.transaction.TransactionException;
import org.springframework.transaction.TransactionUsageException;
import org.springframework.transaction.UnexpectedRollbackException;

/**
 * Database failures that pass: the connection was lost (the database restarted or failed over), a lock or a
 * statement timed out, a deadlock chose this transaction. Worth trying again at once, unlike a refused statement.
 */
public final class PassingFailures {

    private static final Duration FIRST_WAIT = Duration.ofMillis(50);
    private static final Duration LONGEST_WAIT = Duration.ofSeconds(2);

    private PassingFailures() {}

    /** What the database said, on one line: the innermost cause's type and the first line of its message, clipped. */
    public static String cause(RuntimeException e) {
        return NestedExceptionUtils.getMostSpecificCause(e).getClass().getSimpleName() + ": "
                + Texts.clip(firstLine(e), 300);
    }

    /**
     * The first line of the innermost cause's message: PostgreSQL's next lines quote the row it refused, contacts'
     * data included, which neither a log nor a journey's error should carry.
     */
    public static String firstLine(RuntimeException e) {
        String message = Objects.requireNonNullElse(
                NestedExceptionUtils.getMostSpecificCause(e).getMessage(), "no reason given");
        return message.lines().findFirst().orElse("");
    }

    public static boolean isPassing(RuntimeException e) {
        if (e instanceof UnexpectedRollbackException
                || e instanceof TransactionUsageException) {
            // Something inside the transaction failed and was caught, or the code misuses transactions: it would fail
            // the same way at once, again and again.
            return false;
        }
        if (exceedsALimit(e)) {
            return false;
        }
        return e instanceof DataAccessResourceFailureException
                || e instanceof TransientDataAccessException
                || e instanceof RecoverableDataAccessException
                || e instanceof TransactionException
                || passingState(e);
    }

    /**
     * PostgreSQL's lock and statement timeouts (SQLState 55P03, 57014), which Spring leaves uncategorized, and a
     * connection's failure (class 08) wherever it is wrapped.
     */
    private static boolean passingState(Throwable e) {
        return hasCause(e, cause -> cause instanceof SQLException sql && sql.getSQLState() != null
                && (sql.getSQLState().equals("55P03") || sql.getSQLState().equals("57014") || sql.getSQLState().startsWith("08")));
    }

    /**
     * A statement past one of PostgreSQL's program limits (SQLState class 54: an index entry, a statement or a
     * function's arguments too large), which Spring takes for a resource failure: the same statement fails the same
     * way every time, so it is a refusal, not a failure that passes.
     */
    public static boolean exceedsALimit(Throwable e) {
        return hasCause(e, cause -> cause instanceof SQLException sql && sql.getSQLState() != null
                && sql.getSQLState().startsWith("54"));
    }

    /** Whether the failure, or any failure it wraps, is one {@code test} takes. */
    public static boolean hasCause(Throwable failure, Predicate<Throwable> test) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (test.test(cause)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Runs {@code work}, and again after a passing failure (waiting 50 ms, doubled each time up to 2 s), for at most
     * {@code patience} in all: then the last failure is thrown. Any other failure is thrown at once. For work that must
     * not be given up lightly, such as recording that a provider accepted a message (given up, it is sent again).
     */
    public static <T> T retry(Supplier<T> work, Duration patience) {
        return retryWhile(PassingFailures::isPassing, work, patience);
    }

    /**
     * Whether a failure certainly left the work undone: no connection was given, or the one given was dead before
     * its statement ran (the server had closed it: a restart, a failover, a crash of another of its processes, which
     * also roll back a statement under way). Unlike a connection lost in the middle of a commit, whose outcome is
     * unknown, such work can be run again whatever it does.
     */
    public static boolean certainlyUndone(RuntimeException e) {
        return hasCause(e, cause -> cause instanceof SQLTransientConnectionException
                || cause instanceof CannotGetJdbcConnectionException
                || cause instanceof SQLException sql && sql.getSQLState() != null
                && UNDONE_STATES.contains(sql.getSQLState()));
    }

    // Admin shutdown, crash shutdown, cannot connect now; no such connection, none could be made, none was allowed.
    private static final Set<String> UNDONE_STATES = Set.of("57P01", "57P02", "57P03", "08003", "08001",
            "08004");

    /**
     * Runs {@code work}, and again (as {@link #retry}) after a failure that {@link #certainlyUndone certainly left it
     * undone}, for at most {@code patience}: for work that must not run twice, such as putting a claimed message back,
     * which another node may claim once it is done.
     */
    public static void retryUndone(Runnable work, Duration patience) {
        retryWhile(PassingFailures::certainlyUndone, () -> {
            work.run();
            return null;
        }, patience);
    }

    private static <T> T retryWhile(Predicate<RuntimeException> worthAnotherTry, Supplier<T> work,
                                    Duration patience) {
        long giveUpAt = System.nanoTime() + patience.toNanos();
        for (int attempt = 1; ; attempt++) {
            try {
                return work.get();
            } catch (RuntimeException e) {
                Duration wait = Backoff.exponential(FIRST_WAIT, LONGEST_WAIT, attempt);
                if (!worthAnotherTry.test(e) || System.nanoTime() + wait.toNanos() > giveUpAt) {
                    throw e;
                }
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** {@link #retry(Supplier, Duration)} for work without a result. */
    public static void retry(Runnable work, Duration patience) {
        retry(() -> {
            work.run();
            return null;
        }, patience);
    }
}
