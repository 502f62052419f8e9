package io.reach.messaging.whatsapp;

import static io.reach.support.Fixtures.timeline;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.messaging.Channel;
import io.reach.messaging.Messages;
import io.reach.messaging.Recipients;
import io.reach.messaging.WebhookInbox;
import io.reach.shared.Pages;
import io.reach.support.Api;
import io.reach.support.Fixtures;
import io.reach.support.OpenTransactions;
import io.reach.support.ReachIntegrationTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;

/** Meta's webhook endpoint over real HTTP: signatures, the handshake, and the status model on odd orderings. */
@TestPropertySource(properties = {"reach.sandbox.enabled=false", "reach.whatsapp.dispatcher-enabled=false"})
class WhatsAppWebhookIT extends ReachIntegrationTest {

    private static final String APP_SECRET = "webhook-test-app-secret";
    private static final String PHONE_NUMBER_ID = "300000000000001";
    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static final AtomicInteger NUMBERS = new AtomicInteger(10);

    @Autowired
    WebhookInbox inbox;

    @Autowired
    Messages messages;

    @Autowired
    TransactionTemplate transactions;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    DataSource dataSource;

    @Autowired
    WhatsAppWebhookProcessor processor;

    @BeforeEach
    void sender() {
        if (api.get("/api/v1/senders").json().isEmpty()) {
            Api.Response created = api.post("/api/v1/senders", Map.of("name", "webhook-test", "phoneNumberId", PHONE_NUMBER_ID,
                    "wabaId", "400000000000001", "displayNumber", "+15550100002", "accessToken", "token-never-shown",
                    "appSecret", APP_SECRET, "verifyToken", "my-verify-token", "graphApiBaseUrl", "http://127.0.0.1:9"));
            assertThat(created.status()).as(created.body()).isEqualTo(201);
            assertThat(created.body()).doesNotContain("token-never-shown", APP_SECRET, "my-verify-token");
            Fixtures.orderTemplate(api, "order_ready_hooks");
        }
    }

    @Test
    void answersMetasVerificationHandshakeOnlyWithTheRightToken() {
        Api.Response right = api.getWithoutToken("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=my-verify-token&hub.challenge=1158201444");
        assertThat(right.status()).isEqualTo(200);
        assertThat(right.body()).isEqualTo("1158201444");

        Api.Response wrong = api.getWithoutToken("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444");
        assertThat(wrong.status()).isEqualTo(403);
        assertThat(wrong.body()).doesNotContain("1158201444");
    }

    @Test
    void refusesAWrongSignatureAndStoresNothing() {
        long before = inbox.stored(WhatsAppWebhookController.SOURCE);
        byte[] body = statuses(status("wamid.forged", "delivered", null)).getBytes(StandardCharsets.UTF_8);

        Api.Response wrongSecret = post(body, WebhookSignature.sign(body, "not-the-app-secret"));
        Api.Response missing = api.postRaw("/webhooks/whatsapp", "application/json", body, Map.of());
        byte[] tampered = statuses(status("wamid.forged", "read", null)).getBytes(StandardCharsets.UTF_8);
        Api.Response bodyChanged = post(tampered, WebhookSignature.sign(body, APP_SECRET));

        assertThat(wrongSecret.status()).isEqualTo(401);
        assertThat(missing.status()).isEqualTo(401);
        assertThat(bodyChanged.status()).isEqualTo(401);
        assertThat(inbox.stored(WhatsAppWebhookController.SOURCE)).isEqualTo(before);
    }

    @Test
    void refusesMalformedJsonWith400() {
        byte[] body = "{\"object\":\"whatsapp_business_account\",\"entry\":[".getBytes(StandardCharsets.UTF_8);
        Api.Response response = post(body, WebhookSignature.sign(body, APP_SECRET));
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().path("error").asString()).isEqualTo("malformed_webhook");
    }

    @Test
    void refusesABodyOverItsBoundUnreadWith413AndStoresNothing() throws Exception {
        long before = inbox.stored(WhatsAppWebhookController.SOURCE);
        int over = WhatsAppWebhookController.MAX_BODY_BYTES + 1;

        // Declared too large: refused before a byte of it is read (only the headers are sent).
        String declared = rawPost("Content-Length: " + over + "\r\n", new byte[0]);
        // Sent in chunks with no length declared: refused once the bound is passed.
        byte[] chunk = new byte[64 * 1024];
        Arrays.fill(chunk, (byte) ' ');
        ByteArrayOutputStream chunked = new ByteArrayOutputStream();
        for (int sent = 0; sent < over + chunk.length; sent += chunk.length) {
            chunked.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            chunked.write(chunk);
            chunked.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        chunked.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        String streamed = rawPost("Transfer-Encoding: chunked\r\n", chunked.toByteArray());

        assertThat(declared).startsWith("HTTP/1.1 413").contains("webhook_too_large");
        assertThat(streamed).startsWith("HTTP/1.1 413").contains("webhook_too_large");
        assertThat(inbox.stored(WhatsAppWebhookController.SOURCE)).isEqualTo(before);
    }

    /** A POST to the webhook over a socket of its own, with {@code headers} and {@code body} as they are; its answer. */
    private String rawPost(String headers, byte[] body) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /webhooks/whatsapp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "X-Hub-Signature-256: sha256=00\r\nConnection: close\r\n" + headers + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            // The answer's head, then as many bytes as it declares: the server need not close the connection first.
            InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int next = in.read();
                if (next < 0) {
                    return head.toString();
                }
                head.append((char) next);
            }
            Matcher length = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
            if (length.find()) {
                return head + new String(in.readNBytes(Integer.parseInt(length.group(1))), StandardCharsets.UTF_8);
            }
            ByteArrayOutputStream chunks = new ByteArrayOutputStream();
            while (!chunks.toString(StandardCharsets.UTF_8).endsWith("\r\n0\r\n\r\n")) {
                int next = in.read();
                if (next < 0) {
                    break;
                }
                chunks.write(next);
            }
            return head + chunks.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void readBeforeDeliveredMakesTheMessageReadAndImpliesDelivered() {
        String id = submittedMessage("wamid.read-first");

        postSigned(statuses(status("wamid.read-first", "read", null)));
        await().atMost(PATIENCE).until(() -> timeline(api, id).contains("read"));
        postSigned(statuses(status("wamid.read-first", "delivered", null)));
        postSigned(statuses(status("wamid.read-first", "sent", null)));

        await().atMost(PATIENCE).untilAsserted(() -> assertThat(timeline(api, id))
                .containsExactly("queued", "submitted", "read", "delivered(inferred)", "sent"));
        assertThat(api.get("/api/v1/messages/" + id).json().path("status").asString()).isEqualTo("read");
    }

    @Test
    void aMessageRowKeepsTheStatusesOfItsTimelineAndOneWrittenWithoutThemIsJudgedByItsTimeline() {
        String id = submittedMessage("wamid.kept-statuses");
        postSigned(statuses(status("wamid.kept-statuses", "delivered", null)));
        await().atMost(PATIENCE).until(() -> timeline(api, id).contains("delivered"));
        assertThat(recordedStatuses(id)).isEqualTo("QUEUED,SUBMITTED,DELIVERED");

        // As a row written before the column was added (V5) has it: the timeline must tell what was recorded.
        jdbc.sql("UPDATE messages SET recorded_statuses = NULL WHERE id = ?").param(UUID.fromString(id)).update();
        postSigned(statuses(status("wamid.kept-statuses", "delivered", null), status("wamid.kept-statuses", "read", null)));

        await().atMost(PATIENCE).untilAsserted(() -> assertThat(timeline(api, id)).containsExactly("queued", "submitted",
                "delivered", "read"));
        assertThat(api.get("/api/v1/messages/" + id).json().path("status").asString()).isEqualTo("read");
        assertThat(recordedStatuses(id)).isEqualTo("QUEUED,SUBMITTED,DELIVERED,READ");
    }

    @Test
    void aFailureWithAProvidersLongDetailsIsAppliedWithTheDetailsClipped() {
        String id = submittedMessage("wamid.long-details");
        String details = "Message Undeliverable. ".repeat(300);
        String failed = "{\"id\":\"wamid.long-details\",\"status\":\"failed\",\"timestamp\":\"1763700000\","
                + "\"recipient_id\":\"31612340000\",\"errors\":[{\"code\":131026,\"title\":\"Message undeliverable\","
                + "\"message\":\"Message undeliverable\",\"error_data\":{\"details\":\"" + details + "\"}}]}";

        postSigned(statuses(failed));

        await().atMost(PATIENCE).until(() -> timeline(api, id).contains("failed"));
        JsonNode message = api.get("/api/v1/messages/" + id).json();
        assertThat(message.path("error").path("details").asString()).hasSize(2000).startsWith("Message Undeliverable.").endsWith("…");
        assertThat(message.path("status").asString()).isEqualTo("failed");
    }

    @Test
    void aDispatchersClaimLocksOnlyTheMessagesItClaims() throws Exception {
        List<UUID> queued = List.of(UUID.fromString(queuedMessage()), UUID.fromString(queuedMessage()),
                UUID.fromString(queuedMessage()));
        OpenTransactions.Seen<List<UUID>, List<UUID>> seen = OpenTransactions.whileOpen(
                transactions, () -> messages.claimDue(Channel.WHATSAPP, 1, Duration.ofMinutes(1), 8).stream()
                        .map(Messages.Outbound::id).toList(),
                // Another transaction finds the messages the claim did not take free to lock.
                () -> transactions.execute(tx -> jdbc.sql("SELECT id FROM messages WHERE id IN (?, ?, ?) FOR UPDATE SKIP LOCKED")
                        .params(queued.get(0), queued.get(1), queued.get(2)).query(UUID.class).list()));

        assertThat(seen.inside()).hasSize(1);
        List<UUID> notClaimed = queued.stream().filter(id -> !seen.inside().contains(id)).toList();
        assertThat(notClaimed).hasSizeGreaterThanOrEqualTo(2);
        assertThat(seen.meanwhile()).containsExactlyInAnyOrderElementsOf(notClaimed);
    }

    private String recordedStatuses(String messageId) {
        return jdbc.sql("SELECT recorded_statuses FROM messages WHERE id = ?").param(UUID.fromString(messageId))
                .query(String.class).single();
    }

    @Test
    void deliveredAfterFailedWinsAndKeepsBothInTheTimeline() {
        String id = submittedMessage("wamid.multi-device");

        postSigned(statuses(status("wamid.multi-device", "failed", 131026)));
        await().atMost(PATIENCE).until(() -> timeline(api, id).contains("failed"));
        JsonNode failed = api.get("/api/v1/messages/" + id).json();
        assertThat(failed.path("status").asString()).isEqualTo("failed");
        assertThat(failed.path("error").path("code").asInt()).isEqualTo(131026);

        postSigned(statuses(status("wamid.multi-device", "delivered", null)));
        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(timeline(api, id)).containsExactly("queued", "submitted", "failed", "delivered"));
        JsonNode delivered = api.get("/api/v1/messages/" + id).json();
        assertThat(delivered.path("status").asString()).isEqualTo("delivered");
        assertThat(delivered.path("error").isMissingNode()).isTrue();
        assertThat(delivered.path("timeline").path(2).path("errorCode").asInt()).isEqualTo(131026);
    }

    @Test
    void theSameStatusTwiceIsRecordedOnceAndStatusNeverGoesBackwards() {
        String id = submittedMessage("wamid.duplicates");

        postSigned(statuses(status("wamid.duplicates", "delivered", null)));
        postSigned(statuses(status("wamid.duplicates", "delivered", null)));
        postSigned(statuses(status("wamid.duplicates", "sent", null), status("wamid.duplicates", "sent", null)));

        await().atMost(PATIENCE).until(() -> inbox.pending(WhatsAppWebhookController.SOURCE) == 0 && timeline(api, id).contains("sent"));
        assertThat(timeline(api, id)).containsExactly("queued", "submitted", "delivered", "sent");
        assertThat(api.get("/api/v1/messages/" + id).json().path("status").asString()).isEqualTo("delivered");
    }

    @Test
    void appliesEveryStatusAndReplyOfABatchedWebhook() {
        String first = submittedMessage("wamid.batch-1");
        String second = submittedMessage("wamid.batch-2");
        String from = api.get("/api/v1/messages/" + first).json().path("recipient").asString().substring(1);

        // Meta under load: several messages' statuses in one change, a reply in another change of the same payload.
        postSigned("{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"400000000000001\",\"changes\":["
                + change("\"statuses\":[" + status("wamid.batch-1", "delivered", null) + "," + status("wamid.batch-2", "failed", 131026)
                        + "," + status("wamid.batch-1", "read", null) + "]")
                + "," + change("\"contacts\":[{\"profile\":{\"name\":\"Kerry\"},\"wa_id\":\"" + from + "\"}],\"messages\":[{\"from\":\""
                        + from + "\",\"id\":\"wamid.batch-in\",\"timestamp\":\"1763700001\",\"type\":\"button\","
                        + "\"button\":{\"payload\":\"YES\",\"text\":\"Yes\"},\"context\":{\"id\":\"wamid.batch-1\"}}]")
                + "]}]}");

        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(timeline(api, first)).containsExactly("queued", "submitted", "delivered", "read");
            assertThat(timeline(api, second)).containsExactly("queued", "submitted", "failed");
            assertThat(api.get("/api/v1/messages/" + first).json().path("replies").path(0).path("replyPayload").asString())
                    .isEqualTo("YES");
        });
    }

    @Test
    void statusesAndInboundMessagesReachCannotKeepAreLeftOutAndHoldBackNoOtherStatusOfTheirWebhook() {
        String id = submittedMessage("wamid.beside-odd-ones");
        String oddCode = submittedMessage("wamid.odd-code");
        String from = api.get("/api/v1/messages/" + id).json().path("recipient").asString().substring(1);
        String contactId = api.get("/api/v1/messages/" + id).json().path("contactId").asString();
        String longId = "wamid." + "x".repeat(300);

        // One payload: the message's status, a status of a message id longer than a provider's, a failure whose code is
        // no 32-bit number; then messages with a number longer than a phone number, an id longer than a provider's, and
        // a type, a payload and a context id longer than Reach keeps.
        postSigned("{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"400000000000001\",\"changes\":["
                + change("\"statuses\":[" + status("wamid.beside-odd-ones", "delivered", null) + "," + status(longId, "sent", null)
                        + "," + status("wamid.odd-code", "failed", null).replace("}", ",\"errors\":[{\"code\":1e308}]}") + "]")
                + "," + change("\"messages\":["
                        + "{\"from\":\"" + "9".repeat(25) + "\",\"id\":\"wamid.odd-number\",\"timestamp\":\"1763700001\",\"type\":\"text\","
                        + "\"text\":{\"body\":\"a number too long\"}},"
                        + "{\"from\":\"" + from + "\",\"id\":\"" + longId + "\",\"timestamp\":\"1763700002\",\"type\":\"text\","
                        + "\"text\":{\"body\":\"an id too long\"}},"
                        + "{\"from\":\"" + from + "\",\"id\":\"wamid.odd-fields\",\"timestamp\":\"1763700003\",\"type\":\"button\","
                        + "\"button\":{\"payload\":\"" + "P".repeat(1500) + "\",\"text\":\"an odd payload\"},"
                        + "\"context\":{\"id\":\"" + longId + "\"}},"
                        + "{\"from\":\"" + from + "\",\"id\":\"wamid.odd-type\",\"timestamp\":\"1763700004\",\"type\":\""
                        + "t".repeat(40) + "\",\"" + "t".repeat(40) + "\":{\"caption\":\"an odd type\"}}]")
                + "]}]}");

        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(timeline(api, id)).containsExactly("queued", "submitted", "delivered");
            assertThat(timeline(api, oddCode)).containsExactly("queued", "submitted", "failed");
            assertThat(api.get("/api/v1/inbound-messages?contactId=" + contactId).json()).hasSize(2);
        });
        assertThat(api.get("/api/v1/unmatched-statuses").body()).doesNotContain(longId);
        JsonNode kept = api.get("/api/v1/inbound-messages?contactId=" + contactId).json();
        assertThat(kept.path(1).path("providerMessageId").asString()).isEqualTo("wamid.odd-fields");
        assertThat(kept.path(1).path("replyPayload").asString()).hasSize(1000).startsWith("PPP").endsWith("…");
        assertThat(kept.path(1).path("repliedToMessageId").isMissingNode() || kept.path(1).path("repliedToMessageId").isNull()).isTrue();
        assertThat(kept.path(0).path("providerMessageId").asString()).isEqualTo("wamid.odd-type");
        assertThat(kept.path(0).path("type").asString()).hasSize(32).endsWith("…");
        // No contact for the number that is none, and nothing of the webhook left in the inbox to retry.
        assertThat(jdbc.sql("SELECT COUNT(*) FROM contacts WHERE phone LIKE '+99999%'").query(Long.class).single()).isZero();
        await().atMost(PATIENCE).until(() -> jdbc.sql("SELECT COUNT(*) FROM webhook_inbox WHERE processed_at IS NULL"
                + " AND body LIKE '%wamid.beside-odd-ones%'").query(Long.class).single() == 0);
    }

    @Test
    void aProvidersTextWithTheNulCharacterIsKeptWithoutItWhichPostgreSqlCannotStore() {
        String id = submittedMessage("wamid.nul-failure");
        String from = api.get("/api/v1/messages/" + id).json().path("recipient").asString().substring(1);
        String contactId = api.get("/api/v1/messages/" + id).json().path("contactId").asString();
        String failed = "{\"id\":\"wamid.nul-failure\",\"status\":\"failed\",\"timestamp\":\"1763700000\","
                + "\"recipient_id\":\"" + from + "\",\"errors\":[{\"code\":131026,\"title\":\"Message\\u0000undeliverable\","
                + "\"message\":\"x\",\"error_data\":{\"details\":\"Un\\u0000known\"}}]}";

        postSigned(statuses(failed));
        postSigned(inbound("{\"from\":\"" + from + "\",\"id\":\"wamid.nul-text\",\"timestamp\":\"1763700001\",\"type\":\"text\","
                + "\"text\":{\"body\":\"Hel\\u0000lo\"},\"context\":{\"id\":\"wamid.nul\\u0000failure\"}}", from));
        postSigned(inbound("{\"from\":\"" + from + "\",\"id\":\"wamid.nul\\u0000id\",\"timestamp\":\"1763700002\",\"type\":\"text\","
                + "\"text\":{\"body\":\"an id Reach cannot keep\"}}", from));

        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(timeline(api, id)).containsExactly("queued", "submitted", "failed");
            assertThat(api.get("/api/v1/inbound-messages?contactId=" + contactId).json()).hasSize(1);
        });
        assertThat(api.get("/api/v1/messages/" + id).json().path("error").path("details").asString()).isEqualTo("Unknown");
        assertThat(api.get("/api/v1/inbound-messages?contactId=" + contactId).json().path(0).path("text").asString())
                .isEqualTo("Hello");
        await().atMost(PATIENCE).until(() -> jdbc.sql("SELECT COUNT(*) FROM webhook_inbox WHERE processed_at IS NULL"
                + " AND body LIKE '%an id Reach cannot keep%'").query(Long.class).single() == 0);
        assertThat(api.get("/api/v1/inbound-messages?contactId=" + contactId).json()).hasSize(1);
    }

    @Test
    void appliesWaitingPayloadsOfOneGroupInOrderAndOneUnreadablePayloadHoldsUpNoOther() {
        String a = submittedMessage("wamid.group-a");
        String b = submittedMessage("wamid.group-b");
        String c = submittedMessage("wamid.group-c");
        UUID sender = UUID.fromString(api.get("/api/v1/senders").json().path(0).path("id").asString());
        // Stored in one transaction, so that the processor finds them waiting together: each is about several
        // messages, so all are in one ordering group and are applied together.
        transactions.executeWithoutResult(tx -> {
            inbox.store(WhatsAppWebhookController.SOURCE, sender, statuses(status("wamid.group-a", "sent", null),
                    status("wamid.group-b", "delivered", null)));
            inbox.store(WhatsAppWebhookController.SOURCE, sender, statuses(status("wamid.group-b", "read", null),
                    status("wamid.group-a", "delivered", null)));
        });
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(timeline(api, a)).containsExactly("queued", "submitted", "sent", "delivered");
            assertThat(timeline(api, b)).containsExactly("queued", "submitted", "delivered", "read");
        });

        // With an unreadable payload between them, they cannot be applied together: each is applied alone.
        String unreadable = "{\"object\":\"whatsapp_business_account\",\"entry\":[";
        transactions.executeWithoutResult(tx -> {
            inbox.store(WhatsAppWebhookController.SOURCE, sender, statuses(status("wamid.group-c", "sent", null),
                    status("wamid.group-a", "read", null)));
            inbox.store(WhatsAppWebhookController.SOURCE, sender, unreadable);
            inbox.store(WhatsAppWebhookController.SOURCE, sender, statuses(status("wamid.group-c", "failed", 131026),
                    status("wamid.group-b", "read", null)));
        });
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(timeline(api, c)).containsExactly("queued", "submitted", "sent", "failed");
            assertThat(timeline(api, a)).containsExactly("queued", "submitted", "sent", "delivered", "read");
            assertThat(jdbc.sql("SELECT last_error FROM webhook_inbox WHERE body = ? AND processed_at IS NULL")
                    .param(unreadable).query(String.class).list()).singleElement().asString().isNotBlank();
        });
        assertThat(timeline(api, b)).containsExactly("queued", "submitted", "delivered", "read");
    }

    @Test
    void appliesWaitingPayloadsOfManyMessagesTogetherEachInItsOrder() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            ids.add(submittedMessage("wamid.many-" + i));
        }
        UUID sender = UUID.fromString(api.get("/api/v1/senders").json().path(0).path("id").asString());
        // One payload per status, each about one message: twelve ordering groups of three, waiting together, which
        // the processor spreads over a few transactions without cutting a group's order. Every fourth message fails
        // after it was sent.
        transactions.executeWithoutResult(tx -> {
            for (String step : List.of("sent", "delivered", "read")) {
                for (int i = 0; i < 12; i++) {
                    boolean fails = i % 4 == 0 && !"sent".equals(step);
                    inbox.store(WhatsAppWebhookController.SOURCE, sender,
                            statuses(status("wamid.many-" + i, fails ? "failed" : step, fails ? 131026 : null)));
                }
            }
        });
        await().atMost(PATIENCE).untilAsserted(() -> {
            for (int i = 0; i < 12; i++) {
                assertThat(timeline(api, ids.get(i))).as("message %d", i).containsExactly(i % 4 == 0
                        ? new String[] {"queued", "submitted", "sent", "failed"}
                        : new String[] {"queued", "submitted", "sent", "delivered", "read"});
            }
        });
        assertThat(jdbc.sql("SELECT COUNT(*) FROM webhook_inbox WHERE body LIKE '%wamid.many-%' AND processed_at IS NULL")
                .query(Long.class).single()).isZero();
    }

    @Test
    void appliesAWebhookBeforeAnsweringItWhenNoEarlierOneWaits() {
        String id = submittedMessage("wamid.at-once");
        await().atMost(PATIENCE).until(processor::appliesOnArrival);

        postSigned(statuses(status("wamid.at-once", "delivered", null)));

        // No waiting: the 200 came after the status was applied, in the transaction that stored the payload.
        assertThat(timeline(api, id)).containsExactly("queued", "submitted", "delivered");
        assertThat(jdbc.sql("SELECT COUNT(*) FROM webhook_inbox WHERE body LIKE '%wamid.at-once%' AND processed_at IS NOT NULL")
                .query(Long.class).single()).isOne();
    }

    @Test
    void aWebhookThatComesWhileEarlierOnesWaitIsStoredBehindThemAndAppliedAfterThem() {
        String id = submittedMessage("wamid.behind");
        UUID sender = UUID.fromString(api.get("/api/v1/senders").json().path(0).path("id").asString());
        String unreadable = "{\"about\":\"wamid.behind\",";
        processor.stop();
        try {
            // A callback that cannot be applied as it comes is stored for the background, which is stopped here.
            processor.receive(sender, unreadable);
            assertThat(processor.appliesOnArrival()).isFalse();

            postSigned(statuses(status("wamid.behind", "delivered", null)));

            assertThat(timeline(api, id)).containsExactly("queued", "submitted");
            assertThat(jdbc.sql("SELECT COUNT(*) FROM webhook_inbox WHERE body LIKE '%wamid.behind%' AND processed_at IS NULL")
                    .query(Long.class).single()).isEqualTo(2);
        } finally {
            processor.start();
        }
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(timeline(api, id)).containsExactly("queued", "submitted", "delivered");
            assertThat(jdbc.sql("SELECT last_error FROM webhook_inbox WHERE body = ? AND processed_at IS NULL")
                    .param(unreadable).query(String.class).list()).singleElement().asString().isNotBlank();
        });
        // The unreadable one waits for its retry, which later callbacks may pass: they are applied as they come again.
        await().atMost(PATIENCE).until(processor::appliesOnArrival);
        postSigned(statuses(status("wamid.behind", "read", null)));
        assertThat(timeline(api, id)).containsExactly("queued", "submitted", "delivered", "read");
    }

    @Test
    void listsTheCallbacksThatKeepFailingWithTheirErrorTriesOneAgainAndGivesUpOneOnRequest() {
        UUID sender = UUID.fromString(api.get("/api/v1/senders").json().path(0).path("id").asString());
        String first = "{\"object\":\"whatsapp_business_account\",\"unreadable\":\"first\",";
        String second = "{\"object\":\"whatsapp_business_account\",\"unreadable\":\"second\",";
        inbox.store(WhatsAppWebhookController.SOURCE, sender, first);
        inbox.store(WhatsAppWebhookController.SOURCE, sender, second);
        // Other tests' unreadable payloads fail in the same database: these two are told apart by their bodies.
        Function<String, Optional<JsonNode>> listed = body -> api
                .allItems("/api/v1/failing-callbacks?source=whatsapp&limit=2").stream()
                .filter(item -> body.equals(item.path("body").asString())).findFirst();
        await().atMost(PATIENCE).until(() -> listed.apply(first).isPresent() && listed.apply(second).isPresent());

        JsonNode failing = listed.apply(first).orElseThrow();
        assertThat(failing.path("source").asString()).isEqualTo("whatsapp");
        assertThat(failing.path("senderId").asString()).isEqualTo(sender.toString());
        assertThat(failing.path("attempts").asInt()).isPositive();
        assertThat(failing.path("lastError").asString()).isNotBlank();
        assertThat(failing.path("nextAttemptAt").isString()).isTrue();
        // Oldest first, a page at a time.
        long firstId = failing.path("id").asLong();
        Api.Response page = api.get("/api/v1/failing-callbacks?limit=1&after=" + (firstId - 1));
        assertThat(Api.ids(page.json())).containsExactly(String.valueOf(firstId));
        assertThat(page.headers().get("link")).containsExactly("</api/v1/failing-callbacks?limit=1&after=" + firstId + ">; rel=\"next\"");
        assertThat(api.get("/api/v1/failing-callbacks?source=smpp").json().valueStream()
                .map(item -> item.path("body").asString())).doesNotContain(first, second);
        Supplier<Long> failingInDatabase = () -> jdbc.sql("SELECT COUNT(*) FROM webhook_inbox"
                + " WHERE channel = 'WHATSAPP' AND processed_at IS NULL AND last_error IS NOT NULL").query(Long.class).single();
        String gauge = "reach_callbacks_failing{source=\"whatsapp\"}";
        assertThat(api.metricsOnce(metrics -> metrics.getOrDefault(gauge, -1.0) == failingInDatabase.get().doubleValue()).get(gauge))
                .isGreaterThanOrEqualTo(2.0);

        Api.Response discarded = api.post("/api/v1/failing-callbacks/" + firstId + "/discard", "");
        assertThat(discarded.status()).as(discarded.body()).isEqualTo(204);

        assertThat(listed.apply(first)).isEmpty();
        assertThat(listed.apply(second)).isPresent();
        // Kept as a processed callback would be, with the error it last failed with; it is no longer tried.
        assertThat(jdbc.sql("SELECT COUNT(*) FROM webhook_inbox WHERE id = ? AND processed_at IS NOT NULL AND last_error IS NOT NULL")
                .param(firstId).query(Long.class).single()).isOne();
        Api.Response again = api.post("/api/v1/failing-callbacks/" + firstId + "/discard", "");
        assertThat(again.status()).isEqualTo(404);
        assertThat(again.json().path("error").asString()).isEqualTo("not_found");
        // Listed among those given up, with when, its error, and no next attempt.
        Function<String, Optional<JsonNode>> given = body -> api
                .allItems("/api/v1/failing-callbacks?source=whatsapp&discarded=true&limit=2").stream()
                .filter(item -> body.equals(item.path("body").asString())).findFirst();
        JsonNode givenUp = given.apply(first).orElseThrow();
        assertThat(givenUp.path("id").asLong()).isEqualTo(firstId);
        assertThat(givenUp.path("discardedAt").isString()).isTrue();
        assertThat(givenUp.path("lastError").asString()).isEqualTo(failing.path("lastError").asString());
        assertThat(givenUp.has("nextAttemptAt")).isFalse();
        assertThat(given.apply(second)).isEmpty();
        assertThat(failing.has("discardedAt")).isFalse();

        // Backed off for a day (as after many attempts), it is tried again at once when asked.
        long secondId = listed.apply(second).orElseThrow().path("id").asLong();
        jdbc.sql("UPDATE webhook_inbox SET next_attempt_at = ? WHERE id = ?")
                .params(OffsetDateTime.now(ZoneOffset.UTC).plusDays(1), secondId).update();
        int attemptsBefore = listed.apply(second).orElseThrow().path("attempts").asInt();
        Api.Response retried = api.post("/api/v1/failing-callbacks/" + secondId + "/retry", "");
        assertThat(retried.status()).as(retried.body()).isEqualTo(202);
        await().atMost(PATIENCE).until(() -> listed.apply(second).orElseThrow().path("attempts").asInt() > attemptsBefore);
        // A discarded one asked to be tried again comes back: it is tried (and fails again, as it cannot be read).
        int firstAttempts = givenUp.path("attempts").asInt();
        Api.Response broughtBack = api.post("/api/v1/failing-callbacks/" + firstId + "/retry", "");
        assertThat(broughtBack.status()).as(broughtBack.body()).isEqualTo(202);
        assertThat(given.apply(first)).isEmpty();
        await().atMost(PATIENCE).until(() -> listed.apply(first).map(item -> item.path("attempts").asInt() > firstAttempts).orElse(false));
        assertThat(listed.apply(first).orElseThrow().has("discardedAt")).isFalse();
        assertThat(api.post("/api/v1/failing-callbacks/" + firstId + "/discard", "").status()).isEqualTo(204);
        assertThat(given.apply(first)).isPresent();
        Api.Response neverFailed = api.post("/api/v1/failing-callbacks/" + Long.MAX_VALUE + "/retry", "");
        assertThat(neverFailed.status()).isEqualTo(404);
        assertThat(neverFailed.json().path("message").asString()).contains("failed or was discarded");

        // One a processor (of this node or another) has in hand cannot be given up until that attempt is over.
        jdbc.sql("UPDATE webhook_inbox SET lease_until = ? WHERE id = ?")
                .params(OffsetDateTime.now(ZoneOffset.UTC).plusMinutes(10), secondId).update();
        Api.Response inHand = api.post("/api/v1/failing-callbacks/" + secondId + "/discard", "");
        assertThat(inHand.status()).isEqualTo(409);
        assertThat(api.post("/api/v1/failing-callbacks/" + secondId + "/retry", "").status()).isEqualTo(409);
        jdbc.sql("UPDATE webhook_inbox SET lease_until = NULL WHERE id = ?").param(secondId).update();
        assertThat(api.post("/api/v1/failing-callbacks/" + secondId + "/discard", "").status()).isEqualTo(204);
        assertThat(api.metricsOnce(metrics -> metrics.getOrDefault(gauge, -1.0) == failingInDatabase.get().doubleValue()).get(gauge))
                .isEqualTo(failingInDatabase.get().doubleValue());

        assertThat(api.get("/api/v1/failing-callbacks?source=fax").status()).isEqualTo(400);
        assertThat(api.get("/api/v1/failing-callbacks?limit=0").status()).isEqualTo(400);
        assertThat(api.get("/api/v1/failing-callbacks?after=x").status()).isEqualTo(400);
    }

    @Test
    void countsTheMessagesThatReachEachStatusPerChannelOnceTheirTimelinesHaveThem() {
        // This test's dispatcher sends nothing: every timeline entry below is one this test makes.
        Function<String, Double> count = status -> api.metrics()
                .getOrDefault("reach_messages_statuses_total{channel=\"whatsapp\",status=\"" + status + "\"}", -1.0);
        Map<String, Double> before = new HashMap<>();
        for (String status : List.of("queued", "submitted", "sent", "delivered", "read", "failed")) {
            before.put(status, count.apply(status));
            assertThat(before.get(status)).as(status).isGreaterThanOrEqualTo(0.0);
        }
        String read = submittedMessage("wamid.counted-read");
        String failed = submittedMessage("wamid.counted-failed");
        await().atMost(PATIENCE).until(processor::appliesOnArrival);

        // Read without delivered (an inferred delivery counts), a failure, and a status already recorded (no entry).
        postSigned(statuses(status("wamid.counted-read", "read", null), status("wamid.counted-failed", "failed", 131026)));
        postSigned(statuses(status("wamid.counted-read", "read", null)));

        assertThat(timeline(api, read)).containsExactly("queued", "submitted", "read", "delivered(inferred)");
        assertThat(timeline(api, failed)).containsExactly("queued", "submitted", "failed");
        Map<String, Double> added = Map.of("queued", 2.0, "submitted", 2.0, "sent", 0.0, "delivered", 1.0, "read", 1.0,
                "failed", 1.0);
        added.forEach((status, more) -> assertThat(count.apply(status) - before.get(status)).as(status).isEqualTo(more));
        assertThat(api.metrics()).containsKey("reach_messages_statuses_total{channel=\"sms\",status=\"delivered\"}");
    }

    @Test
    void keepsAStatusForAnUnknownMessageAndMatchesItWhenTheMessageAppears() {
        postSigned(statuses(status("wamid.not-yet-known", "delivered", null)));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(api.get("/api/v1/unmatched-statuses").json().toString())
                .contains("wamid.not-yet-known"));

        String id = submittedMessage("wamid.not-yet-known");

        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(timeline(api, id)).containsExactly("queued", "submitted", "delivered"));
    }

    @Test
    void theSweepMatchesAStatusWhoseMessageAppearedSinceButNoLongerOneReceivedOverAnHourAgo() {
        postSigned(statuses(status("wamid.swept", "delivered", null), status("wamid.swept-too-late", "delivered", null)));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(api.get("/api/v1/unmatched-statuses").json().toString())
                .contains("\"wamid.swept\"", "\"wamid.swept-too-late\""));
        // As a status of a message Reach never sent (another app's on the same number) is by then.
        jdbc.sql("UPDATE unmatched_statuses SET received_at = ? WHERE provider_message_id = 'wamid.swept-too-late'")
                .param(OffsetDateTime.now(ZoneOffset.UTC).minus(Messages.UNMATCHED_SWEPT_FOR).minusMinutes(1))
                .update();
        // Both messages appear without the recording of Meta's answer (which matches what came before it itself), as
        // when a status is stored while that recording runs; the late one first, so that a sweep that sees the first
        // also sees it.
        String late = queuedMessage();
        String swept = queuedMessage();
        jdbc.sql("UPDATE messages SET provider_message_id = 'wamid.swept-too-late' WHERE id = ?").param(UUID.fromString(late)).update();
        jdbc.sql("UPDATE messages SET provider_message_id = 'wamid.swept' WHERE id = ?").param(UUID.fromString(swept)).update();

        await().atMost(PATIENCE).untilAsserted(() -> assertThat(timeline(api, swept)).contains("delivered"));
        assertThat(timeline(api, late)).containsExactly("queued");
        // It is still listed, unmatched, for inspection; and the recording of an answer still matches it.
        assertThat(api.get("/api/v1/unmatched-statuses").json().toString()).contains("wamid.swept-too-late");
        messages.recordSubmitted(UUID.fromString(late), "wamid.swept-too-late");
        assertThat(timeline(api, late)).containsExactly("queued", "submitted", "delivered");
    }

    @Test
    void matchesAStatusThatOutrunsTheSendAnswerByReachsOwnIdAndInfersSubmitted() {
        String id = queuedMessage();

        postSigned(statuses("{\"id\":\"wamid.early\",\"status\":\"sent\",\"timestamp\":\"1763700000\","
                + "\"recipient_id\":\"31612340000\",\"biz_opaque_callback_data\":\"" + id + "\"}"));

        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(timeline(api, id)).containsExactly("queued", "submitted(inferred)", "sent"));
        messages.recordSubmitted(UUID.fromString(id), "wamid.early");
        assertThat(timeline(api, id)).containsExactly("queued", "submitted(inferred)", "sent");
        assertThat(api.get("/api/v1/messages/" + id).json().path("providerMessageId").asString()).isEqualTo("wamid.early");
    }

    @Test
    void storesInboundTextButtonAndInteractiveRepliesAgainstTheContactAndTheMessageTheyAnswer() {
        String id = submittedMessage("wamid.asked");
        String from = api.get("/api/v1/messages/" + id).json().path("recipient").asString().substring(1);
        String contactId = api.get("/api/v1/messages/" + id).json().path("contactId").asString();

        postSigned(inbound("{\"from\":\"" + from + "\",\"id\":\"wamid.in-1\",\"timestamp\":\"1763700001\",\"type\":\"button\","
                + "\"button\":{\"payload\":\"YES\",\"text\":\"Yes\"},\"context\":{\"from\":\"15550100002\",\"id\":\"wamid.asked\"}}", from));
        postSigned(inbound("{\"from\":\"" + from + "\",\"id\":\"wamid.in-2\",\"timestamp\":\"1763700002\",\"type\":\"interactive\","
                + "\"interactive\":{\"type\":\"button_reply\",\"button_reply\":{\"id\":\"confirm\",\"title\":\"Confirm\"}},"
                + "\"context\":{\"from\":\"15550100002\",\"id\":\"wamid.asked\"}}", from));
        postSigned(inbound("{\"from\":\"" + from + "\",\"id\":\"wamid.in-3\",\"timestamp\":\"1763700003\",\"type\":\"interactive\","
                + "\"interactive\":{\"type\":\"list_reply\",\"list_reply\":{\"id\":\"slot-2\",\"title\":\"Tuesday\",\"description\":\"9-12\"}}}", from));
        postSigned(inbound("{\"from\":\"" + from + "\",\"id\":\"wamid.in-4\",\"timestamp\":\"1763700004\",\"type\":\"text\","
                + "\"text\":{\"body\":\"See you then\"}}", from));
        // Meta redelivers: the same inbound message is stored once.
        postSigned(inbound("{\"from\":\"" + from + "\",\"id\":\"wamid.in-4\",\"timestamp\":\"1763700004\",\"type\":\"text\","
                + "\"text\":{\"body\":\"See you then\"}}", from));

        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(api.get("/api/v1/inbound-messages?contactId=" + contactId).json()).hasSize(4));
        JsonNode replies = api.get("/api/v1/messages/" + id).json().path("replies");
        assertThat(replies).hasSize(2);
        assertThat(replies.path(0).path("type").asString()).isEqualTo("button");
        assertThat(replies.path(0).path("replyPayload").asString()).isEqualTo("YES");
        assertThat(replies.path(1).path("type").asString()).isEqualTo("button_reply");
        assertThat(replies.path(1).path("replyPayload").asString()).isEqualTo("confirm");
        JsonNode all = api.get("/api/v1/inbound-messages?contactId=" + contactId).json();
        assertThat(all.path(0).path("text").asString()).isEqualTo("See you then");
        assertThat(all.path(1).path("type").asString()).isEqualTo("list_reply");
        assertThat(all.path(1).path("replyPayload").asString()).isEqualTo("slot-2");
    }

    @Test
    void aReplyWithoutTheSendersNumberIsTheContactsOfTheMessageItQuotesAndOneThatQuotesNoneIsLeftOut() {
        String id = submittedMessage("wamid.asked-username");
        String contactId = api.get("/api/v1/messages/" + id).json().path("contactId").asString();

        // Meta withholds the number of a WhatsApp user who took a username: no "from", no wa_id.
        postSigned(envelope("\"contacts\":[{\"profile\":{\"name\":\"Kerry\"}}],\"messages\":["
                + "{\"id\":\"wamid.username-1\",\"timestamp\":\"1763700001\",\"type\":\"button\","
                + "\"button\":{\"payload\":\"YES\",\"text\":\"Yes\"},\"context\":{\"id\":\"wamid.asked-username\"}},"
                + "{\"id\":\"wamid.username-2\",\"timestamp\":\"1763700002\",\"type\":\"text\","
                + "\"text\":{\"body\":\"whose is this\"}}]"));

        await().atMost(PATIENCE).untilAsserted(() -> assertThat(api.get("/api/v1/messages/" + id).json().path("replies")
                .valueStream().map(reply -> reply.path("replyPayload").asString())).containsExactly("YES"));
        assertThat(api.get("/api/v1/inbound-messages?contactId=" + contactId).json().valueStream()
                .map(reply -> reply.path("providerMessageId").asString())).containsExactly("wamid.username-1");
        // Applied, the webhook holds nothing back: the message no one can be told of is left out, not retried.
        await().atMost(PATIENCE).until(() -> jdbc.sql("SELECT COUNT(*) FROM webhook_inbox WHERE processed_at IS NULL"
                + " AND body LIKE '%wamid.username-2%'").query(Long.class).single() == 0);
        assertThat(api.get("/api/v1/inbound-messages?limit=1000").body()).doesNotContain("whose is this");
    }

    @Test
    void aMessageOrAMarketingStopWithoutTheNumberIsTheContactsWhoseUserIdCameBesideItsNumberUntilTheNumberChanges() {
        String id = submittedMessage("wamid.asked-user-id");
        String contactId = api.get("/api/v1/messages/" + id).json().path("contactId").asString();
        setMarketing(contactId, true);
        String userId = "NL." + (3_000_000_000_000L + NUMBERS.incrementAndGet());
        // Meta names the user by its business-scoped id in the statuses of a message sent to its number.
        postSigned(statuses(status("wamid.asked-user-id", "delivered", null).replaceFirst("}$",
                ",\"recipient_user_id\":\"" + userId + "\"}")));
        await().atMost(PATIENCE).until(() -> "delivered".equals(api.get("/api/v1/messages/" + id).json().path("status").asString()));

        // The user took a username: what it writes comes without its number, named by that id alone.
        postSigned(typedByUser(userId, "wamid.user-id-1", "typed under a username"));
        postSigned(typedByUser("NL.4000000000001", "wamid.user-id-2", "typed by a user Reach never wrote to"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(api.get("/api/v1/inbound-messages?contactId=" + contactId)
                .json().valueStream().map(reply -> reply.path("text").asString())).containsExactly("typed under a username"));
        await().atMost(PATIENCE).until(() -> jdbc.sql("SELECT COUNT(*) FROM webhook_inbox WHERE processed_at IS NULL"
                + " AND body LIKE '%wamid.user-id-2%'").query(Long.class).single() == 0);
        assertThat(api.get("/api/v1/inbound-messages?limit=1000").body()).doesNotContain("typed by a user Reach never wrote to");
        // Its "Stop promotions", named by the id alone, withdraws the contact's marketing consent.
        postSigned(userPreferences("{\"user_id\":\"" + userId + "\",\"detail\":\"User requested to stop marketing"
                + " messages\",\"category\":\"marketing_messages\",\"value\":\"stop\",\"timestamp\":1765065600}"));
        await().atMost(PATIENCE).until(() -> !marketing(contactId));
        assertThat(api.get("/api/v1/contacts/" + contactId + "/export").json().path("whatsAppUserIds").path(0)
                .path("userId").asString()).isEqualTo(userId);

        // A number changed in Reach is another WhatsApp user's (Meta gives a number's user an id of its own): the old
        // number's id is no longer the contact's, not even once a late status of the message to it names it again.
        String otherNumber = "+3161234" + String.format("%04d", NUMBERS.incrementAndGet());
        Api.Response changed = api.patch("/api/v1/contacts/" + contactId, Map.of("phone", otherNumber));
        assertThat(changed.status()).as(changed.body()).isEqualTo(200);
        postSigned(statuses(status("wamid.asked-user-id", "read", null).replaceFirst("}$",
                ",\"recipient_user_id\":\"" + userId + "\"}")));
        await().atMost(PATIENCE).until(() -> "read".equals(api.get("/api/v1/messages/" + id).json().path("status").asString()));
        postSigned(typedByUser(userId, "wamid.user-id-3", "typed after the number changed"));
        await().atMost(PATIENCE).until(() -> jdbc.sql("SELECT COUNT(*) FROM webhook_inbox WHERE processed_at IS NULL"
                + " AND body LIKE '%wamid.user-id-3%'").query(Long.class).single() == 0);
        assertThat(api.get("/api/v1/inbound-messages?limit=1000").body()).doesNotContain("typed after the number changed");
        assertThat(api.get("/api/v1/contacts/" + contactId + "/export").json().path("whatsAppUserIds").isEmpty()).isTrue();
    }

    /** A text from a WhatsApp user who took a username: Meta names it by its business-scoped id, without its number. */
    private static String typedByUser(String userId, String wamid, String text) {
        return envelope("\"contacts\":[{\"profile\":{\"name\":\"Kerry\",\"username\":\"@kerry\"},\"user_id\":\"" + userId
                + "\"}],\"messages\":[{\"from_user_id\":\"" + userId + "\",\"id\":\"" + wamid + "\",\"timestamp\":\"1763700001\","
                + "\"type\":\"text\",\"text\":{\"body\":\"" + text + "\"}}]");
    }

    @Test
    void aTypedStopOptsTheContactOutAndWithdrawsItsQueuedMessageAndAStartOptsItBackIn() {
        String queued = queuedMessage();
        JsonNode message = api.get("/api/v1/messages/" + queued).json();
        String from = message.path("recipient").asString().substring(1);
        String contact = message.path("contactId").asString();
        // A button's payload is the business's word: a quick reply called STOP opts nobody out.
        postSigned(inbound("{\"from\":\"" + from + "\",\"id\":\"wamid.stop-button\",\"timestamp\":\"1763700001\","
                + "\"type\":\"button\",\"button\":{\"payload\":\"STOP\",\"text\":\"STOP\"}}", from));
        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(api.get("/api/v1/inbound-messages?contactId=" + contact).json()).hasSize(1));
        assertThat(api.get("/api/v1/contacts/" + contact).json().path("optedOut").asBoolean()).isFalse();

        postSigned(inbound("{\"from\":\"" + from + "\",\"id\":\"wamid.stop\",\"timestamp\":\"1763700002\",\"type\":\"text\","
                + "\"text\":{\"body\":\"unsubscribe\"}}", from));

        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(api.get("/api/v1/messages/" + queued).json().path("status").asString()).isEqualTo("blocked"));
        assertThat(api.get("/api/v1/contacts/" + contact).json().path("optedOut").asBoolean()).isTrue();
        assertThat(api.get("/api/v1/messages/" + queued).json().path("blockedReason").asString()).startsWith("opted out");

        postSigned(inbound("{\"from\":\"" + from + "\",\"id\":\"wamid.start\",\"timestamp\":\"1763700003\",\"type\":\"text\","
                + "\"text\":{\"body\":\"Start\"}}", from));

        await().atMost(PATIENCE).until(() -> !api.get("/api/v1/contacts/" + contact).json().path("optedOut").asBoolean());
        Api.Response again = Fixtures.sendOrder(api, "webhook-test", "order_ready_hooks", "+" + from);
        assertThat(again.status()).as(again.body()).isEqualTo(202);
    }

    @Test
    void aContactsNewNumberWithdrawsTheMessagesQueuedForTheOldOne() {
        String queued = queuedMessage();
        String stays = queuedMessage();
        String contact = api.get("/api/v1/messages/" + queued).json().path("contactId").asString();
        String other = api.get("/api/v1/messages/" + stays).json().path("contactId").asString();

        assertThat(api.patch("/api/v1/contacts/" + contact, Map.of("phone", "+31612399901")).status()).isEqualTo(200);
        assertThat(api.patch("/api/v1/contacts/" + other, Map.of("attributes", Map.of("city", "Delft"))).status()).isEqualTo(200);

        JsonNode withdrawn = api.get("/api/v1/messages/" + queued).json();
        assertThat(withdrawn.path("status").asString()).isEqualTo("blocked");
        assertThat(withdrawn.path("blockedReason").asString()).isEqualTo(Recipients.NUMBER_CHANGED);
        assertThat(api.get("/api/v1/messages/" + stays).json().path("status").asString()).isEqualTo("queued");
    }

    @Test
    void sandboxHandsetsCannotWriteWhereTheSandboxDoesNotRun() {
        Api.Response response = api.post("/api/v1/sandbox/inbound-messages", Map.of("from", "+31612349999", "text", "Hi"));

        assertThat(response.status()).isEqualTo(409);
        assertThat(response.json().path("error").asString()).isEqualTo("sandbox_off");
    }

    @Test
    void anInboundMessageFromAnUnknownNumberCreatesAContactWithoutConsent() {
        postSigned(inbound("{\"from\":\"4915112345678\",\"id\":\"wamid.stranger\",\"timestamp\":\"1763700001\",\"type\":\"text\","
                + "\"text\":{\"body\":\"Hallo\"}}", "4915112345678"));

        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(api.get("/api/v1/contacts?phone=%2B4915112345678").json()).hasSize(1));
        JsonNode contact = api.get("/api/v1/contacts?phone=%2B4915112345678").json().path(0);
        assertThat(contact.path("consent").path("marketing").asBoolean()).isFalse();
        assertThat(contact.path("timeZone").asString()).isEqualTo("Europe/Berlin");
    }

    @Test
    void pagesACampaignsMessagesNewestFirstThroughTheLinkHeader() {
        String campaign = "pickup & more " + NUMBERS.incrementAndGet();
        List<String> sent = new ArrayList<>();
        List<String> others = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            String phone = "+3161234" + String.format("%04d", NUMBERS.incrementAndGet());
            Fixtures.consentingContact(api, phone);
            Api.Response response = api.post("/api/v1/messages/whatsapp", Map.of("sender", "webhook-test", "to", phone,
                    "template", "order_ready_hooks", "language", "en_US", "headerParameters", List.of("A-17"),
                    "bodyParameters", List.of("Anna", "A-17"), "campaignId", campaign));
            assertThat(response.status()).as(response.body()).isEqualTo(202);
            sent.add(response.json().path("messageId").asString());
            others.add(queuedMessage());
        }

        List<String> campaignPages = api.followPages("/api/v1/messages?limit=3&campaignId="
                + Pages.encoded(campaign)).stream().flatMap(page -> Api.ids(page).stream()).toList();
        List<String> allPages = api.followPages("/api/v1/messages?limit=4").stream()
                .flatMap(page -> Api.ids(page).stream()).toList();

        assertThat(campaignPages).containsExactlyElementsOf(sent.reversed());
        List<String> both = new ArrayList<>();
        for (int i = sent.size() - 1; i >= 0; i--) {
            both.add(others.get(i));
            both.add(sent.get(i));
        }
        assertThat(allPages).doesNotHaveDuplicates().containsSubsequence(both);
        assertThat(api.get("/api/v1/messages?campaignId=" + Pages.encoded(campaign) + "&after=" + others.get(2))
                .status()).as("a message of another campaign").isEqualTo(400);
        assertThat(api.get("/api/v1/messages?after=" + sent.get(2) + "&offset=1").status()).isEqualTo(400);
        assertThat(api.get("/api/v1/messages?after=not-an-id").status()).isEqualTo(400);
    }

    @Test
    void listsACampaignsMessagesWithOneStatusNowPageByPage() {
        String campaign = "status filter " + NUMBERS.incrementAndGet();
        List<String> failed = new ArrayList<>();
        List<String> queued = new ArrayList<>();
        String optedOut = "+3161234" + String.format("%04d", NUMBERS.incrementAndGet());
        Fixtures.contact(api, optedOut, Map.of("utility", true), true);
        String blocked = campaignMessage(optedOut, campaign);
        for (int i = 0; i < 3; i++) {
            queued.add(campaignMessage(null, campaign));
            String wamid = "wamid.status-filter-" + NUMBERS.incrementAndGet();
            String id = campaignMessage(null, campaign);
            messages.recordSubmitted(UUID.fromString(id), wamid);
            postSigned(statuses(status(wamid, "failed", 131026)));
            failed.add(id);
        }
        await().atMost(PATIENCE).until(() -> failed.stream().allMatch(id ->
                "failed".equals(api.get("/api/v1/messages/" + id).json().path("status").asString())));
        String of = "/api/v1/messages?campaignId=" + Pages.encoded(campaign);

        assertThat(api.followPages(of + "&status=failed&limit=2").stream().flatMap(page -> Api.ids(page).stream()))
                .containsExactlyElementsOf(failed.reversed());
        assertThat(api.get(of + "&status=failed&limit=2").headers().get("Link").getFirst()).contains("&status=failed");
        assertThat(Api.ids(api.get(of + "&status=QUEUED").json())).containsExactlyElementsOf(queued.reversed());
        assertThat(Api.ids(api.get(of + "&status=blocked").json())).containsExactly(blocked);
        assertThat(api.get(of + "&status=read").json().isEmpty()).isTrue();
        String contact = api.get("/api/v1/messages/" + blocked).json().path("contactId").asString();
        assertThat(Api.ids(api.get("/api/v1/messages?contactId=" + contact + "&status=blocked").json())).containsExactly(blocked);

        Api.Response unknown = api.get(of + "&status=lost");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().path("message").asString())
                .isEqualTo("status: must be one of queued, blocked, submitted, sent, failed, delivered, read");
        Api.Response everyMessage = api.get("/api/v1/messages?status=failed");
        assertThat(everyMessage.status()).isEqualTo(400);
        assertThat(everyMessage.json().path("details").path(0).path("field").asString()).isEqualTo("status");
    }

    /** A message of the campaign to a new contact (or to {@code phone}), queued: this test's dispatcher sends nothing. */
    private String campaignMessage(String phone, String campaign) {
        String to = phone;
        if (to == null) {
            to = "+3161234" + String.format("%04d", NUMBERS.incrementAndGet());
            Fixtures.consentingContact(api, to);
        }
        Api.Response sent = api.post("/api/v1/messages/whatsapp", Map.of("sender", "webhook-test", "to", to,
                "template", "order_ready_hooks", "language", "en_US", "headerParameters", List.of("A-17"),
                "bodyParameters", List.of("Anna", "A-17"), "campaignId", campaign));
        assertThat(sent.status()).as(sent.body()).isIn(200, 202);
        return sent.json().path("messageId").asString();
    }

    @Test
    void showsAContactsConversationWithASenderAndWhetherItsWindowIsOpen() {
        String digits = "3161236" + String.format("%04d", NUMBERS.incrementAndGet());
        long writtenAt = Instant.now().getEpochSecond() - 60;
        postSigned(inbound("{\"from\":\"" + digits + "\",\"id\":\"wamid.thread-" + digits + "\",\"timestamp\":\""
                + writtenAt + "\",\"type\":\"text\",\"text\":{\"body\":\"Is my order ready?\"}}", digits));
        await().atMost(PATIENCE).until(() -> !api.get("/api/v1/contacts?phone=%2B" + digits).json().isEmpty());
        String contact = api.get("/api/v1/contacts?phone=%2B" + digits).json().path(0).path("id").asString();
        assertThat(api.patch("/api/v1/contacts/" + contact, Map.of("consent", Map.of("utility", true))).status())
                .isEqualTo(200);
        Api.Response sent = Fixtures.sendOrder(api, "webhook-test", "order_ready_hooks", "+" + digits);
        assertThat(sent.status()).as(sent.body()).isEqualTo(202);

        JsonNode thread = api.get("/api/v1/contacts/" + contact + "/conversation?sender=webhook-test").json();
        assertThat(thread.path("sender").asString()).isEqualTo("webhook-test");
        assertThat(thread.path("channel").asString()).isEqualTo("whatsapp");
        assertThat(thread.path("windowOpen").asBoolean()).isTrue();
        assertThat(thread.path("windowOpenUntil").asString())
                .isEqualTo(Instant.ofEpochSecond(writtenAt).plus(Duration.ofHours(24)).toString());
        assertThat(thread.path("messages").valueStream().map(m -> m.path("direction").asString() + " "
                + m.path("text").asString())).containsExactly(
                "outbound Order A-17\n\nHi Anna, your order A-17 is ready.",
                "inbound Is my order ready?");
        assertThat(thread.path("messages").path(0).path("status").asString()).isEqualTo("queued");
        assertThat(thread.path("messages").path(0).path("template").asString()).isEqualTo("order_ready_hooks");
        assertThat(api.get("/api/v1/contacts/" + contact + "/conversation?sender=webhook-test&limit=1").json()
                .path("messages").size()).isOne();

        // One who wrote long ago: the window is closed.
        String old = "3161236" + String.format("%04d", NUMBERS.incrementAndGet());
        postSigned(inbound("{\"from\":\"" + old + "\",\"id\":\"wamid.thread-" + old + "\",\"timestamp\":\"1763700001\","
                + "\"type\":\"text\",\"text\":{\"body\":\"Hello\"}}", old));
        await().atMost(PATIENCE).until(() -> !api.get("/api/v1/contacts?phone=%2B" + old).json().isEmpty());
        String oldContact = api.get("/api/v1/contacts?phone=%2B" + old).json().path(0).path("id").asString();
        JsonNode closed = api.get("/api/v1/contacts/" + oldContact + "/conversation?sender=webhook-test").json();
        assertThat(closed.path("windowOpen").asBoolean()).isFalse();
        assertThat(closed.has("windowOpenUntil")).isFalse();
        assertThat(closed.path("messages").size()).isOne();
        // Meta's notice that the user changed its number is kept with the conversation, but the contact wrote nothing:
        // the window stays closed and the contact is not made active.
        String changedTo = "3161236" + String.format("%04d", NUMBERS.incrementAndGet());
        postSigned(envelope("\"messages\":[{\"from\":\"" + old + "\",\"id\":\"wamid.notice-" + old + "\",\"timestamp\":\""
                + Instant.now().getEpochSecond() + "\",\"type\":\"system\",\"system\":{\"body\":\"User changed from " + old
                + " to " + changedTo + "\",\"wa_id\":\"" + changedTo + "\",\"type\":\"user_changed_number\"}}]"));
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/contacts/" + oldContact + "/conversation?sender=webhook-test")
                .json().path("messages").size() == 2);
        JsonNode noticed = api.get("/api/v1/contacts/" + oldContact + "/conversation?sender=webhook-test").json();
        assertThat(noticed.path("messages").path(0).path("type").asString()).isEqualTo("system");
        assertThat(noticed.path("messages").path(0).path("text").asString()).isEqualTo("User changed from " + old + " to " + changedTo);
        assertThat(noticed.path("windowOpen").asBoolean()).isFalse();
        assertThat(api.get("/api/v1/contacts/" + oldContact).json().path("lastActiveAt").asString())
                .isEqualTo(Instant.ofEpochSecond(1763700001).toString());

        assertThat(api.get("/api/v1/contacts/" + contact + "/conversation").status()).isEqualTo(400);
        assertThat(api.get("/api/v1/contacts/" + contact + "/conversation?sender=nobody").status()).isEqualTo(404);
        assertThat(api.get("/api/v1/contacts/" + contact + "/conversation?sender=webhook-test&limit=101").status())
                .isEqualTo(400);
        assertThat(api.get("/api/v1/contacts/" + UUID.randomUUID() + "/conversation?sender=webhook-test").status())
                .isEqualTo(404);
    }

    @Test
    void pagesAConversationThroughTheLinkHeaderWithNoMessageMissedOrRepeatedWhereTimesAreEqual() {
        String digits = "3161237" + String.format("%04d", NUMBERS.incrementAndGet());
        Fixtures.consentingContact(api, "+" + digits);
        String contact = api.get("/api/v1/contacts?phone=%2B" + digits).json().path(0).path("id").asString();
        long t0 = 1763800000;
        // Sent and written at the same instants (Meta's times are whole seconds), the ids of those written falling
        // between those of the messages sent before and after them.
        sentAt(digits, t0);
        sentAt(digits, t0 + 2);
        sentAt(digits, t0 + 2);
        long[] writtenAt = {t0 + 1, t0 + 2, t0 + 2, t0 + 2};
        for (int i = 0; i < writtenAt.length; i++) {
            postSigned(inbound("{\"from\":\"" + digits + "\",\"id\":\"wamid.talk-" + digits + "-" + i + "\",\"timestamp\":\""
                    + writtenAt[i] + "\",\"type\":\"text\",\"text\":{\"body\":\"in " + i + "\"}}", digits));
        }
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/inbound-messages?contactId=" + contact).json().size()
                == writtenAt.length);
        sentAt(digits, t0 + 2);
        sentAt(digits, t0 + 2);
        sentAt(digits, t0 + 3);
        String path = "/api/v1/contacts/" + contact + "/conversation?sender=webhook-test";

        List<JsonNode> whole = api.get(path + "&limit=100").json().path("messages").valueStream().toList();
        assertThat(whole).hasSize(writtenAt.length + 6);
        assertThat(whole.stream().map(m -> Instant.parse(m.path("at").asString())).toList())
                .isSortedAccordingTo(Comparator.reverseOrder());
        List<String> ids = whole.stream().map(m -> m.path("id").asString()).toList();
        assertThat(ids).doesNotHaveDuplicates();
        for (int limit : new int[] {1, 2, 3, 4}) {
            List<String> paged = api.followPages(path + "&limit=" + limit).stream()
                    .flatMap(page -> page.path("messages").valueStream()).map(m -> m.path("id").asString()).toList();
            assertThat(paged).as("pages of " + limit).isEqualTo(ids);
        }

        Api.Response notOfIt = api.get(path + "&after=" + campaignMessage(null, "talk"));
        assertThat(notOfIt.status()).as(notOfIt.body()).isEqualTo(400);
        assertThat(notOfIt.json().path("details").path(0).path("field").asString()).isEqualTo("after");
        assertThat(api.get(path + "&after=" + UUID.randomUUID()).status()).isEqualTo(400);
    }

    /** A message of the conversation with {@code digits}, made at {@code epochSecond}. */
    private void sentAt(String digits, long epochSecond) {
        String id = campaignMessage("+" + digits, "talk");
        jdbc.sql("UPDATE messages SET created_at = ? WHERE id = ?").params(OffsetDateTime.ofInstant(
                Instant.ofEpochSecond(epochSecond), ZoneOffset.UTC), UUID.fromString(id)).update();
    }

    @Test
    void pagesInboundMessagesNewestFirstThroughTheLinkHeader() {
        String from = "3161235" + String.format("%04d", NUMBERS.incrementAndGet());
        for (int i = 1; i <= 5; i++) {
            postSigned(inbound("{\"from\":\"" + from + "\",\"id\":\"wamid.paged-" + from + "-" + i + "\",\"timestamp\":\""
                    + (1763700000 + i) + "\",\"type\":\"text\",\"text\":{\"body\":\"note " + i + "\"}}", from));
        }
        String contact = api.get("/api/v1/contacts?phone=%2B" + from).json().path(0).path("id").asString();

        List<String> ofContact = api.followPages("/api/v1/inbound-messages?limit=2&contactId=" + contact).stream()
                .flatMap(page -> page.valueStream().map(m -> m.path("text").asString())).toList();
        List<String> all = api.followPages("/api/v1/inbound-messages?limit=3").stream()
                .flatMap(page -> page.valueStream().map(m -> m.path("text").asString())).toList();

        assertThat(ofContact).containsExactly("note 5", "note 4", "note 3", "note 2", "note 1");
        assertThat(all).doesNotHaveDuplicates().containsSubsequence("note 5", "note 4", "note 3", "note 2", "note 1");
        String other = api.get("/api/v1/inbound-messages?limit=1").json().path(0).path("id").asString();
        assertThat(api.get("/api/v1/inbound-messages?contactId=" + UUID.randomUUID() + "&after=" + other).status())
                .as("an inbound message of another contact").isEqualTo(400);
    }

    private String queuedMessage() {
        String phone = "+3161234" + String.format("%04d", NUMBERS.incrementAndGet());
        Fixtures.consentingContact(api, phone);
        Api.Response sent = Fixtures.sendOrder(api, "webhook-test", "order_ready_hooks", phone);
        assertThat(sent.status()).as(sent.body()).isEqualTo(202);
        return sent.json().path("messageId").asString();
    }

    private String submittedMessage(String wamid) {
        String id = queuedMessage();
        messages.recordSubmitted(UUID.fromString(id), wamid);
        return id;
    }

    @Test
    void aTemplateFollowsMetasReviewSoThatAPausedOneIsBlockedBeforeMetaRefusesIt() {
        Fixtures.orderTemplate(api, "reviewed_hooks");
        String phone = "+3161234" + String.format("%04d", NUMBERS.incrementAndGet());
        Fixtures.consentingContact(api, phone);
        // Queued before Meta's review (this test's dispatcher sends nothing).
        String queued = Fixtures.sendOrder(api, "webhook-test", "reviewed_hooks", phone).json().path("messageId").asString();

        postSigned(templateReview("PAUSED", "reviewed_hooks", "en_US", "Low quality rating"));
        await().atMost(PATIENCE).until(() -> "PAUSED".equals(templateStatus("reviewed_hooks")));
        JsonNode withdrawn = api.get("/api/v1/messages/" + queued).json();
        assertThat(withdrawn.path("status").asString()).isEqualTo("blocked");
        assertThat(withdrawn.path("blockedReason").asString()).isEqualTo("template not approved: reviewed_hooks (en_US) is PAUSED");
        Api.Response paused = Fixtures.sendOrder(api, "webhook-test", "reviewed_hooks", phone);
        assertThat(paused.json().path("status").asString()).isEqualTo("blocked");
        assertThat(paused.json().path("blockedReason").asString()).isEqualTo("template not approved: reviewed_hooks (en_US) is PAUSED");

        // Events that change no status, and templates Reach does not know, are taken and change nothing.
        postSigned(templateReview("FLAGGED", "reviewed_hooks", "en_US", "NONE"));
        postSigned(templateReview("APPROVED", "never_registered", "en_US", "NONE"));
        postSigned(templateReview("UNARCHIVED", "reviewed_hooks", "en_US", "NONE"));
        await().atMost(PATIENCE).until(() -> "APPROVED".equals(templateStatus("reviewed_hooks")));
        assertThat(Fixtures.sendOrder(api, "webhook-test", "reviewed_hooks", phone).json().path("status").asString())
                .isEqualTo("queued");
        assertThat(api.get("/api/v1/templates?limit=1000").json().valueStream()
                .noneMatch(template -> "never_registered".equals(template.path("name").asString()))).isTrue();
    }

    @Test
    void aTemplatePausedByHandHasItsQueuedMessagesWithdrawnAsMetasPauseDoes() {
        // Paused by hand as Meta would pause it: what is queued would each be refused by Meta, and is withdrawn.
        String template = "paused_by_hand_" + NUMBERS.incrementAndGet();
        Fixtures.orderTemplate(api, template);
        String phone = "+3161234" + String.format("%04d", NUMBERS.incrementAndGet());
        Fixtures.consentingContact(api, phone);
        // Queued (this test's dispatcher sends nothing).
        String queued = Fixtures.sendOrder(api, "webhook-test", template, phone).json().path("messageId").asString();
        String id = api.get("/api/v1/templates?name=" + template).json().path(0).path("id").asString();

        Api.Response paused = api.patch("/api/v1/templates/" + id, Map.of("status", "PAUSED"));

        assertThat(paused.status()).as(paused.body()).isEqualTo(200);
        JsonNode withdrawn = api.get("/api/v1/messages/" + queued).json();
        assertThat(withdrawn.path("status").asString()).isEqualTo("blocked");
        assertThat(withdrawn.path("blockedReason").asString()).isEqualTo("template not approved: " + template + " (en_US) is PAUSED");
        // Approved again: what is sent from then on goes out; what was withdrawn stays so.
        assertThat(api.patch("/api/v1/templates/" + id, Map.of("status", "APPROVED")).status()).isEqualTo(200);
        assertThat(Fixtures.sendOrder(api, "webhook-test", template, phone).json().path("status").asString()).isEqualTo("queued");
        assertThat(api.get("/api/v1/messages/" + queued).json().path("status").asString()).isEqualTo("blocked");
    }

    @Test
    void withdrawsMoreMessagesAtOnceThanAStatementTakesParameters() {
        // A broadcast of 100,000 at Meta's 80 messages a second queues for 20 minutes, and a template Meta pauses in
        // that time has every one withdrawn: in one statement, which PostgreSQL refuses over 65,535 parameters, and
        // the webhook failed for good. Here 1,500 queued among 66,000 ids (the others withdrawn already, or sent).
        String template = "paused_broadcast_" + NUMBERS.incrementAndGet();
        Fixtures.orderTemplate(api, template);
        UUID sender = UUID.fromString(api.get("/api/v1/senders/webhook-test").json().path("id").asString());
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        List<UUID> queued = new ArrayList<>();
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < 1_500; i++) {
            queued.add(UUID.randomUUID());
            rows.add(new Object[] {queued.getLast(), sender, String.format("+3161250%05d", i), template, now, now});
        }
        new JdbcTemplate(dataSource).batchUpdate("INSERT INTO messages (id, channel, sender_id,"
                + " recipient, template_name, template_language, status, attempts, created_at, updated_at, category)"
                + " VALUES (?, 'WHATSAPP', ?, ?, ?, 'en_US', 'QUEUED', 0, ?, ?, 'utility')", rows);
        List<UUID> ids = new ArrayList<>(queued);
        while (ids.size() < 66_000) {
            ids.add(UUID.randomUUID());
        }
        Collections.shuffle(ids);

        List<UUID> withdrawn = transactions.execute(tx -> messages.withdraw(ids, "template not approved: " + template));

        assertThat(withdrawn).containsExactlyInAnyOrderElementsOf(queued);
        assertThat(jdbc.sql("SELECT COUNT(*) FROM messages WHERE template_name = ? AND status = 'BLOCKED'").param(template)
                .query(Long.class).single()).isEqualTo(queued.size());
        // Not left for the tests after this one, which share the database.
        jdbc.sql("DELETE FROM messages WHERE template_name = ?").param(template).update();
    }

    @Test
    void aTemplateMetaRecategorizedGoesOnlyToContactsWhoAgreedToItsNewCategory() {
        String template = "recategorized_" + NUMBERS.incrementAndGet();
        Fixtures.orderTemplate(api, template);
        String both = "+3161234" + String.format("%04d", NUMBERS.incrementAndGet());
        String utilityOnly = "+3161234" + String.format("%04d", NUMBERS.incrementAndGet());
        Fixtures.consentingContact(api, both);
        Fixtures.contact(api, utilityOnly, Map.of("utility", true), false);
        // Queued before Meta's change (this test's dispatcher sends nothing).
        String toBoth = Fixtures.sendOrder(api, "webhook-test", template, both).json().path("messageId").asString();
        String toUtilityOnly = Fixtures.sendOrder(api, "webhook-test", template, utilityOnly).json().path("messageId").asString();

        // Announced first: nothing changes yet.
        postSigned(categoryUpdate(template, "\"correct_category\":\"MARKETING\",\"new_category\":\"UTILITY\","
                + "\"category_update_timestamp\":1765065600"));
        postSigned(categoryUpdate(template, "\"previous_category\":\"UTILITY\",\"new_category\":\"MARKETING\""));
        await().atMost(PATIENCE).until(() -> "marketing".equals(templateField(template, "category")));

        JsonNode withdrawn = api.get("/api/v1/messages/" + toUtilityOnly).json();
        assertThat(withdrawn.path("status").asString()).isEqualTo("blocked");
        assertThat(withdrawn.path("blockedReason").asString()).isEqualTo("no consent: the contact has not agreed to"
                + " marketing messages (template " + template + " (en_US) is now marketing)");
        assertThat(api.get("/api/v1/messages/" + toBoth).json().path("status").asString()).isEqualTo("queued");
        assertThat(Fixtures.sendOrder(api, "webhook-test", template, utilityOnly).json().path("status").asString())
                .isEqualTo("blocked");
        // The message still queued now counts as marketing: withdrawing that consent withdraws it.
        String bothId = api.get("/api/v1/contacts?phone=" + both.replace("+", "%2B")).json().path(0).path("id").asString();
        assertThat(api.patch("/api/v1/contacts/" + bothId, Map.of("consent", Map.of("marketing", false))).status())
                .isEqualTo(200);
        assertThat(api.get("/api/v1/messages/" + toBoth).json().path("status").asString()).isEqualTo("blocked");
    }

    @Test
    void aContactWhoStopsPromotionsInWhatsAppLosesItsMarketingConsentAndItsQueuedPromotionsUntilItResumesThem() {
        String template = "promotion_" + NUMBERS.incrementAndGet();
        Fixtures.orderTemplate(api, template, "marketing");
        String phone = "+3161234" + String.format("%04d", NUMBERS.incrementAndGet());
        String unknown = "+3161234" + String.format("%04d", NUMBERS.incrementAndGet());
        String contact = Fixtures.consentingContact(api, phone).path("id").asString();
        // Queued before the stop (this test's dispatcher sends nothing).
        String promotion = Fixtures.sendOrder(api, "webhook-test", template, phone).json().path("messageId").asString();
        assertThat(api.get("/api/v1/messages/" + promotion).json().path("status").asString()).isEqualTo("queued");

        postSigned(userPreferences(preference(phone, "stop") + "," + preference(unknown, "stop")));

        await().atMost(PATIENCE).until(() -> !api.get("/api/v1/contacts/" + contact).json().path("consent")
                .path("marketing").asBoolean());
        JsonNode withdrawn = api.get("/api/v1/messages/" + promotion).json();
        assertThat(withdrawn.path("status").asString()).as(withdrawn.toString()).isEqualTo("blocked");
        assertThat(withdrawn.path("blockedReason").asString()).startsWith("no consent");
        assertThat(api.get("/api/v1/contacts/" + contact).json().path("consent").path("utility").asBoolean()).isTrue();
        assertThat(Fixtures.sendOrder(api, "webhook-test", template, phone).json().path("status").asString())
                .isEqualTo("blocked");
        // A number Reach has no contact for gets none.
        assertThat(api.get("/api/v1/contacts?phone=" + unknown.replace("+", "%2B")).json()).isEmpty();

        postSigned(userPreferences(preference(phone, "resume")));

        await().atMost(PATIENCE).until(() -> api.get("/api/v1/contacts/" + contact).json().path("consent")
                .path("marketing").asBoolean());
        assertThat(Fixtures.sendOrder(api, "webhook-test", template, phone).json().path("status").asString())
                .isEqualTo("queued");
    }

    @Test
    void aResumeInWhatsAppGivesBackOnlyTheMarketingConsentAStopThereWithdrewNotOneTheBusinessWithdrewOrNeverHad() {
        String stopped = "+3161234" + String.format("%04d", NUMBERS.incrementAndGet());
        String withdrawnByTheBusiness = "+3161234" + String.format("%04d", NUMBERS.incrementAndGet());
        String neverGiven = "+3161234" + String.format("%04d", NUMBERS.incrementAndGet());
        String changedByTheBusinessSince = "+3161234" + String.format("%04d", NUMBERS.incrementAndGet());
        Map<String, String> ids = new LinkedHashMap<>();
        for (String phone : List.of(stopped, withdrawnByTheBusiness, changedByTheBusinessSince)) {
            ids.put(phone, Fixtures.consentingContact(api, phone).path("id").asString());
        }
        Api.Response utilityOnly = api.post("/api/v1/contacts", Map.of("phone", neverGiven, "consent", Map.of("utility", true)));
        ids.put(neverGiven, utilityOnly.json().path("id").asString());
        setMarketing(ids.get(withdrawnByTheBusiness), false);
        postSigned(userPreferences(preference(stopped, "stop") + "," + preference(changedByTheBusinessSince, "stop")));
        await().atMost(PATIENCE).until(() -> !marketing(ids.get(stopped)) && !marketing(ids.get(changedByTheBusinessSince)));
        // What the contact did is kept, and shown to the person who asks what Reach keeps of it.
        JsonNode kept = api.get("/api/v1/contacts/" + ids.get(stopped) + "/export").json().path("consentWithdrawnInWhatsApp");
        assertThat(kept.size()).as(kept.toString()).isEqualTo(1);
        assertThat(kept.path(0).path("category").asString()).isEqualTo("marketing");
        // And shown with the contact, to whoever wonders why its marketing consent is gone.
        assertThat(api.get("/api/v1/contacts/" + ids.get(stopped)).json().path("marketingStoppedInWhatsAppAt").asString())
                .isEqualTo(kept.path(0).path("at").asString());
        assertThat(api.get("/api/v1/contacts/" + ids.get(withdrawnByTheBusiness)).json()
                .has("marketingStoppedInWhatsAppAt")).isFalse();
        // The business gave it, then withdrew it again: its own word, which a resume in WhatsApp does not undo.
        assertThat(api.patch("/api/v1/contacts/" + ids.get(changedByTheBusinessSince), Map.of("consent",
                Map.of("marketing", true, "utility", true))).json().has("marketingStoppedInWhatsAppAt")).isFalse();
        setMarketing(ids.get(changedByTheBusinessSince), false);

        postSigned(userPreferences(String.join(",", ids.keySet().stream().map(phone -> preference(phone, "resume")).toList())));

        await().atMost(PATIENCE).until(() -> marketing(ids.get(stopped)));
        // The same webhook, applied in one go.
        for (String phone : List.of(withdrawnByTheBusiness, neverGiven, changedByTheBusinessSince)) {
            assertThat(marketing(ids.get(phone))).as(phone).isFalse();
        }
        assertThat(api.get("/api/v1/contacts/" + ids.get(neverGiven)).json().path("consent").path("utility").asBoolean()).isTrue();
        assertThat(api.get("/api/v1/contacts/" + ids.get(stopped) + "/export").json().path("consentWithdrawnInWhatsApp")
                .isEmpty()).isTrue();
        assertThat(api.get("/api/v1/contacts/" + ids.get(stopped)).json().has("marketingStoppedInWhatsAppAt")).isFalse();
    }

    private boolean marketing(String contactId) {
        return api.get("/api/v1/contacts/" + contactId).json().path("consent").path("marketing").asBoolean();
    }

    private void setMarketing(String contactId, boolean marketing) {
        Api.Response changed = api.patch("/api/v1/contacts/" + contactId, Map.of("consent", Map.of("marketing", marketing,
                "utility", true)));
        assertThat(changed.status()).as(changed.body()).isEqualTo(200);
    }

    private static String preference(String phone, String value) {
        return "{\"wa_id\":\"" + phone.substring(1) + "\",\"detail\":\"User requested to " + value
                + " marketing messages\",\"category\":\"marketing_messages\",\"value\":\"" + value
                + "\",\"timestamp\":1765065600}";
    }

    private static String userPreferences(String preferences) {
        return "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"400000000000001\",\"changes\":[{"
                + "\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"15550001111\","
                + "\"phone_number_id\":\"" + PHONE_NUMBER_ID + "\"},\"user_preferences\":[" + preferences + "]},"
                + "\"field\":\"user_preferences\"}]}]}";
    }

    private static String categoryUpdate(String name, String change) {
        return "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"400000000000001\",\"time\":1764840000,"
                + "\"changes\":[{\"value\":{\"message_template_id\":594425479261597,\"message_template_name\":\"" + name
                + "\",\"message_template_language\":\"en_US\"," + change + "},\"field\":\"template_category_update\"}]}]}";
    }

    private String templateField(String name, String field) {
        return api.get("/api/v1/templates?limit=1000").json().valueStream().filter(t -> name.equals(t.path("name").asString()))
                .findFirst().orElseThrow().path(field).asString();
    }

    private String templateStatus(String name) {
        return api.get("/api/v1/templates?limit=1000").json().valueStream().filter(t -> name.equals(t.path("name").asString()))
                .findFirst().orElseThrow().path("status").asString();
    }

    private static String templateReview(String event, String name, String language, String reason) {
        return "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"400000000000001\",\"time\":1764840000,"
                + "\"changes\":[{\"value\":{\"event\":\"" + event + "\",\"message_template_id\":594425479261596,"
                + "\"message_template_name\":\"" + name + "\",\"message_template_language\":\"" + language + "\","
                + "\"reason\":\"" + reason + "\",\"message_template_category\":\"UTILITY\"},"
                + "\"field\":\"message_template_status_update\"}]}]}";
    }

    private void postSigned(String payload) {
        Api.Response response = api.postSignedWhatsAppWebhook(payload, APP_SECRET);
        assertThat(response.status()).as(response.body()).isEqualTo(200);
    }

    private Api.Response post(byte[] body, String signature) {
        return api.postRaw("/webhooks/whatsapp", "application/json", body, Map.of("X-Hub-Signature-256", signature));
    }

    private static String status(String wamid, String status, Integer errorCode) {
        String errors = errorCode == null ? "" : ",\"errors\":[{\"code\":" + errorCode + ",\"title\":\"Message undeliverable\","
                + "\"message\":\"Message undeliverable\",\"error_data\":{\"details\":\"Message Undeliverable.\"}}]";
        return "{\"id\":\"" + wamid + "\",\"status\":\"" + status + "\",\"timestamp\":\"1763700000\","
                + "\"recipient_id\":\"31612340000\"" + errors + "}";
    }

    private static String statuses(String... statuses) {
        return envelope("\"statuses\":[" + String.join(",", statuses) + "]");
    }

    private static String inbound(String message, String waId) {
        return envelope("\"contacts\":[{\"profile\":{\"name\":\"Kerry\"},\"wa_id\":\"" + waId + "\"}],\"messages\":[" + message + "]");
    }

    private static String change(String content) {
        return "{\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"15550100002\","
                + "\"phone_number_id\":\"" + PHONE_NUMBER_ID + "\"}," + content + "},\"field\":\"messages\"}";
    }

    private static String envelope(String content) {
        return "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"400000000000001\",\"changes\":[{\"value\":"
                + "{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"15550100002\","
                + "\"phone_number_id\":\"" + PHONE_NUMBER_ID + "\"}," + content + "},\"field\":\"messages\"}]}]}";
    }
}
