package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reach.support.MutableClock;
import java.io.PrintWriter;
import java.lang.reflect.Proxy;
import java.net.ConnectException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.transaction.CannotCreateTransactionException;

/** When providers' callbacks are refused without waiting for the database, and when they wait for it again. */
class DatabaseOutageTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-05T03:00:00Z"));
    private final DatabaseOutage outage = new DatabaseOutage(clock);
    private final Pool pool = new Pool();
    private final DataSource dataSource = new OutageTracking.Tracked(pool, new StaticProvider(outage), Duration.ofMillis(20));

    /** Whatever a test left down comes back, and the node's own probe ends the outage: no probe outlives its test. */
    @AfterEach
    void databaseBack() {
        pool.failure.set(null);
        pool.down.set(false);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> outage.outOfReachSince().isEmpty());
    }

    @Test
    void callbacksAreHandledWhileThePoolGivesConnections() throws Exception {
        dataSource.getConnection();
        assertThat(outage.unlessOutOfReach(() -> "handled")).isEqualTo("handled");
        assertThat(outage.outOfReachSince()).isEmpty();
    }

    @Test
    void aConnectionThePoolCouldNotGiveInTimeRefusesTheNextCallbacksWithoutRunningThem() {
        pool.down.set(true);
        assertThatThrownBy(dataSource::getConnection).isInstanceOf(SQLTransientConnectionException.class);
        assertThat(outage.outOfReachSince()).contains(clock.instant());

        AtomicInteger ran = new AtomicInteger();
        clock.advance(Duration.ofMinutes(5));
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> outage.unlessOutOfReach(ran::incrementAndGet))
                    .isInstanceOf(DatabaseOutOfReach.class).hasMessageContaining("2026-12-05T03:00:00Z")
                    .satisfies(e -> assertThat(PassingFailures.isPassing((RuntimeException) e)).isTrue());
        }
        assertThat(ran).hasValue(0);
    }

    @Test
    void apiRequestsAreRefusedOnlyWhileTheDatabaseIsKnownOutOfReach() throws Exception {
        dataSource.getConnection();
        outage.refuseRequestWhileOutOfReach();

        pool.down.set(true);
        assertThatThrownBy(dataSource::getConnection).isInstanceOf(SQLTransientConnectionException.class);
        assertThatThrownBy(outage::refuseRequestWhileOutOfReach).isInstanceOf(DatabaseOutOfReach.class)
                .hasMessageContaining("the API request was refused")
                .satisfies(e -> assertThat(((DatabaseOutOfReach) e).callback()).isFalse());
        assertThatThrownBy(() -> outage.unlessOutOfReach(() -> "handled"))
                .satisfies(e -> assertThat(((DatabaseOutOfReach) e).callback()).isTrue());

        pool.down.set(false);
        dataSource.getConnection();
        outage.refuseRequestWhileOutOfReach();
    }

    @Test
    void theFirstConnectionThePoolGivesEndsTheOutage() throws Exception {
        pool.down.set(true);
        assertThatThrownBy(dataSource::getConnection).isInstanceOf(SQLTransientConnectionException.class);
        pool.down.set(false);
        // A worker's connection, not a callback's.
        dataSource.getConnection();
        assertThat(outage.outOfReachSince()).isEmpty();
        for (int i = 0; i < 3; i++) {
            assertThat(outage.unlessOutOfReach(() -> "handled")).isEqualTo("handled");
        }
    }

    @Test
    void theNodeAsksForAConnectionItselfUntilOneComesSoThatTheOutageEndsWithoutOtherWork() {
        pool.down.set(true);
        assertThatThrownBy(dataSource::getConnection).isInstanceOf(SQLTransientConnectionException.class);
        int asked = pool.asked.get();
        // Nothing else asks for a connection from here on.
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> pool.asked.get() >= asked + 3);
        assertThat(outage.outOfReachSince()).isPresent();

        pool.down.set(false);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> outage.outOfReachSince().isEmpty());
        assertThat(outage.unlessOutOfReach(() -> "handled")).isEqualTo("handled");
        // The probe stopped with the outage.
        int afterwards = pool.asked.get();
        Awaitility.await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(1))
                .until(() -> pool.asked.get() == afterwards);
    }

    @Test
    void theNodeStopsAskingWhenThePoolFailsOtherwiseAsItDoesWhenClosed() throws Exception {
        pool.down.set(true);
        assertThatThrownBy(dataSource::getConnection).isInstanceOf(SQLTransientConnectionException.class);
        pool.failure.set(new SQLException("HikariDataSource HikariDataSource (HikariPool-1) has been closed."));
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> pool.failures.get() > 0);
        int asked = pool.asked.get();
        Awaitility.await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(1))
                .until(() -> pool.asked.get() == asked);
        assertThat(outage.outOfReachSince()).isPresent();
        // What the pool gives next still ends the outage (here: the test's own connection).
        pool.failure.set(null);
        pool.down.set(false);
        dataSource.getConnection();
        assertThat(outage.outOfReachSince()).isEmpty();
    }

    @Test
    void aRequestThatFailsAfterThePoolGaveAnotherOneAConnectionBeginsNoOutage() {
        SQLTransientConnectionException timedOut = new SQLTransientConnectionException(
                "HikariPool-1 - Connection is not available, request timed out after 10000ms");
        long asked = outage.connectionAsked();
        // Given to another request while this one waited (the database came back, or the pool had one free again).
        outage.connectionGiven();

        assertThat(outage.connectionRefused(timedOut, asked)).isFalse();
        assertThat(outage.outOfReachSince()).isEmpty();
        assertThat(outage.connectionRefused(timedOut, outage.connectionAsked())).isTrue();
        assertThat(outage.outOfReachSince()).contains(clock.instant());
        outage.connectionGiven();
    }

    @Test
    void otherFailuresOfTheDatabaseRefuseNothing() {
        pool.failure.set(new SQLException("FATAL: password authentication failed", "28P01"));
        assertThatThrownBy(dataSource::getConnection).isInstanceOf(SQLException.class);
        assertThat(outage.outOfReachSince()).isEmpty();
        assertThat(outage.unlessOutOfReach(() -> "handled")).isEqualTo("handled");
    }

    @Test
    void aFailureIsThePoolsGivingNoConnectionWhereverItIsWrapped() {
        RuntimeException wrapped = new CannotCreateTransactionException("no connection",
                new SQLTransientConnectionException("HikariPool-1 - Connection is not available, request timed out"));
        assertThat(DatabaseOutage.noConnectionGiven(wrapped)).isTrue();
        assertThat(DatabaseOutage.noConnectionGiven(new QueryTimeoutException("statement"))).isFalse();
    }

    /** A pool that gives a connection, or fails as Hikari does when none comes in time, or with a failure given. */
    private static final class Pool implements DataSource {
        final AtomicBoolean down = new AtomicBoolean();
        final AtomicReference<SQLException> failure = new AtomicReference<>();
        final AtomicInteger asked = new AtomicInteger();
        final AtomicInteger failures = new AtomicInteger();

        @Override
        public Connection getConnection() throws SQLException {
            asked.incrementAndGet();
            if (failure.get() != null) {
                failures.incrementAndGet();
                throw failure.get();
            }
            if (down.get()) {
                throw new SQLTransientConnectionException(
                        "HikariPool-1 - Connection is not available, request timed out after 10000ms", "08001",
                        new ConnectException("Connection refused"));
            }
            return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {Connection.class}, (proxy, method, args) -> null);
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return getConnection();
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() {
            return Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> iface) {
            return null;
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return false;
        }
    }

    /** The outage, as Spring hands it to the tracking data source. */
    private record StaticProvider(DatabaseOutage outage) implements ObjectProvider<DatabaseOutage> {
        @Override
        public DatabaseOutage getObject() {
            return outage;
        }

        @Override
        public DatabaseOutage getObject(Object... args) {
            return outage;
        }

        @Override
        public DatabaseOutage getIfAvailable() {
            return outage;
        }

        @Override
        public DatabaseOutage getIfUnique() {
            return outage;
        }
    }
}
