package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.messaging.WebhookInbox;
import io.reach.support.Api;
import io.reach.support.FakeProvider;
import io.reach.support.Fixtures;
import io.reach.support.FlowFixtures;
import io.reach.support.OffsetClock;
import io.reach.support.OffsetClockConfiguration;
import io.reach.support.ReachIntegrationTest;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.test.context.TestPropertySource;

/**
 * Claims whose commit went through while its answer was lost (a connection dropped as the database answered, as a
 * failover or a restart of the server can do): what they leased — journeys, messages to send, stored callbacks — is
 * given back at once, not left to the leases (ten minutes here, on a clock the test does not move).
 */
@TestPropertySource(properties = {"reach.sandbox.enabled=false", "reach.journeys.lease=10m", "reach.journeys.poll-interval=100ms",
        "reach.whatsapp.lease=10m"})
@Import({OffsetClockConfiguration.class, LostClaimCommitsIT.LosingACommit.class})
class LostClaimCommitsIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);
    // The statements that write a claim's leases (on H2 each runs alone; on PostgreSQL the messages' is the claim itself).
    private static final String JOURNEYS_LEASES = "UPDATE journeys SET lease_until = ? WHERE id IN (";
    private static final String MESSAGES_LEASES = "messages SET lease_until = ?, attempts = attempts + 1";
    private static final String CALLBACKS_LEASES = "UPDATE webhook_inbox SET lease_until = ?, attempts = attempts + 1";
    // The leases' statement whose next commit, once it leased a row, is lost; null when none is.
    private static final AtomicReference<String> ARMED = new AtomicReference<>();
    private static final AtomicInteger LOST = new AtomicInteger();
    private static final FakeProvider META = FakeProvider.metaGraphApi();
    private static final String PHONE_NUMBER_ID = "106540352242977";

    @Autowired
    OffsetClock clock;

    @Autowired
    WebhookInbox inbox;

    /** Connections whose next commit after the armed statement leased a row commits and then fails as a lost answer. */
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
            return proxy(Connection.class, connection, (method, args, result) -> {
                String armed = ARMED.get();
                if (method.getName().startsWith("prepare") && armed != null && args != null && args[0] instanceof String sql
                        && sql.contains(armed)) {
                    return proxy(PreparedStatement.class, (PreparedStatement) result,
                            (call, callArgs, answer) -> leasing(sql, call, answer, leased));
                }
                if (method.getName().equals("commit") || method.getName().equals("rollback")) {
                    boolean lose = method.getName().equals("commit") && leased.get() && armed != null && ARMED.compareAndSet(armed, null);
                    leased.set(false);
                    if (lose) {
                        LOST.incrementAndGet();
                        throw new SQLException("I/O error: the connection was lost as the commit was answered (test)", "08006");
                    }
                }
                return result;
            });
        }

        /** What a call on the armed statement answers, noting whether it leased a row (wrote one, or returned one). */
        private static Object leasing(String sql, Method call, Object answer, AtomicBoolean leased) {
            switch (call.getName()) {
                case "executeUpdate", "executeLargeUpdate" -> {
                    if (((Number) answer).longValue() > 0) {
                        leased.set(true);
                    }
                }
                // PostgreSQL's claims of messages and stored callbacks lease and return their rows in one statement,
                // sent between the settings of their plan (Dialect.claimAndSet).
                case "executeQuery", "getResultSet" -> {
                    return answer == null ? null : proxy(ResultSet.class, (ResultSet) answer, (next, nextArgs, row) -> {
                        if (next.getName().equals("next") && Boolean.TRUE.equals(row)) {
                            leased.set(true);
                        }
                        return row;
                    });
                }
                // Statements run together (the journeys' leases on PostgreSQL), written only when rows are leased.
                case "execute" -> {
                    if (!sql.contains(" RETURNING ")) {
                        leased.set(true);
                    }
                }
                default -> { }
            }
            return answer;
        }
    }

    /** What a proxy does with the answer of each call made through it. */
    private interface Answering {
        Object answer(Method method, Object[] args, Object result) throws Throwable;
    }

    private static <T> T proxy(Class<T> type, T target, Answering answering) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            Object result;
            try {
                result = method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            return answering.answer(method, args, result);
        }));
    }

    @AfterAll
    static void stopMeta() {
        META.close();
    }

    @BeforeEach
    void lostNothingYet() {
        ARMED.set(null);
        LOST.set(0);
        if (api.get("/api/v1/senders").json().isEmpty()) {
            Fixtures.metaSender(api, "meta-lost-claims", META.baseUrl());
            Fixtures.orderTemplate(api, "lost_claims_order");
        }
    }

    @Test
    void aClaimOfJourneysWhoseCommitsAnswerWasLostGivesThemBackAtOnce() {
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

        ARMED.set(JOURNEYS_LEASES);
        clock.advance(Duration.ofMinutes(1).plusSeconds(1));

        await().atMost(PATIENCE).until(() -> "ENDED".equals(api.get("/api/v1/journeys/" + journey).json().path("state").asString()));
        assertThat(LOST.get()).as("claims whose commit's answer was lost").isEqualTo(1);
        assertThat(api.get("/api/v1/journeys/" + journey + "/path").json().valueStream()
                .map(step -> step.path("stepId").asString()).toList()).containsExactly("pause", "tag", "end");
    }

    @Test
    void aClaimOfMessagesWhoseCommitsAnswerWasLostGivesThemBackAtOnceTheirAttemptNotCounted() {
        String phone = "+31612260002";
        Fixtures.consentingContact(api, phone);
        int sendsBefore = META.requests().size();

        ARMED.set(MESSAGES_LEASES);
        Api.Response sent = Fixtures.sendOrder(api, "meta-lost-claims", "lost_claims_order", phone);
        assertThat(sent.status()).as(sent.body()).isEqualTo(202);
        String message = sent.json().path("messageId").asString();

        await().atMost(PATIENCE).until(() -> "submitted".equals(api.get("/api/v1/messages/" + message).json().path("status").asString()));
        assertThat(LOST.get()).as("claims whose commit's answer was lost").isEqualTo(1);
        assertThat(META.requests()).hasSize(sendsBefore + 1);
        assertThat(api.get("/api/v1/messages/" + message).json().path("attempts").asInt()).isEqualTo(1);
    }

    @Test
    void aClaimOfStoredCallbacksWhoseCommitsAnswerWasLostGivesThemBackAtOnce() {
        String phone = "+31612260003";
        Fixtures.consentingContact(api, phone);
        Api.Response sent = Fixtures.sendOrder(api, "meta-lost-claims", "lost_claims_order", phone);
        assertThat(sent.status()).as(sent.body()).isEqualTo(202);
        String message = sent.json().path("messageId").asString();
        await().atMost(PATIENCE).until(() -> "submitted".equals(api.get("/api/v1/messages/" + message).json().path("status").asString()));
        String wamid = api.get("/api/v1/messages/" + message).json().path("providerMessageId").asString();
        UUID sender = UUID.fromString(api.get("/api/v1/senders").json().path(0).path("id").asString());

        ARMED.set(CALLBACKS_LEASES);
        // Stored for the background, as a callback is when it cannot be applied at once.
        inbox.store("WHATSAPP", sender, "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":"
                + "\"102290129340398\",\"changes\":[{\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{"
                + "\"display_phone_number\":\"15550783881\",\"phone_number_id\":\"" + PHONE_NUMBER_ID + "\"},\"statuses\":[{\"id\":\""
                + wamid + "\",\"status\":\"delivered\",\"timestamp\":\"1763700000\",\"recipient_id\":\"" + phone.substring(1)
                + "\"}]},\"field\":\"messages\"}]}]}");

        await().atMost(PATIENCE).until(() -> "delivered".equals(api.get("/api/v1/messages/" + message).json().path("status").asString()));
        assertThat(LOST.get()).as("claims whose commit's answer was lost").isEqualTo(1);
    }
}
