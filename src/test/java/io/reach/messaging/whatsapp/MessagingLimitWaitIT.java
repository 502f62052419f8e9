package io.reach.messaging.whatsapp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.support.Api;
import io.reach.support.FakeProvider;
import io.reach.support.Fixtures;
import io.reach.support.FlowFixtures;
import io.reach.support.MutableClock;
import io.reach.support.MutableClockConfiguration;
import io.reach.support.ReachIntegrationTest;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * {@code reach.whatsapp.over-messaging-limit=wait}: a message over its sender's messaging limit stays queued, untried,
 * until the sender has room, and then goes out; over real HTTP against a stand-in for Meta, with a moved clock.
 */
@Import(MutableClockConfiguration.class)
@TestPropertySource(properties = {"reach.sandbox.enabled=false", "reach.whatsapp.over-messaging-limit=wait",
        "reach.whatsapp.poll-interval=100ms"})
class MessagingLimitWaitIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static final FakeProvider META = FakeProvider.metaGraphApi();


    @Autowired
    MutableClock clock;

    @Autowired
    JdbcClient jdbc;

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

        Instant dayOver = clock.instant().plus(Duration.ofDays(1));
        String sent = Fixtures.sendOrder(api, "one-a-day", "order_ready_wait", first).json().path("messageId").asString();
        await().atMost(PATIENCE).until(() -> "submitted".equals(message(sent).path("status").asString()));
        String waiting = Fixtures.sendOrder(api, "one-a-day", "order_ready_wait", second).json().path("messageId").asString();

        // Put back untried until the first number's day is over: queued, no attempt counted, nothing sent.
        await().atMost(PATIENCE).until(() -> dayOver.equals(nextAttempt(waiting)));
        assertThat(message(waiting).path("status").asString()).isEqualTo("queued");
        assertThat(message(waiting).path("attempts").asInt()).isZero();
        assertThat(META.requestsTo(second)).isEmpty();

        clock.advance(Duration.ofDays(1));

        await().atMost(PATIENCE).until(() -> "submitted".equals(message(waiting).path("status").asString()));
        assertThat(META.requestsTo(second)).hasSize(1);
        assertThat(message(waiting).path("attempts").asInt()).isEqualTo(1);
    }

    @Test
    void aJourneyThatStopsWaitingForAMessageHeldAtTheLimitWithdrawsItSoThatItNeverGoesOutAfterTheJourneyWentOn() {
        Held held = journeyHeldAtTheLimit("2", "+31612349211", "+31612349212", """
                {"id":"wait","type":"branch_on_status","message":"ask","timeout":"PT10M",
                 "branches":{"delivered":"end","failed":"end","timeout":"gave_up"}},
                {"id":"gave_up","type":"add_report_row","status":"no status","description":"fall back here","next":"end"}""");
        assertThat(message(held.message()).path("error").path("title").asString())
                .startsWith("over the messaging limit: one-a-day-2 has reached its 1 number").contains("waits for room until");

        // The number still sends to the one it reached already: it moves, but not for the message held at its limit.
        clock.advance(Duration.ofMinutes(9).plusSeconds(30));
        String again = Fixtures.sendOrder(api, "one-a-day-2", "order_ready_2", "+31612349211").json().path("messageId").asString();
        await().atMost(PATIENCE).until(() -> "submitted".equals(message(again).path("status").asString()));
        clock.advance(Duration.ofSeconds(31));
        await().atMost(PATIENCE).until(() -> "ENDED".equals(journeyState(held)));
        JsonNode status = api.get("/api/v1/journeys/" + held.journey() + "/path").json().path(1);
        assertThat(status.path("branch").asString()).isEqualTo("timeout");
        assertThat(status.path("outcome").asString()).isEqualTo("no decision in time; its message, still queued, was withdrawn");
        assertThat(message(held.message()).path("status").asString()).isEqualTo("blocked");
        assertThat(message(held.message()).path("blockedReason").asString()).contains("stopped waiting at step 'wait' after PT10M");
        assertThat(api.get("/api/v1/flows/" + held.flow() + "/reports").json().path(0).path("messageStatus").asString())
                .isEqualTo("blocked");

        // A day on, the number has room: a message sent now goes out, and the withdrawn one does not.
        clock.advance(Duration.ofDays(1));
        String later = "+31612349213";
        Fixtures.consentingContact(api, later);
        String next = Fixtures.sendOrder(api, "one-a-day-2", "order_ready_2", later).json().path("messageId").asString();
        await().atMost(PATIENCE).until(() -> "submitted".equals(message(next).path("status").asString()));
        assertThat(META.requestsTo("+31612349212")).isEmpty();
        assertThat(message(held.message()).path("status").asString()).isEqualTo("blocked");
    }

    @Test
    void aJourneyThatStopsWaitingForAReplyToAMessageHeldAtTheLimitWithdrawsIt() {
        Held held = journeyHeldAtTheLimit("3", "+31612349221", "+31612349222", """
                {"id":"wait","type":"wait_for_reply","message":"ask","timeout":"PT1H","branches":{"Yes":"end","no_reply":"end"}}""");

        clock.advance(Duration.ofHours(1).plusSeconds(1));
        await().atMost(PATIENCE).until(() -> "ENDED".equals(journeyState(held)));
        JsonNode answer = api.get("/api/v1/journeys/" + held.journey() + "/path").json().path(1);
        assertThat(answer.path("branch").asString()).isEqualTo("no_reply");
        assertThat(answer.path("outcome").asString()).isEqualTo("no decision in time; its message, still queued, was withdrawn");
        assertThat(message(held.message()).path("status").asString()).isEqualTo("blocked");
        assertThat(message(held.message()).path("blockedReason").asString()).contains("stopped waiting at step 'wait' after PT1H");
        assertThat(META.requestsTo("+31612349222")).isEmpty();
    }

    @Test
    void aTextTypedWhileTheQuestionWaitsInTheQueueIsNoAnswerToItButOneTypedOnceItWasSentIs() {
        String asked = "+31612349232";
        Held held = journeyHeldAtTheLimit("4", "+31612349231", asked, """
                {"id":"wait","type":"wait_for_reply","message":"ask","timeout":"P3D","branches":{"any_text":"note","no_reply":"end"}},
                {"id":"note","type":"add_report_row","status":"{{reply.text}}","description":"answered","next":"end"}""");

        // The contact writes to the number about something else while the question is held back: it has not seen it.
        postInboundText(asked, "106540352249104", "Where is my other parcel?");
        clock.advance(Duration.ofDays(1));
        await().atMost(PATIENCE).until(() -> "submitted".equals(message(held.message()).path("status").asString()));
        assertThat(journeyState(held)).isEqualTo("WAITING");

        postInboundText(asked, "106540352249104", "Yes, tomorrow");
        await().atMost(PATIENCE).until(() -> "ENDED".equals(journeyState(held)));
        assertThat(api.get("/api/v1/journeys/" + held.journey() + "/path").json().path(1).path("branch").asString()).isEqualTo("any_text");
        assertThat(api.get("/api/v1/flows/" + held.flow() + "/reports").json().path(0).path("status").asString()).isEqualTo("Yes, tomorrow");
    }

    /** A journey, its flow, and the message it sent that its number's messaging limit holds back. */
    private record Held(String flow, String journey, String message) {}

    /**
     * A journey that sends ({@code ask}) from a new number whose limit of one a day another contact's message used up,
     * then takes {@code steps} (from {@code wait} on, ending at {@code end}); once it waits with its message held.
     */
    private Held journeyHeldAtTheLimit(String number, String contacted, String held, String steps) {
        String sender = "one-a-day-" + number;
        String template = "order_ready_" + number;
        Api.Response registered = api.post("/api/v1/senders", Map.of("name", sender, "phoneNumberId", "10654035224910" + number,
                "wabaId", "102290129349100", "displayNumber", "+1555078910" + number, "accessToken", "EAAJB-wait-token",
                "appSecret", "wait-app-secret", "verifyToken", "wait-verify", "graphApiBaseUrl", META.baseUrl(),
                "graphApiVersion", "v21.0", "messagingLimit", 1));
        assertThat(registered.status()).as(registered.body()).isEqualTo(201);
        Fixtures.orderTemplate(api, template);
        Fixtures.consentingContact(api, contacted);
        Fixtures.consentingContact(api, held);
        String flow = FlowFixtures.publish(api, """
                {"name":"held-%s","entry":{"type":"api"},"start":"ask","steps":[
                 {"id":"ask","type":"send_whatsapp","sender":"%s","template":"%s","language":"en_US",
                  "headerParameters":["A-18"],"bodyParameters":["Ben","A-18"],"next":"wait"},
                 %s,
                 {"id":"end","type":"end"}]}""".formatted(number, sender, template, steps));
        Instant dayOver = clock.instant().plus(Duration.ofDays(1));
        String sent = Fixtures.sendOrder(api, sender, template, contacted).json().path("messageId").asString();
        await().atMost(PATIENCE).until(() -> "submitted".equals(message(sent).path("status").asString()));

        Api.Response started = api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", held));
        assertThat(started.status()).as(started.body()).isEqualTo(201);
        String journey = started.json().path("journeyId").asString();
        await().atMost(PATIENCE).until(() -> "WAITING".equals(api.get("/api/v1/journeys/" + journey).json().path("state").asString()));
        String message = api.get("/api/v1/journeys/" + journey + "/path").json().path(0).path("messageId").asString();
        // Held back, untried, until the number has room again, a day after the other contact's message.
        await().atMost(PATIENCE).until(() -> dayOver.equals(nextAttempt(message)));
        return new Held(flow, journey, message);
    }

    private String journeyState(Held held) {
        return api.get("/api/v1/journeys/" + held.journey()).json().path("state").asString();
    }

    private void postInboundText(String phone, String phoneNumberId, String text) {
        String payload = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102290129349100\",\"changes\":[{\"value\":"
                + "{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"15550789104\","
                + "\"phone_number_id\":\"" + phoneNumberId + "\"},\"messages\":[{\"from\":\"" + phone.substring(1)
                + "\",\"id\":\"wamid.in-" + UUID.randomUUID() + "\",\"timestamp\":\"" + clock.instant().getEpochSecond()
                + "\",\"type\":\"text\",\"text\":{\"body\":\"" + text + "\"}}]},\"field\":\"messages\"}]}]}";
        Api.Response response = api.postSignedWhatsAppWebhook(payload, "wait-app-secret");
        assertThat(response.status()).as(response.body()).isEqualTo(200);
    }

    private Instant nextAttempt(String id) {
        OffsetDateTime next = jdbc.sql("SELECT next_attempt_at FROM messages WHERE id = ?")
                .param(UUID.fromString(id)).query(OffsetDateTime.class).single();
        return next == null ? null : next.toInstant();
    }

    private JsonNode message(String id) {
        return api.get("/api/v1/messages/" + id).json();
    }
}
