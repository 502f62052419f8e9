package io.reach.shared;

import java.sql.Connection;
import java.sql.SQLException;
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

    /** A data source whose connections tell the outage. */
    static final class Tracked extends DelegatingDataSource {

        private final ObjectProvider<DatabaseOutage> provider;
        private volatile DatabaseOutage outage;

        Tracked(DataSource target, ObjectProvider<DatabaseOutage> provider) {
            super(target);
            this.provider = provider;
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
            try {
                Connection connection = request.get();
                outage().connectionGiven();
                return connection;
            } catch (SQLException e) {
                outage().connectionRefused(e);
                throw e;
            }
        }

        private interface ConnectionRequest {
            Connection get() throws SQLException;
        }
    }
}
