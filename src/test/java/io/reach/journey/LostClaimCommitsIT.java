package io.reach.journey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.support.Api;
import io.reach.support.Fixtures;
import io.reach.support.FlowFixtures;
import io.reach.support.OffsetClock;
import io.reach.support.OffsetClockConfiguration;
import io.reach.support.ReachIntegrationTest;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.test.context.TestPropertySource;

/**
 * A claim of journeys whose commit went through while its answer was lost (a connection dropped as the database
 * answered, as a failover or a restart of the server can do): the journeys it leased are given back at once, not left
 * to their leases (ten minutes here, on a clock the test does not move).
 */
@TestPropertySource(properties = {"reach.sandbox.enabled=false", "reach.journeys.lease=10m", "reach.journeys.poll-interval=100ms"})
@Import({OffsetClockConfiguration.class, LostClaimCommitsIT.LosingACommit.class})
class LostClaimCommitsIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);
    // The statement of a claim's leases (Dialect runs it alone on H2, after a setting on PostgreSQL).
    private static final String CLAIMS_LEASES = "UPDATE journeys SET lease_until = ? WHERE id IN (";
    private static final AtomicBoolean ARMED = new AtomicBoolean();
    private static final AtomicInteger LOST = new AtomicInteger();

    @Autowired
    OffsetClock clock;

    /** Connections whose next commit after a claim's leases, once the test arms it, commits and then fails as a lost answer. */
    @TestConfiguration(proxyBeanMethods = false)
    static class LosingACommit {
        @Bean
        static BeanPostProcessor losingACommit() {
            return new BeanPostProcessor() {
                @Override
                public Object postProcessAfterInitialization(Object bean, String name) {
                    return bean instanceof DataSource dataSource && !(bean instanceof Losing) ? new Losing(dataSource) : bean;
                }
            };
        }
    }

    private static final class Losing extends DelegatingDataSource {
        Losing(DataSource target) {
            super(target);
        }

        @Override
        public Connection getConnection() throws SQLException {
            return losing(super.getConnection());
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return losing(super.getConnection(username, password));
        }

        private static Connection losing(Connection connection) {
            AtomicBoolean leased = new AtomicBoolean();
            return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                    (proxy, method, args) -> {
                        if (method.getName().startsWith("prepare") && args != null && args[0] instanceof String sql
                                && sql.contains(CLAIMS_LEASES)) {
                            leased.set(true);
                        }
                        boolean committing = method.getName().equals("commit");
                        Object result;
                        try {
                            result = method.invoke(connection, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                        if (committing || method.getName().equals("rollback")) {
                            boolean lose = committing && leased.get() && ARMED.compareAndSet(true, false);
                            leased.set(false);
                            if (lose) {
                                LOST.incrementAndGet();
                                throw new SQLException("I/O error: the connection was lost as the commit was answered (test)", "08006");
                            }
                        }
                        return result;
                    });
        }
    }

    @Test
    void aClaimWhoseCommitsAnswerWasLostGivesItsJourneysBackAtOnce() {
        String flow = FlowFixtures.publish(api, """
                {"name":"lost-claim","entry":{"type":"api"},"start":"pause","steps":[
                 {"id":"pause","type":"wait","duration":"PT1M","next":"tag"},
                 {"id":"tag","type":"add_tag","tag":"after-the-pause","next":"end"},
                 {"id":"end","type":"end"}]}""");
        String phone = "+31612260001";
        Fixtures.consentingContact(api, phone);
        Api.Response started = api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", phone));
        assertThat(started.status()).as(started.body()).isEqualTo(201);
        String journey = started.json().path("journeyId").asString();
        await().atMost(PATIENCE).until(() -> "WAITING".equals(api.get("/api/v1/journeys/" + journey).json().path("state").asString()));

        ARMED.set(true);
        clock.advance(Duration.ofMinutes(1).plusSeconds(1));

        await().atMost(PATIENCE).until(() -> "ENDED".equals(api.get("/api/v1/journeys/" + journey).json().path("state").asString()));
        assertThat(LOST.get()).as("claims whose commit's answer was lost").isEqualTo(1);
        assertThat(api.get("/api/v1/journeys/" + journey + "/path").json().valueStream()
                .map(step -> step.path("stepId").asString()).toList()).containsExactly("pause", "tag", "end");
    }
}
