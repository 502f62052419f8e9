package io.reach.messaging.sms;

import static io.reach.support.Fixtures.timeline;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.sandbox.SandboxNetwork;
import io.reach.sandbox.SandboxSmsc;
import io.reach.support.Api;
import io.reach.support.Fixtures;
import io.reach.support.ReachIntegrationTest;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jsmpp.bean.TypeOfNumber;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/** SMS over real SMPP sessions against a jSMPP SMSC (the sandbox's) started with the test. */
@TestPropertySource(properties = "reach.sandbox.rules-file=classpath:sandbox/channel-handsets.yml")
class SmppIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @Autowired
    SandboxNetwork sandbox;

    @Autowired
    SmppLinks links;

    @Autowired
    SmppReceiptProcessor receipts;

    @Autowired
    JdbcClient jdbc;

    SandboxSmsc smsc;

    @BeforeEach
    void smsc() {
        smsc = sandbox.smsc();
        await().atMost(PATIENCE).until(() -> bound("sandbox-sms"));
    }

    @Test
    void choosesTheEncodingAndSplitsLongTextsIntoConcatenatedParts() {
        Map<String, String> texts = Map.of(
                "+31612350101", "a".repeat(160),
                "+31612350102", "b".repeat(161),
                "+31612350103", "д".repeat(70),
                "+31612350104", "д".repeat(71),
                "+31612350105", "Your table is ready 😀");
        Map<String, String> ids = new HashMap<>();
        texts.forEach((phone, text) -> {
            Fixtures.consentingContact(api, phone);
            ids.put(phone, sms("sandbox-sms", phone, text));
        });
        ids.values().forEach(id -> await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(status(id)).isEqualTo("delivered")));

        assertPart("+31612350101", 1, (byte) 0x00, texts);
        assertPart("+31612350102", 2, (byte) 0x00, texts);
        assertPart("+31612350103", 1, (byte) 0x08, texts);
        assertPart("+31612350104", 2, (byte) 0x08, texts);
        assertPart("+31612350105", 1, (byte) 0x08, texts);
        assertThat(smsc.submitsTo("+31612350102").get(0).payload()).hasSize(6 + 153);
        assertThat(smsc.submitsTo("+31612350104").get(0).payload()).hasSize(6 + 134);
    }

    @Test
    void anSmscThatThrottlesIsAskingToSubmitMoreSlowlyAndTheSmsGoesOutOnceAfterwards() {
        String phone = "+31612350005";
        Fixtures.consentingContact(api, phone);
        String id = sms("sandbox-sms", phone, "Your table is ready");

        // Kept as the sender's pace, so that a journey's timeout lets it wait its turn (Messages.progress).
        await().atMost(PATIENCE).until(() -> jdbc.sql("SELECT COUNT(*) FROM messages WHERE id = ? AND status = 'QUEUED'"
                + " AND error_code = 88 AND passing_failure = 'SLOW_DOWN'").param(UUID.fromString(id)).query(Long.class).single() == 1);
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(status(id)).isEqualTo("delivered"));
        assertThat(smsc.submitsTo(phone)).hasSize(1);
        assertThat(api.get("/api/v1/messages/" + id).json().path("attempts").asInt()).isEqualTo(3);
    }

    @Test
    void mapsEveryKindOfReceipt() {
        Map<String, String> byPhone = new LinkedHashMap<>();
        for (String phone : List.of("+31612350001", "+31612350002", "+31612350003", "+31612350004")) {
            Fixtures.consentingContactIfAbsent(api, phone);
            byPhone.put(phone, sms("sandbox-sms", phone, "Your order is ready"));
        }

        // A receipt may outrun the record of its submit_sm_resp: the submission is then inferred from it.
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(Fixtures.statuses(api, byPhone.get("+31612350001")))
                .containsExactly("queued", "submitted", "sent", "delivered"));
        for (String phone : List.of("+31612350002", "+31612350003", "+31612350004")) {
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(Fixtures.statuses(api, byPhone.get(phone)))
                    .containsExactly("queued", "submitted", "sent", "failed"));
        }
        JsonNode undeliverable = error(byPhone.get("+31612350002"));
        assertThat(undeliverable.path("code").asInt()).isEqualTo(1);
        assertThat(undeliverable.path("title").asString()).contains("Undeliverable", "UNDELIV");
        assertThat(error(byPhone.get("+31612350003")).path("title").asString()).contains("Expired", "EXPIRED");
        assertThat(error(byPhone.get("+31612350004")).path("title").asString()).contains("Rejected", "REJECTD");
    }

    @Test
    void anSmscMessageIdGivenAgainIsRecordedSentOnceAndItsReceiptGoesToTheNewestMessage() {
        String earlier = "+31612350901";
        String later = "+31612350902";
        Fixtures.consentingContact(api, earlier);
        Fixtures.consentingContact(api, later);
        String first = sms("sandbox-sms", earlier, "Your order is ready");
        await().atMost(PATIENCE).until(() -> "delivered".equals(status(first)));
        // As if the SMSC had restarted and counted from the start again: messages of before hold the ids it gives next;
        // messages created after the one sent next (a send tried again for a while), given those ids before it.
        long last = Long.parseLong(api.get("/api/v1/messages/" + first).json().path("providerMessageId").asString(), 16);
        List<String> held = new ArrayList<>();
        for (long id = last + 1; id <= last + 100; id++) {
            String old = UUID.randomUUID().toString();
            jdbc.sql("INSERT INTO messages (id, channel, sender_id, contact_id, recipient, rendered_text, status,"
                            + " provider_message_id, attempts, created_at, updated_at) SELECT ?, channel, sender_id, contact_id,"
                            + " recipient, rendered_text, status, ?, 1, ?, updated_at FROM messages WHERE id = ?")
                    .params(UUID.fromString(old), Long.toHexString(id),
                            OffsetDateTime.now(ZoneOffset.UTC).plusHours(1), UUID.fromString(first))
                    .update();
            jdbc.sql("INSERT INTO sms_parts (message_id, part_number, total_parts, provider_part_id, status, submitted_at,"
                            + " updated_at) SELECT ?, 1, 1, ?, status, submitted_at, updated_at FROM sms_parts WHERE message_id = ?")
                    .params(UUID.fromString(old), Long.toHexString(id), UUID.fromString(first)).update();
            held.add(old);
        }

        try {
            String second = sms("sandbox-sms", later, "Your order is ready");

            await().atMost(PATIENCE).until(() -> "delivered".equals(status(second)));
            JsonNode message = api.get("/api/v1/messages/" + second).json();
            assertThat(held).as("the id was one of those held").anySatisfy(old ->
                    assertThat(api.get("/api/v1/messages/" + old).json().path("providerMessageId").asString())
                            .isEqualTo(message.path("providerMessageId").asString()));
            assertThat(message.path("attempts").asInt()).isEqualTo(1);
            assertThat(smsc.submitsTo(later)).hasSize(1);
            assertThat(Fixtures.statuses(api, second)).containsExactly("queued", "submitted", "sent", "delivered");
            assertThat(held).allSatisfy(old -> assertThat(timeline(api, old)).isEmpty());
        } finally {
            // The SMSC's next ids are the other tests' to have.
            held.forEach(old -> jdbc.sql("DELETE FROM messages WHERE id = ?").param(UUID.fromString(old)).update());
        }
    }

    @Test
    void aReceiptThatComesWhileAnEarlierOneOfItsSmsWaitsForItsRetryIsAppliedAfterIt() {
        String phone = "+31612350903";
        Fixtures.consentingContact(api, phone);
        String model = sms("sandbox-sms", phone, "Your order is ready");
        await().atMost(PATIENCE).until(() -> "delivered".equals(status(model)));
        UUID sender = UUID.fromString(jdbc.sql("SELECT sender_id FROM messages WHERE id = ?")
                .param(UUID.fromString(model)).query(String.class).single());
        String smscId = "outran-" + UUID.randomUUID();

        // ENROUTE outruns the record of its submit_sm_resp: it fails until the part is known, and waits for its retry.
        receipts.receive(sender, receipt(smscId, "ENROUTE"));
        await().atMost(PATIENCE).until(() -> jdbc.sql("SELECT COUNT(*) FROM webhook_inbox WHERE body LIKE ?"
                + " AND processed_at IS NULL AND last_error IS NOT NULL").param("%" + smscId + "%").query(Long.class).single() == 1);
        String id = UUID.randomUUID().toString();
        jdbc.sql("INSERT INTO messages (id, channel, sender_id, contact_id, recipient, rendered_text, status, attempts,"
                        + " created_at, updated_at) SELECT ?, channel, sender_id, contact_id, recipient, rendered_text,"
                        + " 'SUBMITTED', 1, created_at, updated_at FROM messages WHERE id = ?")
                .params(UUID.fromString(id), UUID.fromString(model)).update();
        jdbc.sql("INSERT INTO sms_parts (message_id, part_number, total_parts, provider_part_id, status, submitted_at,"
                        + " updated_at) SELECT ?, 1, 1, ?, 'SUBMITTED', submitted_at, updated_at FROM sms_parts WHERE message_id = ?")
                .params(UUID.fromString(id), smscId, UUID.fromString(model)).update();
        // The final receipt comes before that retry: it is applied after it, as the SMSC sent them.
        receipts.receive(sender, receipt(smscId, "UNDELIV"));

        await().atMost(PATIENCE).untilAsserted(() -> assertThat(Fixtures.statuses(api, id))
                .containsExactly("submitted", "sent", "failed"));
        assertThat(status(id)).isEqualTo("failed");
        assertThat(jdbc.sql("SELECT COUNT(*) FROM webhook_inbox WHERE body LIKE ? AND processed_at IS NULL")
                .param("%" + smscId + "%").query(Long.class).single()).isZero();
    }

    @Test
    void aMultiPartMessageIsOneMessageDeliveredWhenEveryPartIs() {
        String phone = "+31612350201";
        Fixtures.consentingContact(api, phone);
        String text = "Dear customer, ".repeat(30).trim();
        String id = sms("sandbox-sms", phone, text);

        await().atMost(PATIENCE).until(() -> "delivered".equals(status(id)));
        assertThat(smsc.submitsTo(phone)).hasSize(3);
        assertThat(smsc.submitsTo(phone).stream().map(s -> s.payload()[3]).distinct()).hasSize(1);
        JsonNode message = api.get("/api/v1/messages/" + id).json();
        assertThat(message.path("renderedText").asString()).isEqualTo(text);
        // The first part's receipts may come before the last part is submitted: the submission is then inferred.
        assertThat(Fixtures.statuses(api, id)).containsExactly("queued", "submitted", "sent", "delivered");
        assertThat(message.path("timeline").path(3).path("errorDetails").asString()).matches("part [123] of 3: DELIVRD");

        String failing = "+31612350002";
        Fixtures.consentingContactIfAbsent(api, failing);
        String failed = sms("sandbox-sms", failing, text);
        await().atMost(PATIENCE).until(() -> "failed".equals(status(failed)));
    }

    @Test
    void losesAndDuplicatesNothingWhenTheSmscDropsAndComesBackMidRun() throws Exception {
        Api.Response slow = api.post("/api/v1/senders", Map.of("name", "slow-smpp", "channel", "sms", "provider", "smpp",
                "fromAddress", "Slow", "secret", "sandbox", "settings", Map.of("host", "127.0.0.1",
                        "port", String.valueOf(smsc.port()), "systemId", "reach", "submitsPerSecond", "10",
                        "enquireLinkSeconds", "1")));
        assertThat(slow.status()).as(slow.body()).isEqualTo(201);
        assertThat(slow.body()).doesNotContain(":\"sandbox\"", "\"secret\"");
        await().atMost(PATIENCE).until(() -> bound("slow-smpp"));
        List<String> phones = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            phones.add("+316123503" + String.format("%02d", i));
        }
        phones.forEach(phone -> Fixtures.consentingContact(api, phone));
        List<String> ids = phones.stream().map(phone -> sms("slow-smpp", phone, "Run " + phone)).toList();

        await().atMost(PATIENCE).until(() -> phones.stream().filter(p -> !smsc.submitsTo(p).isEmpty()).count() >= 4);
        smsc.stop();
        await().atMost(PATIENCE).until(() -> !bound("slow-smpp"));
        long waiting = ids.stream().filter(id -> "queued".equals(status(id))).count();
        assertThat(waiting).as("messages waiting in the database while the link is down").isPositive();

        smsc.start(0);

        ids.forEach(id -> await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(status(id)).as("message %s: %s", id, api.get("/api/v1/messages/" + id).body()).isEqualTo("delivered")));
        Map<String, Long> acceptedPerPhone = phones.stream().collect(Collectors.toMap(p -> p, p -> (long) smsc.submitsTo(p).size()));
        assertThat(acceptedPerPhone).allSatisfy((phone, count) -> assertThat(count).as(phone).isEqualTo(1));
        // Receipts kept while the link was down may come back in any order (a message may be delivered before its
        // "sent" receipt is applied): the timeline ends up with both, and the status stays final.
        ids.forEach(id -> await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(Fixtures.statuses(api, id)).containsExactlyInAnyOrder("queued", "submitted", "sent", "delivered")));
        ids.forEach(id -> assertThat(status(id)).isEqualTo("delivered"));
    }

    @Test
    void bindsAndSendsAgainWhenTheLinksAreStoppedAndStartedAgain() {
        links.stop();
        assertThat(links.boundSenders()).isEmpty();
        links.start();
        await().atMost(PATIENCE).until(() -> bound("sandbox-sms"));
        String phone = "+31612350701";
        Fixtures.consentingContact(api, phone);

        String id = sms("sandbox-sms", phone, "After a restart");

        await().atMost(PATIENCE).untilAsserted(() -> assertThat(status(id)).isEqualTo("delivered"));
        assertThat(smsc.submitsTo(phone)).hasSize(1);
    }

    @Test
    void storesAnIncomingSmsAgainstItsContact() {
        String phone = "+31612350401";
        JsonNode contact = Fixtures.consentingContact(api, phone);

        smsc.deliverInbound(phone, "Reach", "STOP");

        await().atMost(PATIENCE).untilAsserted(() -> assertThat(
                api.get("/api/v1/inbound-messages?contactId=" + contact.path("id").asString()).json()).hasSize(1));
        JsonNode inbound = api.get("/api/v1/inbound-messages?contactId=" + contact.path("id").asString()).json().path(0);
        assertThat(inbound.path("channel").asString()).isEqualTo("sms");
        assertThat(inbound.path("text").asString()).isEqualTo("STOP");
    }

    @Test
    void anSmsFromAnAlphanumericSenderIsStoredWithoutMakingAContactOfIt() {
        smsc.deliverInbound("Vodafone", TypeOfNumber.ALPHANUMERIC, "Reach", "Your bundle renews on the 1st");

        await().atMost(PATIENCE).until(() -> api.allItems("/api/v1/inbound-messages?limit=1000").stream()
                .anyMatch(message -> "Your bundle renews on the 1st".equals(message.path("text").asString())));
        JsonNode inbound = api.allItems("/api/v1/inbound-messages?limit=1000").stream()
                .filter(message -> "Your bundle renews on the 1st".equals(message.path("text").asString())).findFirst().orElseThrow();
        assertThat(inbound.path("from").asString()).isEqualTo("Vodafone");
        assertThat(inbound.path("contactId").isNull() || inbound.path("contactId").isMissingNode()).as(inbound.toString()).isTrue();
        assertThat(api.allItems("/api/v1/contacts?limit=1000").stream().map(contact -> contact.path("phone").asString()))
                .doesNotContain("Vodafone", "+Vodafone");
    }

    @Test
    void anSmsSayingStopOptsItsContactOutAndStartOptsItBackIn() {
        String phone = "+31612350801";
        String contact = Fixtures.consentingContact(api, phone).path("id").asString();

        smsc.deliverInbound(phone, "Reach", "Stop.");

        await().atMost(PATIENCE).until(() -> optedOut(contact));
        Api.Response refused = api.post("/api/v1/messages/sms", Map.of("sender", "sandbox-sms", "to", phone,
                "text", "One more offer", "category", "utility"));
        assertThat(refused.json().path("status").asString()).isEqualTo("blocked");
        assertThat(refused.json().path("blockedReason").asString()).startsWith("opted out");
        // A sentence with the word in it is a message like any other.
        smsc.deliverInbound(phone, "Reach", "start again? no, please stop");
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(inboundTexts(contact))
                .containsExactly("start again? no, please stop", "Stop."));
        assertThat(optedOut(contact)).isTrue();

        smsc.deliverInbound(phone, "Reach", "START");

        await().atMost(PATIENCE).until(() -> !optedOut(contact));
        String welcome = sms("sandbox-sms", phone, "Welcome back");
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(status(welcome)).isEqualTo("delivered"));
        assertThat(smsc.submitsTo(phone)).hasSize(1);
    }

    @Test
    void aSandboxHandsetWritesThroughTheApiOnWhatsAppAndBySms() {
        String phone = "+31612350802";
        String contact = Fixtures.consentingContact(api, phone).path("id").asString();

        Api.Response typed = api.post("/api/v1/sandbox/inbound-messages", Map.of("from", "+31 6 1235 0802",
                "text", "See you at five"));
        assertThat(typed.status()).as(typed.body()).isEqualTo(202);
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(inboundTexts(contact)).containsExactly("See you at five"));
        Api.Response stop = api.post("/api/v1/sandbox/inbound-messages", Map.of("from", phone, "channel", "sms", "text", "STOP"));
        assertThat(stop.status()).as(stop.body()).isEqualTo(202);

        await().atMost(PATIENCE).until(() -> optedOut(contact));
        JsonNode inbound = api.get("/api/v1/inbound-messages?contactId=" + contact).json();
        assertThat(inbound.path(0).path("channel").asString()).isEqualTo("sms");
        assertThat(inbound.path(1).path("channel").asString()).isEqualTo("whatsapp");
        assertThat(inbound.path(1).path("type").asString()).isEqualTo("text");
        Api.Response noText = api.post("/api/v1/sandbox/inbound-messages", Map.of("from", phone));
        assertThat(noText.status()).isEqualTo(400);
        assertThat(noText.json().path("details").path(0).path("field").asString()).isEqualTo("text");
        Api.Response fax = api.post("/api/v1/sandbox/inbound-messages", Map.of("from", phone, "channel", "fax", "text", "Hi"));
        assertThat(fax.json().path("details").path(0).path("field").asString()).isEqualTo("channel");
        Api.Response longSms = api.post("/api/v1/sandbox/inbound-messages", Map.of("from", phone, "channel", "sms",
                "text", "x".repeat(161)));
        assertThat(longSms.json().path("details").path(0).path("field").asString()).isEqualTo("text");
        assertThat(inboundTexts(contact)).hasSize(2);
    }

    @Test
    void anOptedOutContactGetsNoSmsAndTheMessageIsRecordedAsBlocked() {
        String phone = "+31612350501";
        Fixtures.contact(api, phone, Map.of("utility", true), true);
        int before = smsc.submits().size();

        Api.Response response = api.post("/api/v1/messages/sms", Map.of("sender", "sandbox-sms", "to", phone,
                "text", "Hello", "category", "utility"));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().path("status").asString()).isEqualTo("blocked");
        assertThat(timeline(api, response.json().path("messageId").asString())).containsExactly("blocked");
        Api.Response noCategory = api.post("/api/v1/messages/sms", Map.of("sender", "sandbox-sms", "to", phone, "text", "Hello"));
        assertThat(noCategory.status()).isEqualTo(400);
        assertThat(noCategory.json().path("details").path(0).path("field").asString()).isEqualTo("category");
        assertThat(smsc.submitsTo(phone)).isEmpty();
        assertThat(smsc.submits()).hasSize(before);
    }

    private void assertPart(String phone, int parts, byte dataCoding, Map<String, String> texts) {
        List<SandboxSmsc.Submit> submits = smsc.submitsTo(phone);
        assertThat(submits).as(phone).hasSize(parts);
        assertThat(submits).allSatisfy(s -> {
            assertThat(s.dataCoding()).isEqualTo(dataCoding);
            assertThat((s.esmClass() & 0x40) != 0).isEqualTo(parts > 1);
        });
        String decoded = submits.stream().sorted(Comparator.comparing(SandboxSmsc.Submit::reference))
                .map(s -> SmsEncoding.decode(s.payload(), s.dataCoding(), parts > 1)).collect(Collectors.joining());
        assertThat(decoded).isEqualTo(texts.get(phone));
    }

    private static String receipt(String smscId, String stat) {
        return "{\"_kind\":\"receipt\",\"err\":\"" + ("UNDELIV".equals(stat) ? "001" : "000") + "\",\"id\":\"" + smscId
                + "\",\"recipient\":\"+31612350903\",\"stat\":\"" + stat + "\"}";
    }

    private String sms(String sender, String phone, String text) {
        Api.Response response = api.post("/api/v1/messages/sms", Map.of("sender", sender, "to", phone, "text", text,
                "category", "utility"));
        assertThat(response.status()).as(response.body()).isEqualTo(202);
        return response.json().path("messageId").asString();
    }

    private boolean optedOut(String contactId) {
        return api.get("/api/v1/contacts/" + contactId).json().path("optedOut").asBoolean();
    }

    private List<String> inboundTexts(String contactId) {
        return api.get("/api/v1/inbound-messages?contactId=" + contactId).json().valueStream()
                .map(message -> message.path("text").asString()).toList();
    }

    private String status(String id) {
        return api.get("/api/v1/messages/" + id).json().path("status").asString();
    }

    private JsonNode error(String id) {
        return api.get("/api/v1/messages/" + id).json().path("error");
    }

    private boolean bound(String sender) {
        for (JsonNode link : api.get("/api/v1/smpp-links").json()) {
            if (sender.equals(link.path("sender").asString())) {
                return link.path("bound").asBoolean();
            }
        }
        return false;
    }
}
