package io.reach.messaging.whatsapp;

import static io.reach.support.Fixtures.timeline;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.sandbox.SandboxNetwork;
import io.reach.support.Api;
import io.reach.support.Fixtures;
import io.reach.support.ReachIntegrationTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reach and its sandbox network over real HTTP: sends go to the sandbox's Graph API, and every status comes back
 * as a signed webhook in Meta's format, through the same code a real Meta account uses.
 */
@TestPropertySource(properties = "reach.sandbox.rules-file=classpath:sandbox/e2e-handsets.yml")
class WhatsAppEndToEndIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @Autowired
    SandboxNetwork sandbox;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    JsonMapper json;

    @Test
    void followsEveryMessageThroughTheSandboxBySignedWebhooks() {
        Fixtures.orderTemplate(api, "order_ready_e2e");
        Fixtures.consentingContact(api, "+31 6 12340001");
        Fixtures.consentingContact(api, "+31 6 12340002");
        Fixtures.consentingContact(api, "+31 6 12340003");
        Fixtures.contact(api, "+31 6 12340004", Map.of("utility", true), true);
        Fixtures.consentingContact(api, "+31 6 12340005");
        long lastWebhookBefore = jdbc.sql("SELECT COALESCE(MAX(id), 0) FROM webhook_inbox").query(Long.class).single();

        String reads = send("+31612340001");
        String deliveredOnly = send("+31612340002");
        String notOnWhatsApp = send("+31612340003");
        Api.Response optedOut = Fixtures.sendOrder(api, "sandbox", "order_ready_e2e", "+31612340004");
        String quickReply = send("+31612340005");

        // An invalid number is refused before anything is recorded, naming the field.
        Api.Response invalidContact = api.post("/api/v1/contacts", Map.of("phone", "+31 6 123"));
        assertThat(invalidContact.status()).isEqualTo(400);
        assertThat(invalidContact.json().path("details").path(0).path("field").asString()).isEqualTo("phone");
        Api.Response invalidSend = Fixtures.sendOrder(api, "sandbox", "order_ready_e2e", "+31 6 123");
        assertThat(invalidSend.status()).isEqualTo(400);
        assertThat(invalidSend.json().path("details").path(0).path("field").asString()).isEqualTo("to");

        // Opted out: blocked at once, recorded, and never handed to the provider.
        assertThat(optedOut.status()).isEqualTo(200);
        assertThat(optedOut.json().path("status").asString()).isEqualTo("blocked");
        assertThat(optedOut.json().path("blockedReason").asString()).startsWith("opted out");
        String blocked = optedOut.json().path("messageId").asString();
        assertThat(timeline(api, blocked)).containsExactly("blocked");

        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(Fixtures.statuses(api, reads)).containsExactly("queued", "submitted", "sent", "delivered", "read"));
        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(Fixtures.statuses(api, deliveredOnly)).containsExactly("queued", "submitted", "sent", "delivered"));
        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(Fixtures.statuses(api, notOnWhatsApp)).containsExactly("queued", "submitted", "failed"));
        await().atMost(PATIENCE).untilAsserted(() -> {
            JsonNode message = api.get("/api/v1/messages/" + quickReply).json();
            assertThat(Fixtures.statuses(api, quickReply)).containsExactly("queued", "submitted", "sent", "delivered", "read");
            assertThat(message.path("replies")).hasSize(1);
        });

        JsonNode failed = api.get("/api/v1/messages/" + notOnWhatsApp).json();
        assertThat(failed.path("status").asString()).isEqualTo("failed");
        assertThat(failed.path("error").path("code").asInt()).isEqualTo(131026);
        assertThat(failed.path("error").path("title").asString()).contains("Not on WhatsApp");
        JsonNode failedEvent = failed.path("timeline").path(2);
        assertThat(failedEvent.path("errorCode").asInt()).isEqualTo(131026);
        JsonNode learned = api.get("/api/v1/contacts?phone=%2B31612340003").json().path(0);
        assertThat(learned.path("notOnWhatsApp").asBoolean()).isTrue();

        JsonNode reply = api.get("/api/v1/messages/" + quickReply).json().path("replies").path(0);
        assertThat(reply.path("type").asString()).isEqualTo("button");
        assertThat(reply.path("replyPayload").asString()).isEqualTo("YES");
        assertThat(reply.path("text").asString()).isEqualTo("Yes");
        assertThat(reply.path("repliedToMessageId").asString()).isEqualTo(quickReply);

        JsonNode delivered = api.get("/api/v1/messages/" + deliveredOnly).json();
        assertThat(delivered.path("status").asString()).isEqualTo("delivered");
        assertThat(delivered.path("timeline").path(3).path("billing").path("pricing").path("pricing_model").asString())
                .isEqualTo("PMP");

        // Every sent message reached the sandbox exactly once; the blocked one never did.
        for (String phone : List.of("+31612340001", "+31612340002", "+31612340003", "+31612340005")) {
            assertThat(sandbox.graphApi().acceptedFor(phone)).as(phone).isEqualTo(1);
            assertThat(sandbox.graphApi().sendsAnsweredFor(phone)).as(phone).isEqualTo(1);
        }
        assertThat(sandbox.graphApi().acceptedFor("+31612340004")).isZero();
        // 3 + 2 + 1 + 3 statuses and 1 reply, each delivered once, in signed webhooks (one or several to a webhook).
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(eventsStoredAfter(lastWebhookBefore))
                .containsExactlyInAnyOrder("sent", "delivered", "read", "sent", "delivered", "failed", "sent", "delivered",
                        "read", "message"));
    }

    @Test
    void sendsATemplateWithNamedPlaceholdersThatTheSandboxsMetaTakesByName() {
        Fixtures.reservationTemplate(api); // Meta's stand-in refuses (132000) a send that does not name its placeholders
        Fixtures.consentingContact(api, "+31612340101"); // one that reads (the rules' default)

        Api.Response sent = api.post("/api/v1/messages/whatsapp", Map.of("sender", "sandbox", "to", "+31612340101",
                "template", "reservation_confirmation", "language", "en_US",
                "bodyParameters", Map.of("number_of_guests", "4", "day", "Saturday")));

        assertThat(sent.status()).as(sent.body()).isEqualTo(202);
        String id = sent.json().path("messageId").asString();
        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(Fixtures.statuses(api, id)).containsExactly("queued", "submitted", "sent", "delivered", "read"));
    }

    @Test
    void aHandsetThatStopsPromotionsLosesItsMarketingConsentThroughMetasUserPreferencesWebhook() {
        Fixtures.orderTemplate(api, "order_ready_promotion", "marketing");
        String contact = Fixtures.consentingContact(api, "+31612340009").path("id").asString();
        String id = Fixtures.sendOrder(api, "sandbox", "order_ready_promotion", "+31612340009").json().path("messageId")
                .asString();

        await().atMost(PATIENCE).until(() -> !api.get("/api/v1/contacts/" + contact).json().path("consent").path("marketing")
                .asBoolean());
        assertThat(Fixtures.statuses(api, id)).containsExactly("queued", "submitted", "sent", "delivered");
        assertThat(api.get("/api/v1/contacts/" + contact).json().path("consent").path("utility").asBoolean()).isTrue();
        Api.Response next = Fixtures.sendOrder(api, "sandbox", "order_ready_promotion", "+31612340009");
        assertThat(next.json().path("status").asString()).as(next.body()).isEqualTo("blocked");
    }

    @Test
    void keepsTheDeliveryThatFollowsAFailureOnAMultiDeviceHandset() {
        Fixtures.orderTemplate(api, "order_ready_multi");
        Fixtures.consentingContact(api, "+31612340006");
        String id = Fixtures.sendOrder(api, "sandbox", "order_ready_multi", "+31612340006").json().path("messageId").asString();

        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(Fixtures.statuses(api, id)).containsExactly("queued", "submitted", "failed", "delivered"));
        JsonNode message = api.get("/api/v1/messages/" + id).json();
        assertThat(message.path("status").asString()).isEqualTo("delivered");
        assertThat(message.path("error").isMissingNode()).isTrue();
    }

    @Test
    void aRepeatedRequestWithTheSameIdempotencyKeySendsOnce() {
        Fixtures.orderTemplate(api, "order_ready_idem");
        Fixtures.consentingContact(api, "+31612340008");
        Map<String, Object> request = Map.of("sender", "sandbox", "to", "+31612340008", "template", "order_ready_idem",
                "language", "en_US", "headerParameters", List.of("A-1"), "bodyParameters", List.of("Bo", "A-1"),
                "idempotencyKey", "order-A-1-ready");

        Api.Response first = api.post("/api/v1/messages/whatsapp", request);
        Api.Response again = api.post("/api/v1/messages/whatsapp", request);

        assertThat(first.status()).isEqualTo(202);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().path("replayed").asBoolean()).isTrue();
        assertThat(again.json().path("messageId").asString()).isEqualTo(first.json().path("messageId").asString());
        String id = first.json().path("messageId").asString();
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(Fixtures.statuses(api, id)).contains("read"));
        assertThat(sandbox.graphApi().acceptedFor("+31612340008")).isEqualTo(1);
        assertThat(sandbox.graphApi().sendsAnsweredFor("+31612340008")).isEqualTo(1);
    }

    @Test
    void anIdempotencyKeyThatNamesAMessageToAnotherContactOrOnAnotherChannelIsRefusedAndSendsNothing() {
        Fixtures.orderTemplate(api, "order_ready_key_reused");
        // The first message is blocked (no consent to utility messages), so that no webhook of it reaches the other
        // tests' counts; its key is taken all the same.
        Fixtures.contact(api, "+31612340021", Map.of("marketing", true), false);
        Fixtures.consentingContact(api, "+31612340022");
        Map<String, Object> request = new HashMap<>(Map.of("sender", "sandbox", "to", "+31612340021",
                "template", "order_ready_key_reused", "language", "en_US", "headerParameters", List.of("A-2"),
                "bodyParameters", List.of("Bo", "A-2"), "idempotencyKey", "order-A-2-ready"));
        Api.Response first = api.post("/api/v1/messages/whatsapp", request);
        assertThat(first.json().path("status").asString()).as(first.body()).isEqualTo("blocked");

        request.put("to", "+31612340022");
        Api.Response toAnother = api.post("/api/v1/messages/whatsapp", request);
        Api.Response onSms = api.post("/api/v1/messages/sms", Map.of("sender", "sandbox-sms", "to", "+31612340021",
                "text", "Your order A-2 is ready.", "category", "utility", "idempotencyKey", "order-A-2-ready"));

        for (Api.Response reused : List.of(toAnother, onSms)) {
            assertThat(reused.status()).as(reused.body()).isEqualTo(409);
            assertThat(reused.json().path("error").asString()).isEqualTo("key_reused");
            assertThat(reused.json().path("details").path(0).path("field").asString()).isEqualTo("idempotencyKey");
            assertThat(reused.json().path("message").asString()).contains(first.json().path("messageId").asString());
        }
        assertThat(jdbc.sql("SELECT COUNT(*) FROM messages WHERE recipient = '+31612340022'").query(Long.class).single()).isZero();
        assertThat(jdbc.sql("SELECT COUNT(*) FROM messages WHERE recipient = '+31612340021'").query(Long.class).single()).isEqualTo(1);
    }

    @Test
    void refusesToSendToAnUnknownContactAndRecordsNothing() {
        Fixtures.orderTemplate(api, "order_ready_unknown");
        long messagesBefore = jdbc.sql("SELECT COUNT(*) FROM messages").query(Long.class).single();

        Api.Response byPhone = Fixtures.sendOrder(api, "sandbox", "order_ready_unknown", "+31612349999");
        Api.Response byId = api.post("/api/v1/messages/whatsapp", Map.of("sender", "sandbox",
                "contactId", "00000000-0000-0000-0000-000000000001", "template", "order_ready_unknown", "language", "en_US",
                "headerParameters", List.of("A-9"), "bodyParameters", List.of("Cy", "A-9")));
        Api.Response sms = api.post("/api/v1/messages/sms", Map.of("sender", "sandbox-sms", "to", "+31612349999",
                "text", "Your order is ready for pickup.", "category", "utility"));

        for (Api.Response refused : List.of(byPhone, byId, sms)) {
            assertThat(refused.status()).as(refused.body()).isEqualTo(404);
            assertThat(refused.json().path("error").asString()).isEqualTo("contact_not_found");
        }
        assertThat(byPhone.json().path("details").path(0).path("field").asString()).isEqualTo("to");
        assertThat(byId.json().path("details").path(0).path("field").asString()).isEqualTo("contactId");
        assertThat(jdbc.sql("SELECT COUNT(*) FROM messages").query(Long.class).single()).isEqualTo(messagesBefore);
        assertThat(sandbox.graphApi().acceptedFor("+31612349999")).isZero();
    }

    /** The statuses and inbound messages ("message") in the WhatsApp webhooks stored after the given entry. */
    private List<String> eventsStoredAfter(long entryId) {
        List<String> events = new ArrayList<>();
        for (String body : jdbc.sql("SELECT body FROM webhook_inbox WHERE channel = ? AND id > ?")
                .params(WhatsAppWebhookController.SOURCE, entryId).query(String.class).list()) {
            for (JsonNode change : json.readTree(body).path("entry").path(0).path("changes")) {
                change.path("value").path("statuses").forEach(status -> events.add(status.path("status").asString()));
                change.path("value").path("messages").forEach(message -> events.add("message"));
            }
        }
        return events;
    }

    private String send(String phone) {
        Api.Response response = Fixtures.sendOrder(api, "sandbox", "order_ready_e2e", phone);
        assertThat(response.status()).as(response.body()).isEqualTo(202);
        assertThat(response.json().path("status").asString()).isEqualTo("queued");
        assertThat(response.json().path("renderedText").asString()).isEqualTo("Order A-17\n\nHi Anna, your order A-17 is ready.");
        return response.json().path("messageId").asString();
    }
}
