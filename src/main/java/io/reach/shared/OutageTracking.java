package io.reach.shared;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.stereotype.Component;

/**
 * Tells {@link DatabaseOutage} whether the database's pool gives connections: each one the application asks for goes
 * through it. Lazily: a processor of beans that needed the outage's clock would take it out of other processors' hands.
 */
@Component
class OutageTracking implements BeanPostProcessor {

    private final ObjectProvider<DatabaseOutage> outage;

    OutageTracking(ObjectProvider<DatabaseOutage> outage) {
        this.outage = outage;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        return bean instanceof DataSource dataSource && !(bean instanceof Tracked) ? new Tracked(dataSource, outage) : bean;
    }

    /**
     * A data source whose connections tell the outage, and which, once the pool gave no connection in time, asks for one
     * itself until one comes: the outage then ends as soon as the database answers, even on a node where no other work
     * asks (callbacks and API requests are refused meanwhile without asking).
     */
    static final class Tracked extends DelegatingDataSource {

        private static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);

        private final ObjectProvider<DatabaseOutage> provider;
        private final Duration probeInterval;
        private final AtomicBoolean probing = new AtomicBoolean();
        private volatile DatabaseOutage outage;

        Tracked(DataSource target, ObjectProvider<DatabaseOutage> provider) {
            this(target, provider, PROBE_INTERVAL);
        }

        Tracked(DataSource target, ObjectProvider<DatabaseOutage> provider, Duration probeInterval) {
            super(target);
            this.provider = provider;
            this.probeInterval = probeInterval;
        }

        private DatabaseOutage outage() {
            DatabaseOutage known = outage;
            if (known == null) {
                known = provider.getObject();
                outage = known;
            }
            return known;
        }

        @Override
        public Connection getConnection() throws SQLException {
            return told(super::getConnection);
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return told(() -> super.getConnection(username, password));
        }

        private Connection told(ConnectionRequest request) throws SQLException {
            long asked = outage().connectionAsked();
            try {
                Connection connection = request.get();
                outage().connectionGiven();
                return connection;
            } catch (SQLException e) {
                if (outage().connectionRefused(e, asked)) {
                    probe();
                }
                throw e;
            }
        }

        private void probe() {
            if (probing.compareAndSet(false, true)) {
                Thread.ofVirtual().name("database-probe").start(() -> {
                    boolean answered;
                    try {
                        answered = askUntilAnswered();
                    } finally {
                        probing.set(false);
                    }
                    // An outage that began as this probe ended gets one of its own.
                    if (answered && outage().outOfReachSince().isPresent()) {
                        probe();
                    }
                });
            }
        }

        /**
         * Asks the pool for a connection (each try waits the pool's timeout), at most once a probe interval, while the
         * outage lasts: true once it is over, false when the pool failed otherwise (closed, as the node stops).
         */
        private boolean askUntilAnswered() {
            while (outage().outOfReachSince().isPresent()) {
                long started = System.nanoTime();
                try (Connection given = getConnection()) {
                    return true;
                } catch (SQLException e) {
                    if (!DatabaseOutage.noConnectionGiven(e)) {
                        return false;
                    }
                }
                long left = probeInterval.toNanos() - (System.nanoTime() - started);
                if (left > 0) {
                    LockSupport.parkNanos(left);
                }
            }
            return true;
        }

        private interface ConnectionRequest {
            Connection get() throws SQLException;
        }
    }
}
