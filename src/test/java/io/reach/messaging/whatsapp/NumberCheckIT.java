package io.reach.messaging.whatsapp;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.support.Api;
import io.reach.support.FakeProvider;
import io.reach.support.ReachIntegrationTest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/** A WhatsApp sender checked with Meta over real HTTP: the sandbox's, and stand-ins for Meta that find problems. */
// The same context as TemplateSyncIT's.
@TestPropertySource(properties = "reach.whatsapp.dispatcher-enabled=false")
class NumberCheckIT extends ReachIntegrationTest {

    private static final String TOKEN = "EAAJB-number-check-secret";

    @Autowired
    private AccessTokenWatch tokenWatch;
    /** A number registered on the On-Premises API, raised to high throughput, in an account no app takes webhooks of. */
    private static final FakeProvider MISCONFIGURED = new FakeProvider((n, request) -> request.path().endsWith("/subscribed_apps")
            ? new FakeProvider.Answer(200, "{\"data\":[]}")
            : new FakeProvider.Answer(200, """
                    {"verified_name":"Lucky Shrub","display_phone_number":"+1 555-078-9999","id":"106540352299001",
                     "quality_rating":"YELLOW","messaging_limit_tier":"TIER_10K","throughput":{"level":"HIGH"},
                     "name_status":"APPROVED","platform_type":"ON_PREMISE"}"""));
    /** A Graph API version that lacks some of the fields asked for, and refuses the request for them all. */
    private static final FakeProvider OLDER_VERSION = new FakeProvider((n, request) -> request.path().endsWith("/subscribed_apps")
            ? new FakeProvider.Answer(200, "{\"data\":[{\"whatsapp_business_api_data\":{\"id\":\"1\",\"name\":\"Shop\"}}]}")
            : request.query() != null && request.query().contains("fields=")
            ? new FakeProvider.Answer(400, FakeProvider.metaError(100, "Tried accessing nonexisting field (platform_type)"))
            : new FakeProvider.Answer(200, """
                    {"verified_name":"Lucky Shrub","display_phone_number":"+1 555-078-5555","id":"106540352299004",
                     "quality_rating":"GREEN"}"""));
    /** Whether {@link #DAY_TOKEN} answers as Meta does when it is down. */
    private static final AtomicBoolean AWAY = new AtomicBoolean();
    /** A number whose token was made in the App Dashboard: it expires in a day, and cannot manage the account. */
    private static final FakeProvider DAY_TOKEN = new FakeProvider((n, request) -> AWAY.get()
            ? new FakeProvider.Answer(503, FakeProvider.metaError(2, "Service temporarily unavailable"))
            : request.path().endsWith("/subscribed_apps")
            ? new FakeProvider.Answer(403, FakeProvider.metaError(200, "Permissions error"))
            : request.path().endsWith("/debug_token")
            ? new FakeProvider.Answer(200, """
                    {"data":{"app_id":"300000000000777","type":"USER","application":"Shop","data_access_expires_at":1788768000,
                     "expires_at":1796742000,"is_valid":true,"scopes":["whatsapp_business_messaging"],"user_id":"77"}}""")
            : new FakeProvider.Answer(200, """
                    {"verified_name":"Lucky Shrub","display_phone_number":"+1 555-078-4444","id":"106540352299005",
                     "quality_rating":"GREEN","platform_type":"CLOUD_API"}"""));
    /** A System User's token that never expires, made without the permission to send. */
    private static final FakeProvider NO_MESSAGING = new FakeProvider((n, request) -> request.path().endsWith("/subscribed_apps")
            ? new FakeProvider.Answer(200, "{\"data\":[{\"whatsapp_business_api_data\":{\"id\":\"1\",\"name\":\"Shop\"}}]}")
            : request.path().endsWith("/debug_token")
            ? new FakeProvider.Answer(200, """
                    {"data":{"app_id":"300000000000777","type":"SYSTEM_USER","application":"Shop","expires_at":0,
                     "is_valid":true,"scopes":["whatsapp_business_management","business_management"]}}""")
            : new FakeProvider.Answer(200, """
                    {"verified_name":"Lucky Shrub","display_phone_number":"+1 555-078-3333","id":"106540352299006",
                     "quality_rating":"GREEN","platform_type":"CLOUD_API"}"""));
    private static final FakeProvider REFUSING = new FakeProvider((n, request) -> new FakeProvider.Answer(401,
            FakeProvider.metaError(190, "Error validating access token: Session has expired")));

    @AfterAll
    static void stopMeta() {
        MISCONFIGURED.close();
        OLDER_VERSION.close();
        DAY_TOKEN.close();
        NO_MESSAGING.close();
        REFUSING.close();
    }

    @Test
    void findsNothingInTheWayOfTheSandboxSender() {
        Api.Response check = api.post("/api/v1/senders/sandbox/check", Map.of());
        assertThat(check.status()).as(check.body()).isEqualTo(200);
        assertThat(check.json().path("ok").asBoolean()).as(check.body()).isTrue();
        assertThat(check.json().path("problems").isEmpty()).isTrue();
        assertThat(check.json().path("webhooksSubscribed").asBoolean()).isTrue();
        assertThat(check.json().path("number")).isEqualTo(Api.JSON.readTree("""
                {"displayPhoneNumber":"+15550100001","verifiedName":"Reach Sandbox","qualityRating":"GREEN",
                 "messagingLimitTier":"TIER_UNLIMITED","throughputLevel":"STANDARD","nameStatus":"APPROVED",
                 "platformType":"CLOUD_API"}"""));
        assertThat(check.json().path("token")).isEqualTo(Api.JSON.readTree("""
                {"type":"SYSTEM_USER","scopes":["whatsapp_business_management","whatsapp_business_messaging"]}"""));
    }

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void saysWhenWebhooksOfTheNumberComeSignedWithAnotherSecretUntilOneIsTaken(
            CapturedOutput output) {
        String payload = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"200000000000001\",\"changes\":"
                + "[{\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"15550100001\","
                + "\"phone_number_id\":\"100000000000001\"},\"statuses\":[{\"id\":\"wamid.signed-otherwise\","
                + "\"status\":\"delivered\",\"timestamp\":\"1765015200\",\"recipient_id\":\"31612349100\"}]},"
                + "\"field\":\"messages\"}]}]}";
        assertThat(api.postSignedWhatsAppWebhook(payload, "the-app-secret-of-another-app").status()).isEqualTo(401);
        assertThat(api.postSignedWhatsAppWebhook(payload, "the-app-secret-of-another-app").status()).isEqualTo(401);

        JsonNode check = api.post("/api/v1/senders/sandbox/check", Map.of()).json();
        assertThat(check.path("ok").asBoolean()).isFalse();
        assertThat(check.path("problems").size()).isOne();
        assertThat(check.path("problems").path(0).asString()).startsWith("A webhook for this number was refused at ")
                .contains("its signature does not match the sender's app secret");
        assertThat(output.getOut().lines().filter(line -> line.contains("A webhook for WhatsApp sender sandbox")
                && line.contains("ERROR"))).as("told once, not per webhook").hasSize(1);

        assertThat(api.postSignedWhatsAppWebhook(payload, "sandbox-app-secret").status()).isEqualTo(200);
        assertThat(api.post("/api/v1/senders/sandbox/check", Map.of()).json().path("ok").asBoolean()).isTrue();

        // A number no sender has: refused, and said at WARN (no signature can be checked without its sender).
        assertThat(api.postSignedWhatsAppWebhook(payload.replace("100000000000001", "100000000000999"), "sandbox-app-secret")
                .status()).isEqualTo(401);
        assertThat(output.getOut().lines().filter(line -> line.contains("WARN") && line.contains(
                "A webhook for WhatsApp phone number id 100000000000999 (15550100001) was refused: no sender has that id")))
                .hasSize(1);
    }

    @Test
    void saysWhatWouldKeepAMisconfiguredNumberFromWorking() {
        register("misconfigured", "106540352299001", "+1 555 078 8888", MISCONFIGURED.baseUrl());
        JsonNode check = api.post("/api/v1/senders/misconfigured/check", Map.of()).json();

        assertThat(check.path("ok").asBoolean()).isFalse();
        assertThat(check.path("webhooksSubscribed").asBoolean()).isFalse();
        assertThat(check.path("number").path("qualityRating").asString()).isEqualTo("YELLOW");
        assertThat(check.path("problems").valueStream().map(JsonNode::asString)).containsExactly(
                "Meta's display number for this id is +1 555-078-9999, the sender's is +1 555 078 8888: Reach matches"
                        + " Meta's throughput upgrades by it, so correct displayNumber",
                "The number is not registered for the Cloud API (platform ON_PREMISE): Meta refuses its sends until it is"
                        + " (POST /{phone-number-id}/register)",
                "Meta lets this number send 1000 messages a second (throughput HIGH); the sender sends at most 80: raise"
                        + " its throughputPerSecond",
                "No app is subscribed to the webhooks of WhatsApp Business Account 102290129340555: Meta sends no status"
                        + " and no reply of its numbers until one is (POST /{waba-id}/subscribed_apps with your app's token)");
        List<FakeProvider.Request> asked = MISCONFIGURED.requests();
        assertThat(asked).extracting(FakeProvider.Request::path)
                .containsExactly("/v21.0/106540352299001", "/v21.0/debug_token", "/v21.0/102290129340555/subscribed_apps");
        assertThat(check.has("token")).as("a token Meta did not describe").isFalse();
        assertThat(asked).allSatisfy(r -> assertThat(r.header("Authorization")).isEqualTo("Bearer " + TOKEN));
    }

    @Test
    void readsTheNumbersDefaultFieldsFromAVersionThatLacksSomeAskedFor() {
        register("older-version", "106540352299004", "+1 555 078 5555", OLDER_VERSION.baseUrl());
        JsonNode check = api.post("/api/v1/senders/older-version/check", Map.of()).json();

        assertThat(check.path("ok").asBoolean()).as(check.toString()).isTrue();
        assertThat(check.path("number")).isEqualTo(Api.JSON.readTree("""
                {"displayPhoneNumber":"+1 555-078-5555","verifiedName":"Lucky Shrub","qualityRating":"GREEN"}"""));
        assertThat(OLDER_VERSION.requests()).extracting(FakeProvider.Request::query).containsExactly(
                "fields=display_phone_number,verified_name,quality_rating,messaging_limit_tier,throughput,name_status,"
                        + "platform_type", null, "input_token=" + TOKEN, null);
    }

    @Test
    void saysWhenTheTokenExpiresOrLacksAPermissionBeforeAnyMessageFailsOnIt() {
        register("day-token", "106540352299005", "+1 555 078 4444", DAY_TOKEN.baseUrl());
        Api.Response check = api.post("/api/v1/senders/day-token/check", Map.of());

        assertThat(check.status()).isEqualTo(200);
        assertThat(check.json().path("ok").asBoolean()).isFalse();
        assertThat(check.json().path("token")).isEqualTo(Api.JSON.readTree("""
                {"type":"USER","expiresAt":"2026-12-08T15:00:00Z","scopes":["whatsapp_business_messaging"]}"""));
        assertThat(check.json().path("problems").valueStream().map(JsonNode::asString)).containsExactly(
                "The access token expires at 2026-12-08T15:00:00Z: from then on Meta refuses every message of this sender"
                        + " (190) and its journeys take their fallbacks. A token made in the App Dashboard lasts a day; give"
                        + " the sender a System User's token that never expires (PATCH /api/v1/senders/day-token"
                        + " {\"accessToken\": …})",
                "The access token lacks the whatsapp_business_management permission: Meta does not show the account's"
                        + " templates (POST /api/v1/templates/sync) nor the apps taking its webhooks. Give it a token with"
                        + " both permissions (PATCH /api/v1/senders/day-token {\"accessToken\": …})",
                "Meta did not say which apps take the webhooks of WhatsApp Business Account 102290129340555: (#200)"
                        + " Permissions error (the token needs whatsapp_business_management to see them)");
        // Meta is asked about the token the sender sends with, in its own name; the answer never holds the token.
        FakeProvider.Request described = DAY_TOKEN.requests().stream().filter(r -> r.path().endsWith("/debug_token"))
                .findFirst().orElseThrow();
        assertThat(described.query()).isEqualTo("input_token=" + TOKEN);
        assertThat(described.header("Authorization")).isEqualTo("Bearer " + TOKEN);
        assertThat(check.body()).doesNotContain(TOKEN);

        register("no-messaging", "106540352299006", "+1 555 078 3333", NO_MESSAGING.baseUrl());
        JsonNode lacking = api.post("/api/v1/senders/no-messaging/check", Map.of()).json();
        assertThat(lacking.path("token").has("expiresAt")).as("a token that never expires").isFalse();
        assertThat(lacking.path("problems").valueStream().map(JsonNode::asString)).containsExactly(
                "The access token lacks the whatsapp_business_messaging permission: Meta refuses every message of this"
                        + " sender. Give it a token with whatsapp_business_messaging and whatsapp_business_management"
                        + " (PATCH /api/v1/senders/no-messaging {\"accessToken\": …})");
    }

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void aTokenThatExpiresWithinAWeekIsSaidAtWarnAndEveryTokensExpiryIsInTheMetrics(CapturedOutput output) {
        register("expiring", "106540352299007", "+1 555 078 2222", DAY_TOKEN.baseUrl());

        assertThat(tokenWatch.look()).contains("expiring").doesNotContain("sandbox", "misconfigured");

        assertThat(output.getOut().lines().filter(line -> line.contains("WARN") && line.contains(
                "The access token of WhatsApp sender expiring (+1 555 078 2222) expires at 2026-12-08T15:00:00Z: from then"
                        + " on Meta refuses every message of it (190)"))).hasSize(1);
        assertThat(output.getOut()).doesNotContain(TOKEN);
        String metrics = api.get("/actuator/prometheus").body();
        assertThat(expiry(metrics, "expiring")).isEqualTo(1796742000d);
        assertThat(expiry(metrics, "sandbox")).as("a System User's token that never expires").isNaN();

        // Meta out of reach at the next look: what it said before stands, for the alert.
        AWAY.set(true);
        try {
            assertThat(tokenWatch.look()).doesNotContain("expiring");
            assertThat(expiry(api.get("/actuator/prometheus").body(), "expiring")).isEqualTo(1796742000d);
        } finally {
            AWAY.set(false);
        }
    }

    /** The value of the sender's {@code reach_sender_access_token_expiry_seconds} line in a Prometheus scrape. */
    private static double expiry(String metrics, String sender) {
        String series = "reach_sender_access_token_expiry_seconds{sender=\"" + sender + "\"} ";
        return metrics.lines().filter(line -> line.startsWith(series)).findFirst()
                .map(line -> Double.parseDouble(line.substring(series.length()).strip()))
                .orElseThrow(() -> new AssertionError("no " + series + "in " + metrics));
    }

    @Test
    void saysWhenMetaRefusesTheTokenWithoutShowingIt() {
        String id = register("expired", "106540352299002", "+1 555 078 7777", REFUSING.baseUrl());
        Api.Response check = api.post("/api/v1/senders/expired/check", Map.of());
        assertThat(check.status()).isEqualTo(200);
        assertThat(check.json().path("ok").asBoolean()).isFalse();
        // Neither is known: the answer leaves them out.
        assertThat(check.json().has("number")).isFalse();
        assertThat(check.json().has("webhooksSubscribed")).isFalse();
        assertThat(check.json().path("problems").valueStream().map(JsonNode::asString)).containsExactly(
                "Meta did not show number 106540352299002 to this sender's access token: (#190) Error validating access"
                        + " token: Session has expired. Check the phoneNumberId, and give the sender a valid token (PATCH"
                        + " /api/v1/senders/expired {\"accessToken\": …}) if it expired or lacks"
                        + " whatsapp_business_messaging",
                "Meta did not say which apps take the webhooks of WhatsApp Business Account 102290129340555: (#190) Error"
                        + " validating access token: Session has expired (the token needs whatsapp_business_management to"
                        + " see them)");
        assertThat(check.body()).doesNotContain(TOKEN);
        // A sender is changed, and read, by its name as by its id.
        assertThat(api.patch("/api/v1/senders/expired", Map.of("accessToken", "EAAJB-renewed")).status()).isEqualTo(200);
        assertThat(api.get("/api/v1/senders/expired").json().path("id").asString()).isEqualTo(id);
        assertThat(api.get("/api/v1/senders/" + id).json().path("name").asString()).isEqualTo("expired");
        assertThat(api.get("/api/v1/senders/nobody-of-that-name").status()).isEqualTo(404);

        String unreachable = register("unreachable-meta", "106540352299003", "+1 555 078 6666",
                FakeProvider.unreachableBaseUrl());
        JsonNode down = api.post("/api/v1/senders/" + unreachable + "/check", Map.of()).json();
        assertThat(down.path("ok").asBoolean()).isFalse();
        assertThat(down.path("problems").size()).isOne();
        assertThat(down.path("problems").path(0).asString()).startsWith("Could not reach Meta's Graph API (http://127.0.0.1:");

        assertThat(api.post("/api/v1/senders/sandbox-voice/check", Map.of()).json().path("message").asString())
                .isEqualTo("no WhatsApp sender is named or has the id 'sandbox-voice' (it is a voice sender)");
    }

    private String register(String name, String phoneNumberId, String displayNumber, String baseUrl) {
        Api.Response sender = api.post("/api/v1/senders", Map.of("name", name, "phoneNumberId", phoneNumberId,
                "wabaId", "102290129340555", "displayNumber", displayNumber, "accessToken", TOKEN, "appSecret", "app-secret",
                "verifyToken", "verify", "graphApiBaseUrl", baseUrl, "graphApiVersion", "v21.0"));
        assertThat(sender.status()).as(sender.body()).isEqualTo(201);
        return sender.json().path("id").asString();
    }
}
