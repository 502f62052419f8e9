package io.reach.messaging.whatsapp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.support.Api;
import io.reach.support.FakeProvider;
import io.reach.support.Fixtures;
import io.reach.support.MutableClock;
import io.reach.support.MutableClockConfiguration;
import io.reach.support.ReachIntegrationTest;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * {@code reach.whatsapp.over-messaging-limit=wait}: a message over its sender's messaging limit stays queued, untried,
 * until the sender has room, and then goes out; over real HTTP against a stand-in for Meta, with a moved clock.
 */
@org.springframework.context.annotation.Import(MutableClockConfiguration.class)
@TestPropertySource(properties = {"reach.sandbox.enabled=false", "reach.whatsapp.over-messaging-limit=wait",
        "reach.whatsapp.poll-interval=100ms"})
class MessagingLimitWaitIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static final FakeProvider META = FakeProvider.metaGraphApi();
    private static final Instant START = MutableClockConfiguration.START;


    @Autowired
    MutableClock clock;

    @Autowired
    org.springframework.jdbc.core.simple.JdbcClient jdbc;

    @AfterAll
    static void stopMeta() {
        META.close();
    }

    @Test
    void aMessageOverTheLimitWaitsQueuedUntilTheSenderHasRoomAndThenGoesOut() {
        Api.Response sender = api.post("/api/v1/senders", Map.of("name", "one-a-day", "phoneNumberId", "106540352249101",
                "wabaId", "102290129349100", "displayNumber", "+15550789101", "accessToken", "EAAJB-wait-token",
                "appSecret", "wait-app-secret", "verifyToken", "wait-verify", "graphApiBaseUrl", META.baseUrl(),
                "graphApiVersion", "v21.0", "messagingLimit", 1));
        assertThat(sender.status()).as(sender.body()).isEqualTo(201);
        Fixtures.orderTemplate(api, "order_ready_wait");
        String first = "+31612349201";
        String second = "+31612349202";
        Fixtures.consentingContact(api, first);
        Fixtures.consentingContact(api, second);

        String sent = Fixtures.sendOrder(api, "one-a-day", "order_ready_wait", first).json().path("messageId").asString();
        await().atMost(PATIENCE).until(() -> "submitted".equals(message(sent).path("status").asString()));
        String waiting = Fixtures.sendOrder(api, "one-a-day", "order_ready_wait", second).json().path("messageId").asString();

        // Put back untried until the first number's day is over: queued, no attempt counted, nothing sent.
        await().atMost(PATIENCE).until(() -> START.plus(Duration.ofDays(1)).equals(nextAttempt(waiting)));
        assertThat(message(waiting).path("status").asString()).isEqualTo("queued");
        assertThat(message(waiting).path("attempts").asInt()).isZero();
        assertThat(META.requestsTo(second)).isEmpty();

        clock.advance(Duration.ofDays(1));

        await().atMost(PATIENCE).until(() -> "submitted".equals(message(waiting).path("status").asString()));
        assertThat(META.requestsTo(second)).hasSize(1);
        assertThat(message(waiting).path("attempts").asInt()).isEqualTo(1);
    }

    private Instant nextAttempt(String id) {
        java.time.OffsetDateTime next = jdbc.sql("SELECT next_attempt_at FROM messages WHERE id = ?")
                .param(java.util.UUID.fromString(id)).query(java.time.OffsetDateTime.class).single();
        return next == null ? null : next.toInstant();
    }

    private JsonNode message(String id) {
        return api.get("/api/v1/messages/" + id).json();
    }
}
