package io.reach.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import tools.jackson.databind.json.JsonMapper;

/**
 * The sandbox's Graph API and Twilio stand-ins over HTTP on loopback, without Reach: a repeat of a send is answered
 * with the first one, as a retry should be, and counted, since Meta and Twilio would have sent it again.
 */
@ExtendWith(OutputCaptureExtension.class)
class SandboxRepeatsTest {

    private static final String PHONE_NUMBER_ID = "106540352242977";

    @Test
    void aSendRetriedWithItsIdempotencyKeyMakesOneMessageYetCountsAsTwoAnsweredSendsAsMetaWouldMakeTwo(CapturedOutput output)
            throws Exception {
        JsonMapper json = JsonMapper.builder().build();
        SandboxWebhooks webhooks = new SandboxWebhooks(json, Clock.systemUTC(), PHONE_NUMBER_ID, "102290129340398", "+15550783881", "secret", 100, 1);
        webhooks.shutdown(); // no webhooks: only the answers count here
        SandboxGraphApi graphApi = new SandboxGraphApi(json, HandsetRules.load(null), webhooks, PHONE_NUMBER_ID, "200000000000001",
                "+15550100001", "token", 100, null);
        int port = graphApi.start(0);
        try {
            HttpClient http = HttpClient.newHttpClient();
            String body = """
                    {"messaging_product":"whatsapp","to":"31612340031","type":"template",
                     "template":{"name":"order_ready","language":{"code":"en_US"}}}""";
            List<String> ids = new ArrayList<>();
            for (String key : List.of("send-1", "send-1", "send-2")) {
                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + port + "/v21.0/" + PHONE_NUMBER_ID + "/messages"))
                        .header("Authorization", "Bearer token").header("Content-Type", "application/json")
                        .header("Idempotency-Key", key).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                ids.add(json.readTree(answer.body()).path("messages").path(0).path("id").asString());
            }

            assertThat(ids.get(1)).isEqualTo(ids.get(0));
            assertThat(ids.get(2)).isNotEqualTo(ids.get(0));
            assertThat(graphApi.acceptedFor("+31612340031")).isEqualTo(2);
            assertThat(graphApi.sendsAnsweredFor("+31612340031")).isEqualTo(3);
            // A developer sees it: with Meta, the recipient would have had the message twice.
            assertThat(output.getOut()).contains("Sandbox Graph API: a send to +31612340031 repeated Idempotency-Key send-1")
                    .contains("would have sent it again");
        } finally {
            graphApi.stop();
        }
    }

    @Test
    void aTwilioCreateRepeatedWithItsStatusCallbackIsAnsweredWithTheFirstAndCountedAsAReplay(CapturedOutput output)
            throws Exception {
        String accountSid = "AC" + "0".repeat(32);
        SandboxTwilio twilio = new SandboxTwilio(JsonMapper.builder().build(), HandsetRules.load(null), accountSid, "secret",
                100, null);
        int port = twilio.start(0);
        try {
            HttpClient http = HttpClient.newHttpClient();
            String auth = Base64.getEncoder().encodeToString((accountSid + ":secret").getBytes(
                    StandardCharsets.UTF_8));
            List<Integer> statuses = new ArrayList<>();
            // The callbacks go to a closed port: only the creates' answers count here.
            for (String message : List.of("m-1", "m-1", "m-2")) {
                String form = "To=%2B31612340032&From=%2B15005550006&Body=hi&StatusCallback="
                        + URLEncoder.encode("http://127.0.0.1:9/twilio/status/" + message, StandardCharsets.UTF_8);
                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + port + "/2010-04-01/Accounts/" + accountSid + "/Messages.json"))
                        .header("Authorization", "Basic " + auth).header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
                statuses.add(answer.statusCode());
            }

            assertThat(statuses).containsExactly(201, 201, 201);
            assertThat(twilio.createdFor("sms", "+31612340032")).hasSize(2);
            assertThat(twilio.replays()).isEqualTo(1);
            // The repeat, answered with the first create's SID.
            assertThat(twilio.replayed()).singleElement().satisfies(repeat -> {
                assertThat(repeat.sid()).isEqualTo(twilio.createdFor("sms", "+31612340032").getFirst().sid());
                assertThat(repeat.form().get("StatusCallback")).endsWith("/m-1");
            });
            assertThat(output.getOut()).contains("Sandbox Twilio: an SMS to +31612340032 repeated the status callback")
                    .contains("would have sent it again");
        } finally {
            twilio.stop();
        }
    }
}
