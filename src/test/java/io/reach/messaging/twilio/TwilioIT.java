package io.reach.messaging.twilio;

import static io.reach.support.Fixtures.timeline;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.messaging.WebhookInbox;
import io.reach.sandbox.SandboxTwilio;
import io.reach.support.Api;
import io.reach.support.FakeProvider;
import io.reach.support.Fixtures;
import io.reach.support.ReachIntegrationTest;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The Twilio adapter against a local HTTP server standing in for Twilio: the requests the official SDK sends,
 * each call status mapped from signed callbacks, and forged callbacks refused.
 */
@TestPropertySource(properties = {"reach.sandbox.enabled=false",
        // A stalled answer counts as lost after this long (15 s by default).
        "reach.messaging.request-timeout=2s",
        "reach.contacts.opt-out-reply=You will get no more messages from us.", "reach.contacts.opt-in-reply=Welcome back!"})
class TwilioIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static final String ACCOUNT = "AC" + "1234567890abcdef".repeat(2);
    private static final String TOKEN = "twilio-test-auth-token";
    private static final FakeProvider TWILIO = FakeProvider.twilio();
    private static final AtomicInteger NUMBERS = new AtomicInteger();

    @Autowired
    WebhookInbox inbox;

    @Autowired
    JdbcClient jdbc;

    @AfterAll
    static void stopTwilio() {
        TWILIO.close();
    }

    @BeforeEach
    void senders() {
        if (api.get("/api/v1/senders").json().isEmpty()) {
            Map<String, String> settings = Map.of("accountSid", ACCOUNT, "baseUrl", TWILIO.baseUrl(), "language", "nl-NL");
            for (String channel : List.of("sms", "voice")) {
                Api.Response created = api.post("/api/v1/senders", Map.of("name", "twilio-" + channel, "channel", channel,
                        "provider", "twilio", "fromAddress", "+14155552600", "secret", TOKEN, "settings", settings));
                assertThat(created.status()).as(created.body()).isEqualTo(201);
                assertThat(created.body()).doesNotContain(TOKEN);
            }
            Api.Response slow = api.post("/api/v1/senders", Map.of("name", "twilio-voice-one-a-second", "channel", "voice",
                    "provider", "twilio", "fromAddress", "+14155552601", "secret", TOKEN, "settings", settings,
                    "throughputPerSecond", 1));
            assertThat(slow.status()).as(slow.body()).isEqualTo(201);
        }
    }

    @Test
    void sendsAnSmsThroughTheMessagesResourceWithAStatusCallback() {
        String phone = nextPhone();
        String id = send("/api/v1/messages/sms", Map.of("sender", "twilio-sms", "to", phone, "text", "Your code is 1234 ✓",
                "category", "authentication"), Map.of("authentication", true), phone);

        await().atMost(PATIENCE).until(() -> !requestsTo(phone).isEmpty());
        FakeProvider.Request request = requestsTo(phone).getFirst();
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo("/2010-04-01/Accounts/" + ACCOUNT + "/Messages.json");
        assertThat(request.header("Authorization")).isEqualTo("Basic " + Base64.getEncoder()
                .encodeToString((ACCOUNT + ":" + TOKEN).getBytes(StandardCharsets.UTF_8)));
        assertThat(form(request.body())).containsExactlyInAnyOrderEntriesOf(Map.of("To", phone, "From", "+14155552600",
                "Body", "Your code is 1234 ✓", "StatusCallback", callbackUrl(id)));
        await().atMost(PATIENCE).until(() -> "submitted".equals(status(id)));
        String sid = api.get("/api/v1/messages/" + id).json().path("providerMessageId").asString();
        assertThat(sid).startsWith("SM");

        callback(id, Map.of("MessageSid", sid, "MessageStatus", "sent"));
        callback(id, Map.of("MessageSid", sid, "MessageStatus", "undelivered", "ErrorCode", "30003"));
        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(timeline(api, id)).containsExactly("queued", "submitted", "sent", "failed"));
        JsonNode failed = api.get("/api/v1/messages/" + id).json();
        assertThat(failed.path("error").path("code").asInt()).isEqualTo(30003);
        assertThat(failed.path("error").path("title").asString()).isEqualTo("Unreachable destination handset");
    }

    @Test
    void placesCallsNoFasterThanTheSendersThroughputEachOnce() {
        List<String> phones = List.of(nextPhone(), nextPhone(), nextPhone());
        List<String> ids = phones.stream().map(phone -> send("/api/v1/messages/voice", Map.of("sender",
                "twilio-voice-one-a-second", "to", phone, "text", "Uw bestelling staat klaar.", "category", "utility"),
                Map.of("utility", true), phone)).toList();

        await().atMost(PATIENCE).until(() -> ids.stream().allMatch(id -> "submitted".equals(status(id))));

        List<FakeProvider.Request> calls = phones.stream().flatMap(phone -> requestsTo(phone).stream())
                .sorted(Comparator.comparingLong(FakeProvider.Request::receivedNanos)).toList();
        assertThat(calls).hasSize(3);
        // Three turns at one a second span two seconds; half a second is left for the exchanges' own delays.
        assertThat(Duration.ofNanos(calls.getLast().receivedNanos() - calls.getFirst().receivedNanos()))
                .isGreaterThanOrEqualTo(Duration.ofMillis(1500));
        assertThat(ids).allSatisfy(id -> assertThat(api.get("/api/v1/messages/" + id).json().path("attempts").asInt())
                .isEqualTo(1));
    }

    @Test
    void placesACallThatSpeaksTheTextWithTwiml() {
        String phone = nextPhone();
        String id = send("/api/v1/messages/voice", Map.of("sender", "twilio-voice", "to", phone,
                "text", "Uw bestelling staat klaar.", "voice", "Polly.Lotte", "category", "utility"), Map.of("utility", true), phone);

        await().atMost(PATIENCE).until(() -> !requestsTo(phone).isEmpty());
        FakeProvider.Request request = requestsTo(phone).getFirst();
        assertThat(request.path()).isEqualTo("/2010-04-01/Accounts/" + ACCOUNT + "/Calls.json");
        Map<String, String> form = form(request.body());
        assertThat(form).containsEntry("To", phone).containsEntry("From", "+14155552600")
                .containsEntry("StatusCallback", callbackUrl(id)).containsEntry("StatusCallbackMethod", "POST")
                .containsEntry("StatusCallbackEvent", "initiated,ringing,answered,completed");
        assertThat(form.get("Twiml")).isEqualTo("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
                + "<Say language=\"nl-NL\" voice=\"Polly.Lotte\">Uw bestelling staat klaar.</Say></Response>");
        await().atMost(PATIENCE).until(() -> "submitted".equals(status(id)));
        assertThat(api.get("/api/v1/messages/" + id).json().path("providerMessageId").asString()).startsWith("CA");
    }

    @Test
    void mapsEveryCallStatusFromSignedCallbacks() {
        record Case(List<String> statuses, String finalStatus, Integer code) {}
        List<Case> cases = List.of(
                new Case(List.of("initiated", "ringing", "in-progress", "completed"), "delivered", null),
                new Case(List.of("queued", "ringing", "busy"), "failed", 486),
                new Case(List.of("ringing", "no-answer"), "failed", 480),
                new Case(List.of("canceled"), "failed", 487),
                new Case(List.of("initiated", "failed"), "failed", 500));
        for (Case c : cases) {
            String phone = nextPhone();
            String id = send("/api/v1/messages/voice", Map.of("sender", "twilio-voice", "to", phone, "text", "Hello",
                    "category", "utility"), Map.of("utility", true), phone);
            await().atMost(PATIENCE).until(() -> "submitted".equals(status(id)));
            String sid = api.get("/api/v1/messages/" + id).json().path("providerMessageId").asString();
            c.statuses().forEach(s -> callback(id, Map.of("CallSid", sid, "CallStatus", s)));

            await().atMost(PATIENCE).untilAsserted(() -> assertThat(status(id)).as(c.statuses().toString()).isEqualTo(c.finalStatus()));
            JsonNode message = api.get("/api/v1/messages/" + id).json();
            if (c.code() != null) {
                assertThat(message.path("error").path("code").asInt()).as(c.statuses().toString()).isEqualTo(c.code());
            }
        }
    }

    @Test
    void refusesAForgedCallbackAndStoresNothing() {
        long before = inbox.stored("TWILIO");
        Map<String, String> params = new TreeMap<>(Map.of("AccountSid", ACCOUNT, "CallSid", "CA" + "0".repeat(32),
                "CallStatus", "completed"));
        String url = "http://127.0.0.1:" + port + "/webhooks/twilio/status";

        Api.Response wrongToken = post("/webhooks/twilio/status", params, SandboxTwilio.signature("not-the-token", url, params));
        Map<String, String> tampered = new TreeMap<>(params);
        tampered.put("CallStatus", "busy");
        Api.Response changedBody = post("/webhooks/twilio/status", tampered, SandboxTwilio.signature(TOKEN, url, params));
        Map<String, String> otherAccount = new TreeMap<>(params);
        otherAccount.put("AccountSid", "AC" + "f".repeat(32));
        Api.Response unknownAccount = post("/webhooks/twilio/status", otherAccount, SandboxTwilio.signature(TOKEN, url, otherAccount));
        Api.Response unsigned = api.postRaw("/webhooks/twilio/status", "application/x-www-form-urlencoded",
                encode(params).getBytes(StandardCharsets.UTF_8), Map.of());

        assertThat(List.of(wrongToken.status(), changedBody.status(), unknownAccount.status(), unsigned.status()))
                .containsOnly(401);
        assertThat(inbox.stored("TWILIO")).isEqualTo(before);
        Api.Response genuine = post("/webhooks/twilio/status", params, SandboxTwilio.signature(TOKEN, url, params));
        assertThat(genuine.status()).isEqualTo(200);
        assertThat(inbox.stored("TWILIO")).isEqualTo(before + 1);
    }

    @Test
    void aRefusalIsAFailureAndAServerErrorIsRetried() {
        String refused = nextPhone();
        TWILIO.answerNext(400, "{\"code\":21211,\"message\":\"The 'To' number is not a valid phone number.\","
                + "\"more_info\":\"https://www.twilio.com/docs/errors/21211\",\"status\":400}");
        String id = send("/api/v1/messages/sms", Map.of("sender", "twilio-sms", "to", refused, "text", "Hi",
                "category", "utility"), Map.of("utility", true), refused);
        await().atMost(PATIENCE).until(() -> "failed".equals(status(id)));
        assertThat(api.get("/api/v1/messages/" + id).json().path("error").path("code").asInt()).isEqualTo(21211);
        assertThat(requestsTo(refused)).hasSize(1);

        String retried = nextPhone();
        TWILIO.answerNext(503, "{\"code\":20500,\"message\":\"Internal Server Error\",\"status\":503}");
        String second = send("/api/v1/messages/sms", Map.of("sender", "twilio-sms", "to", retried, "text", "Hi",
                "category", "utility"), Map.of("utility", true), retried);
        await().atMost(PATIENCE).until(() -> "submitted".equals(status(second)));
        assertThat(requestsTo(retried).size()).isGreaterThanOrEqualTo(2);
    }

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void refusedCredentialsFailTheCallAndTellTheOperatorAtErrorWhereARefusedRecipientDoesNot(
            CapturedOutput output) {
        String wrongNumber = nextPhone();
        TWILIO.answerNext(400, "{\"code\":21211,\"message\":\"The 'To' number is not a valid phone number.\",\"status\":400}");
        String refused = send("/api/v1/messages/sms", Map.of("sender", "twilio-sms", "to", wrongNumber, "text", "Hi",
                "category", "utility"), Map.of("utility", true), wrongNumber);
        await().atMost(PATIENCE).until(() -> "failed".equals(status(refused)));
        String phone = nextPhone();
        TWILIO.answerNext(401, "{\"code\":20003,\"message\":\"Authenticate\",\"status\":401}");
        String id = send("/api/v1/messages/voice", Map.of("sender", "twilio-voice", "to", phone, "text", "Hallo",
                "category", "utility"), Map.of("utility", true), phone);
        await().atMost(PATIENCE).until(() -> "failed".equals(status(id)));

        assertThat(api.get("/api/v1/messages/" + id).json().path("error").path("code").asInt()).isEqualTo(20003);
        assertThat(output.getOut()).contains("voice sender twilio-voice (+14155552600) cannot send: Twilio refused with 20003")
                .doesNotContain(TOKEN);
        // A recipient's number Twilio refuses is that message's problem alone, and no alarm.
        assertThat(output.getOut()).doesNotContain("refused with 21211");
    }

    @Test
    void tooManyRequestsIsTwilioAskingToSendMoreSlowlyNotARefusalOfTheMessage() {
        String phone = nextPhone();
        for (int i = 0; i < 2; i++) {
            TWILIO.answerNext(429, "{\"code\":20429,\"message\":\"Too Many Requests\",\"status\":429}");
        }
        String id = send("/api/v1/messages/sms", Map.of("sender", "twilio-sms", "to", phone, "text", "Hi",
                "category", "utility"), Map.of("utility", true), phone);

        // Kept as the sender's pace, so that a journey's timeout lets it wait its turn (Messages.progress).
        await().atMost(PATIENCE).until(() -> jdbc.sql("SELECT COUNT(*) FROM messages WHERE id = ? AND status = 'QUEUED'"
                + " AND error_code = 20429 AND passing_failure = 'SLOW_DOWN'").param(UUID.fromString(id)).query(Long.class).single() == 1);
        await().atMost(PATIENCE).until(() -> "submitted".equals(status(id)));
        assertThat(requestsTo(phone)).hasSize(3);
    }

    @Test
    void anSmsWhoseAnswerWasLostWaitsForTwiliosCallbackWhichMarksItSubmittedInsteadOfSendingItAgainAtOnce() {
        String phone = nextPhone();
        TWILIO.stallNext();
        String id = send("/api/v1/messages/sms", Map.of("sender", "twilio-sms", "to", phone, "text", "Hi",
                "category", "utility"), Map.of("utility", true), phone);
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/messages/" + id).json().path("error").has("title"));

        JsonNode waiting = api.get("/api/v1/messages/" + id).json();
        assertThat(waiting.path("status").asString()).isEqualTo("queued");
        assertThat(waiting.path("error").path("title").asString()).isEqualTo("No answer from Twilio; retrying");
        // Twilio may have taken it: the next attempt waits a minute for its callback, not the first backoff's second.
        Instant next = jdbc.sql("SELECT next_attempt_at FROM messages WHERE id = ?")
                .param(UUID.fromString(id)).query(OffsetDateTime.class).single().toInstant();
        assertThat(next).isAfter(Instant.now().plusSeconds(50));

        // It had: its callback names Reach's message in its URL.
        callback(id, Map.of("MessageSid", "SM" + "a".repeat(32), "MessageStatus", "sent", "To", phone));
        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(timeline(api, id)).containsExactly("queued", "submitted(inferred)", "sent"));
        assertThat(requestsTo(phone)).hasSize(1);
    }

    @Test
    void anSmsThatFoundNoConnectionSentNothingAndIsRetriedAfterTheUsualBackoff() {
        Api.Response sender = api.post("/api/v1/senders", Map.of("name", "twilio-sms-unreachable", "channel", "sms",
                "provider", "twilio", "fromAddress", "+14155552609", "secret", TOKEN, "settings",
                Map.of("accountSid", ACCOUNT, "baseUrl", FakeProvider.unreachableBaseUrl())));
        assertThat(sender.status()).as(sender.body()).isEqualTo(201);
        String phone = nextPhone();

        String id = send("/api/v1/messages/sms", Map.of("sender", "twilio-sms-unreachable", "to", phone, "text", "Hi",
                "category", "utility"), Map.of("utility", true), phone);
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/messages/" + id).json().path("error").has("title"));

        assertThat(api.get("/api/v1/messages/" + id).json().path("error").path("title").asString())
                .isEqualTo("Could not reach Twilio; retrying");
        Instant next = jdbc.sql("SELECT next_attempt_at FROM messages WHERE id = ?")
                .param(UUID.fromString(id)).query(OffsetDateTime.class).single().toInstant();
        assertThat(next).as("the first backoff, not the minute of a lost answer").isBefore(Instant.now().plusSeconds(30));
    }

    private String send(String path, Map<String, Object> request, Map<String, Boolean> consent, String phone) {
        Fixtures.contact(api, phone, consent, false);
        Api.Response response = api.post(path, request);
        assertThat(response.status()).as(response.body()).isEqualTo(202);
        return response.json().path("messageId").asString();
    }

    @Test
    void storesAnIncomingSmsAgainstItsContactAndLeavesOutOneFromANumberReachCannotKeep() {
        String phone = nextPhone();
        // Twilio's WhatsApp numbers look so: longer than a phone number, and not one of Reach's SMS contacts.
        incoming(Map.of("From", "whatsapp:+3161235049999", "To", "+14155552600", "MessageSid", "SM" + "0".repeat(32),
                "Body", "from a number Reach cannot keep"));
        incoming(Map.of("From", phone, "To", "+14155552600", "MessageSid", "SM" + "1".repeat(31) + NUMBERS.get() % 10,
                "Body", "Hello from Twilio"));

        await().atMost(PATIENCE).untilAsserted(() -> assertThat(api.get("/api/v1/contacts?phone=" + phone.replace("+", "%2B"))
                .json()).hasSize(1));
        String contact = api.get("/api/v1/contacts?phone=" + phone.replace("+", "%2B")).json().path(0).path("id").asString();
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(api.get("/api/v1/inbound-messages?contactId=" + contact).json()
                .valueStream().map(message -> message.path("text").asString())).containsExactly("Hello from Twilio"));
        assertThat(api.get("/api/v1/inbound-messages?limit=1000").body()).doesNotContain("from a number Reach cannot keep");
        await().atMost(PATIENCE).until(() -> jdbc.sql("SELECT COUNT(*) FROM webhook_inbox WHERE processed_at IS NULL"
                + " AND body LIKE '%Reach cannot keep%'").query(Long.class).single() == 0);
    }

    @Test
    void anSmsTwilioReadAsItsOwnOptOutOrOptInKeywordIsTakenAsTwilioReadItAndNotAnsweredAgain() {
        String phone = nextPhone();
        String contact = Fixtures.contact(api, phone, Map.of("utility", true), false).path("id").asString();

        // Advanced Opt-Out's keywords are the number's own: Reach's do not hold ARRET, REPRENDRE or AIDE.
        incomingKeyword(phone, "ARRET", "STOP");
        await().atMost(PATIENCE).until(() -> inboundTexts(contact).contains("ARRET"));
        assertThat(api.get("/api/v1/contacts/" + contact).json().path("optedOut").asBoolean()).isTrue();
        incomingKeyword(phone, "REPRENDRE", "START");
        await().atMost(PATIENCE).until(() -> inboundTexts(contact).contains("REPRENDRE"));
        assertThat(api.get("/api/v1/contacts/" + contact).json().path("optedOut").asBoolean()).isFalse();
        incomingKeyword(phone, "AIDE", "HELP");
        await().atMost(PATIENCE).until(() -> inboundTexts(contact).contains("AIDE"));
        assertThat(api.get("/api/v1/contacts/" + contact).json().path("optedOut").asBoolean()).isFalse();
        // Twilio answered those itself: Reach queued no answer of its own (it would have been written with the message).
        assertThat(api.get("/api/v1/messages?contactId=" + contact).json()).isEmpty();

        // One of Reach's own words (REVOKE, a default since carriers take it as STOP), which Twilio did not mark, is
        // Reach's to answer.
        incoming(Map.of("From", phone, "To", "+14155552600", "MessageSid", "SM" + Long.toHexString(System.nanoTime()),
                "Body", "Revoke"));
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/contacts/" + contact).json().path("optedOut").asBoolean());
        await().atMost(PATIENCE).until(() -> requestsTo(phone).size() == 1);
        assertThat(form(requestsTo(phone).getFirst().body()).get("Body")).isEqualTo("You will get no more messages from us.");
    }

    private void incomingKeyword(String phone, String body, String optOutType) {
        incoming(Map.of("From", phone, "To", "+14155552600", "MessageSid", "SM" + Long.toHexString(System.nanoTime()),
                "Body", body, "OptOutType", optOutType));
    }

    private List<String> inboundTexts(String contact) {
        return api.get("/api/v1/inbound-messages?contactId=" + contact).json().valueStream()
                .map(message -> message.path("text").asString()).toList();
    }

    private void incoming(Map<String, String> fields) {
        Map<String, String> params = new TreeMap<>(fields);
        params.put("AccountSid", ACCOUNT);
        params.put("ApiVersion", "2010-04-01");
        String path = "/webhooks/twilio/inbound";
        Api.Response response = post(path, params, SandboxTwilio.signature(TOKEN, "http://127.0.0.1:" + port + path, params));
        assertThat(response.status()).as(response.body()).isEqualTo(200);
    }

    private void callback(String messageId, Map<String, String> fields) {
        Map<String, String> params = new TreeMap<>(fields);
        params.put("AccountSid", ACCOUNT);
        params.put("ApiVersion", "2010-04-01");
        String path = "/webhooks/twilio/status/" + messageId;
        Api.Response response = post(path, params, SandboxTwilio.signature(TOKEN, "http://127.0.0.1:" + port + path, params));
        assertThat(response.status()).as(response.body()).isEqualTo(200);
    }

    private Api.Response post(String path, Map<String, String> params, String signature) {
        return api.postRaw(path, "application/x-www-form-urlencoded", encode(params).getBytes(StandardCharsets.UTF_8),
                Map.of("X-Twilio-Signature", signature));
    }

    private String callbackUrl(String messageId) {
        return "http://127.0.0.1:" + port + "/webhooks/twilio/status/" + messageId;
    }

    private String status(String id) {
        return api.get("/api/v1/messages/" + id).json().path("status").asString();
    }

    private static List<FakeProvider.Request> requestsTo(String phone) {
        return TWILIO.requests().stream().filter(r -> phone.equals(form(r.body()).get("To"))).toList();
    }

    private static String nextPhone() {
        return "+316123504" + String.format("%02d", NUMBERS.incrementAndGet());
    }

    private static Map<String, String> form(String body) {
        Map<String, String> form = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            form.merge(name, value, (a, b) -> a + "," + b);
        }
        return form;
    }

    private static String encode(Map<String, String> params) {
        StringBuilder body = new StringBuilder();
        params.forEach((name, value) -> body.append(body.isEmpty() ? "" : "&")
                .append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
                .append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
        return body.toString();
    }
}
