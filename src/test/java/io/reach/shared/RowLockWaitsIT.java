package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.reach.support.Api;
import io.reach.support.ReachIntegrationTest;
import io.reach.support.TestDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;

/** A request that meets a row another transaction holds waits for it, up to the connection timeout, on H2 as on PostgreSQL. */
@TestPropertySource(properties = "reach.sandbox.enabled=false")
class RowLockWaitsIT extends ReachIntegrationTest {

    @Autowired
    DataSource dataSource;

    @Autowired
    JdbcClient jdbc;

    @Test
    void onH2AStatementWaitsForALockAsLongAsARequestWaitsForAConnection() throws Exception {
        Assumptions.assumeFalse(TestDatabase.postgres(), "H2's own setting");

        assertThat(jdbc.sql("SELECT LOCK_TIMEOUT()").query(Long.class).single())
                .isEqualTo(dataSource.unwrap(HikariDataSource.class).getConnectionTimeout())
                .isEqualTo(10_000);
    }

    @Test
    void aRequestWaitsForARowAnotherTransactionHoldsLongerThanH2WouldByItself() throws Exception {
        String contact = api.post("/api/v1/contacts", Map.of("phone", "+31612390001")).json().path("id").asString();
        CompletableFuture<Api.Response> change;

        try (Connection holder = TestDatabase.holdRowLock(dataSource, "SELECT id FROM contacts WHERE id = ? FOR UPDATE",
                UUID.fromString(contact))) {
            change = CompletableFuture.supplyAsync(() -> api.patch("/api/v1/contacts/" + contact,
                    Map.of("attributes", Map.of("first_name", "Ada"))));
            await().atMost(Duration.ofSeconds(10)).until(() -> TestDatabase.sessionsWaitingForALock(jdbc, "contacts") > 0);
            // H2 by itself gives up a lock after 2 s (the request was then answered 503): this one still waits after 3.
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> !change.isDone());
            holder.commit();
        }

        Api.Response changed = change.get(10, TimeUnit.SECONDS);
        assertThat(changed.status()).as(changed.body()).isEqualTo(200);
        assertThat(changed.json().path("attributes").path("first_name").asString()).isEqualTo("Ada");
    }
}
