package io.reach.messaging.voice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.twilio.converter.DateConverter;
import io.reach.sandbox.SandboxNetwork;
import io.reach.support.Api;
import io.reach.support.Fixtures;
import io.reach.support.ReachIntegrationTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The sandbox's SMSC and Twilio end to end: SMS and calls to contacts with different handset rules, their statuses
 * arriving through the same paths as a real provider's (SMPP receipts, signed Twilio callbacks).
 */
@TestPropertySource(properties = "reach.sandbox.rules-file=classpath:sandbox/channel-handsets.yml")
class SmsAndVoiceSandboxIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @Autowired
    SandboxNetwork sandbox;

    @Test
    void smsThroughBothProvidersReachesTheDeliveredHandsetAndFailsTheUndeliverableOne() {
        Fixtures.consentingContact(api, "+31612350601");
        Fixtures.consentingContactIfAbsent(api, "+31612350002");
        String smppDelivered = sms("sandbox-sms", "+31612350601");
        String smppFailed = sms("sandbox-sms", "+31612350002");
        String twilioDelivered = sms("sandbox-twilio-sms", "+31612350601");
        String twilioFailed = sms("sandbox-twilio-sms", "+31612350002");

        // A provider's first callback may outrun its answer to the send: the submission is then inferred from it.
        for (String id : new String[] {smppDelivered, twilioDelivered}) {
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(Fixtures.statuses(api, id))
                    .containsExactly("queued", "submitted", "sent", "delivered"));
        }
        for (String id : new String[] {smppFailed, twilioFailed}) {
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(Fixtures.statuses(api, id))
                    .containsExactly("queued", "submitted", "sent", "failed"));
        }
        assertThat(api.get("/api/v1/messages/" + twilioFailed).json().path("error").path("code").asInt()).isEqualTo(30003);
        assertThat(api.get("/api/v1/messages/" + smppFailed).json().path("error").path("title").asString()).contains("UNDELIV");
        assertThat(sandbox.twilio().createdFor("sms", "+31612350601")).hasSize(1);
        assertThat(sandbox.smsc().submitsTo("+31612350601")).hasSize(1);
    }

    @Test
    void everyChannelRefusesAMissingSenderOrAnOverlongCampaignOrIdempotencyKeyAndTakesOneAsLongAsAFlowsName() {
        Fixtures.consentingContactIfAbsent(api, "+31612350631");
        String tooLong = "c".repeat(201);
        Map<String, Map<String, Object>> requests = Map.of(
                "/api/v1/messages/sms", Map.of("sender", "sandbox-sms", "to", "+31612350631", "text", "Your order is ready",
                        "category", "utility"),
                "/api/v1/messages/voice", Map.of("sender", "sandbox-voice", "to", "+31612350631", "text", "Your order is ready",
                        "category", "utility"));
        for (Map.Entry<String, Map<String, Object>> request : requests.entrySet()) {
            for (String field : List.of("campaignId", "idempotencyKey")) {
                Map<String, Object> body = new HashMap<>(request.getValue());
                body.put(field, tooLong);
                Api.Response refused = api.post(request.getKey(), body);
                assertThat(refused.status()).as(request.getKey() + " " + refused.body()).isEqualTo(400);
                assertThat(refused.json().path("details").path(0).path("field").asString()).isEqualTo(field);
            }
            Map<String, Object> withoutSender = new HashMap<>(request.getValue());
            withoutSender.remove("sender");
            Api.Response noSender = api.post(request.getKey(), withoutSender);
            assertThat(noSender.status()).as(request.getKey() + " " + noSender.body()).isEqualTo(400);
            assertThat(noSender.json().path("message").asString()).startsWith("sender: is required");
            Map<String, Object> body = new HashMap<>(request.getValue());
            body.put("campaignId", "c".repeat(200));
            Api.Response taken = api.post(request.getKey(), body);
            assertThat(taken.status()).as(request.getKey() + " " + taken.body()).isEqualTo(202);
            assertThat(api.get("/api/v1/messages/" + taken.json().path("messageId").asString()).json().path("campaignId")
                    .asString()).hasSize(200);
        }
    }

    @Test
    void twiliosSdkReadsTheDatesOfTheSandboxsAnswers() throws Exception {
        String auth = Base64.getEncoder().encodeToString("AC00000000000000000000000000000000:sandbox-twilio-auth-token"
                .getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest
                .newBuilder(URI.create("http://127.0.0.1:" + sandbox.twilioPort()
                        + "/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages.json"))
                .header("Authorization", "Basic " + auth).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("To=%2B31612350699&From=%2B14155552600&Body=Hi"))
                .build(), HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
        String created = JsonMapper.builder().build().readTree(answer.body()).path("date_created").asString();
        assertThat(DateConverter.rfc2822DateTimeFromString(created)).as(created).isNotNull();
    }

    @Test
    void callsAreAnsweredOrFailAsTheHandsetDoes() {
        Map<String, String> expected = Map.of("+31612350611", "delivered", "+31612350012", "failed",
                "+31612350013", "failed", "+31612350014", "failed");
        Map<String, Integer> codes = Map.of("+31612350012", 486, "+31612350013", 480, "+31612350014", 500);
        Map<String, String> ids = new HashMap<>();
        expected.keySet().forEach(phone -> {
            Fixtures.consentingContact(api, phone);
            Api.Response response = api.post("/api/v1/messages/voice", Map.of("sender", "sandbox-voice", "to", phone,
                    "text", "Your order is ready for pickup.", "category", "utility"));
            assertThat(response.status()).as(response.body()).isEqualTo(202);
            ids.put(phone, response.json().path("messageId").asString());
        });

        await().atMost(PATIENCE).untilAsserted(() -> assertThat(Fixtures.statuses(api, ids.get("+31612350611")))
                .containsExactly("queued", "submitted", "sent", "delivered"));
        codes.forEach((phone, code) -> await().atMost(PATIENCE).untilAsserted(() -> {
            JsonNode message = api.get("/api/v1/messages/" + ids.get(phone)).json();
            assertThat(message.path("status").asString()).isEqualTo("failed");
            assertThat(message.path("error").path("code").asInt()).isEqualTo(code);
        }));
        String twiml = sandbox.twilio().createdFor("call", "+31612350611").getFirst().form().get("Twiml");
        assertThat(twiml).contains("<Say language=\"en-US\" voice=\"woman\">Your order is ready for pickup.</Say>");
    }

    private String sms(String sender, String phone) {
        Api.Response response = api.post("/api/v1/messages/sms", Map.of("sender", sender, "to", phone,
                "text", "Your order is ready for pickup.", "category", "utility"));
        assertThat(response.status()).as(response.body()).isEqualTo(202);
        return response.json().path("messageId").asString();
    }
}
