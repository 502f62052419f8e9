package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.jdbc.UncategorizedSQLException;
import org.springframework.jdbc.support.SQLErrorCodeSQLExceptionTranslator;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.IllegalTransactionStateException;
import org.springframework.transaction.UnexpectedRollbackException;

/** Trying work again through a database's passing failures, without Spring. */
class PassingFailuresTest {

    private final AtomicInteger calls = new AtomicInteger();

    @Test
    void triesAgainThroughPassingFailuresUntilTheWorkHolds() {
        String result = PassingFailures.retry(() -> {
            int call = calls.incrementAndGet();
            if (call == 1) {
                throw new DataAccessResourceFailureException("connection lost");
            }
            if (call == 2) {
                throw new QueryTimeoutException("lock timed out");
            }
            return "recorded";
        }, Duration.ofSeconds(10));

        assertThat(result).isEqualTo("recorded");
        assertThat(calls).hasValue(3);
    }

    @Test
    void takesPostgreSqlsLockAndStatementTimeoutsThatSpringLeavesUncategorizedAsPassing() {
        assertThat(PassingFailures.isPassing(new UncategorizedSQLException("lock", "SELECT 1",
                new SQLException("canceling statement due to lock timeout", "55P03")))).isTrue();
        assertThat(PassingFailures.isPassing(new UncategorizedSQLException("timeout", "SELECT 1",
                new SQLException("canceling statement due to statement timeout", "57014")))).isTrue();
        assertThat(PassingFailures.isPassing(new UncategorizedSQLException("syntax", "SELEC 1",
                new SQLException("syntax error", "42601")))).isFalse();
    }

    @Test
    void takesAStatementPastAProgramLimitOfPostgreSqlAsARefusalThoughSpringCallsItAResourceFailure() {
        var translator = new SQLErrorCodeSQLExceptionTranslator("PostgreSQL");
        RuntimeException tooBig = translator.translate("insert", "INSERT INTO report_rows …", new SQLException(
                "index row size 3040 exceeds btree version 4 maximum 2704 for index \"by_status\"", "54000"));
        RuntimeException outOfMemory = translator.translate("insert", "INSERT INTO report_rows …",
                new SQLException("out of memory", "53200"));

        assertThat(tooBig).isInstanceOf(DataAccessResourceFailureException.class);
        assertThat(PassingFailures.exceedsALimit(tooBig)).isTrue();
        assertThat(PassingFailures.isPassing(tooBig)).as("the same statement fails the same way every time").isFalse();
        assertThat(PassingFailures.exceedsALimit(outOfMemory)).isFalse();
        assertThat(PassingFailures.isPassing(outOfMemory)).isTrue();
    }

    @Test
    void takesATransactionThatSomethingInsideMarkedRollbackOnlyAsNotPassing() {
        // It would fail the same way at once: tried again at once, it loops.
        assertThat(PassingFailures.isPassing(new UnexpectedRollbackException(
                "Transaction rolled back because it has been marked as rollback-only"))).isFalse();
        assertThat(PassingFailures.isPassing(new IllegalTransactionStateException("misused")))
                .isFalse();
        assertThat(PassingFailures.isPassing(new CannotCreateTransactionException("no connection")))
                .isTrue();
    }

    @Test
    void throwsAFailureThatDoesNotPassAtOnce() {
        assertThatThrownBy(() -> PassingFailures.retry(() -> {
            calls.incrementAndGet();
            throw new DataIntegrityViolationException("value too long");
        }, Duration.ofSeconds(10))).isInstanceOf(DataIntegrityViolationException.class);

        assertThat(calls).hasValue(1);
    }

    @Test
    void givesUpWithTheLastFailureOnceItsPatienceIsSpent() {
        Throwable thrown = Assertions.catchThrowable(() -> PassingFailures.retry(() -> {
            throw new DataAccessResourceFailureException("down, try " + calls.incrementAndGet());
        }, Duration.ofMillis(400)));

        // Waits of 50, 100 and 200 ms fit in 400 ms, the next 400 would not: four tries at most, the last one thrown.
        assertThat(thrown).isInstanceOf(DataAccessResourceFailureException.class).hasMessage("down, try " + calls.get());
        assertThat(calls.get()).isBetween(2, 4);
    }

    @Test
    void runsWorkThatMustNotRunTwiceAgainOnlyWhenTheFailureCertainlyLeftItUndone() {
        // The server had closed the connection the pool handed out (a restart): the statement never ran.
        PassingFailures.retryUndone(() -> {
            if (calls.incrementAndGet() == 1) {
                throw dataAccess("FATAL: terminating connection due to administrator command", "57P01");
            }
        }, Duration.ofSeconds(10));
        assertThat(calls).hasValue(2);

        // Lost in the middle (an I/O error): it may have been done, so it is not run again.
        calls.set(0);
        assertThatThrownBy(() -> PassingFailures.retryUndone(() -> {
            calls.incrementAndGet();
            throw dataAccess("An I/O error occurred while sending to the backend", "08006");
        }, Duration.ofSeconds(10))).isInstanceOf(DataAccessResourceFailureException.class);
        assertThat(calls).hasValue(1);
    }

    @Test
    void takesAConnectionNeverGivenOrDeadBeforeItsStatementAsCertainlyUndone() {
        assertThat(PassingFailures.certainlyUndone(new CannotCreateTransactionException(
                "no connection", new SQLTransientConnectionException("HikariPool-1 - Connection is not available"))))
                .isTrue();
        assertThat(PassingFailures.certainlyUndone(dataAccess("terminating connection because of crash of another server process",
                "57P02"))).isTrue();
        assertThat(PassingFailures.certainlyUndone(dataAccess("This connection has been closed.", "08003"))).isTrue();
        assertThat(PassingFailures.certainlyUndone(dataAccess("An I/O error occurred while sending to the backend", "08006")))
                .isFalse();
        assertThat(PassingFailures.certainlyUndone(dataAccess("canceling statement due to lock timeout", "55P03"))).isFalse();
    }

    private static DataAccessResourceFailureException dataAccess(String message, String state) {
        return new DataAccessResourceFailureException(message, new SQLException(message, state));
    }
}
