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
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The Cloud API client against a local HTTP server standing in for Meta: the exact JSON of each component kind,
 * retries with backoff on passing errors (moved by the clock, not by waiting), and no retry on a real refusal.
 */
@Import(MutableClockConfiguration.class)
@TestPropertySource(properties = {"reach.sandbox.enabled=false", "reach.whatsapp.initial-backoff=1s",
        // A stalled answer counts as lost after this long (15 s by default).
        "reach.whatsapp.request-timeout=2s"})
class CloudApiClientIT extends ReachIntegrationTest {

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

    @BeforeEach
    void setUp() {
        if (api.get("/api/v1/senders").json().isEmpty()) {
            Api.Response sender = api.post("/api/v1/senders", Map.of("name", "meta-stand-in", "phoneNumberId", "106540352242922",
                    "wabaId", "102290129340398", "displayNumber", "+15550783881", "accessToken", "EAAJB-secret-token",
                    "appSecret", "app-secret", "verifyToken", "verify", "graphApiBaseUrl", META.baseUrl(),
                    "graphApiVersion", "v21.0"));
            assertThat(sender.status()).as(sender.body()).isEqualTo(201);
            Api.Response slow = api.post("/api/v1/senders", Map.of("name", "one-a-second", "phoneNumberId", "106540352242923",
                    "wabaId", "102290129340398", "displayNumber", "+15550783882", "accessToken", "EAAJB-secret-token",
                    "appSecret", "app-secret", "verifyToken", "verify", "graphApiBaseUrl", META.baseUrl(),
                    "graphApiVersion", "v21.0", "throughputPerSecond", 1));
            assertThat(slow.status()).as(slow.body()).isEqualTo(201);
            Api.Response everything = api.post("/api/v1/templates", Map.of("name", "everything", "language", "pt_BR", "category", "marketing",
                    "components", List.of(
                            Map.of("type", "HEADER", "format", "TEXT", "text", "Olá {{1}}"),
                            Map.of("type", "BODY", "text", "Seu pedido {{1}} chega {{2}}."),
                            Map.of("type", "FOOTER", "text", "Loja"),
                            Map.of("type", "BUTTONS", "buttons", List.of(
                                    Map.of("type", "URL", "text", "Rastrear", "url", "https://shop.example/track/{{1}}"),
                                    Map.of("type", "QUICK_REPLY", "text", "Parar"),
                                    Map.of("type", "COPY_CODE", "example", "SAVE10"),
                                    Map.of("type", "PHONE_NUMBER", "text", "Ligar", "phone_number", "+5511987654321"))))));
            assertThat(everything.status()).as(everything.body()).isEqualTo(201);
            for (String format : List.of("IMAGE", "VIDEO", "DOCUMENT")) {
                assertThat(api.post("/api/v1/templates", Map.of("name", "with_" + format.toLowerCase(), "language", "en",
                        "category", "utility", "components", List.of(Map.of("type", "HEADER", "format", format),
                                Map.of("type", "BODY", "text", "Here it is.")))).status()).isEqualTo(201);
            }
        }
    }

    @Test
    void sendsEveryComponentKindInMetasTemplateFormat() {
        String phone = "+5511912345678";
        Fixtures.contact(api, phone, Map.of("marketing", true), false);
        Api.Response sent = api.post("/api/v1/messages/whatsapp", Map.of("sender", "meta-stand-in", "to", phone,
                "template", "everything", "language", "pt_BR", "headerParameters", List.of("Ana"),
                "bodyParameters", List.of("#42", "amanhã"),
                "buttonParameters", List.of(Map.of("index", 0, "value", "42"), Map.of("index", 1, "value", "STOP_PROMO"),
                        Map.of("index", 2, "value", "SAVE10")),
                "campaignId", "spring-sale"));
        assertThat(sent.status()).as(sent.body()).isEqualTo(202);
        assertThat(sent.json().path("renderedText").asString()).isEqualTo("Olá Ana\n\nSeu pedido #42 chega amanhã.\n\nLoja");
        String id = sent.json().path("messageId").asString();

        await().atMost(PATIENCE).until(() -> !META.requestsTo(phone).isEmpty());
        FakeProvider.Request request = META.requestsTo(phone).getFirst();
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo("/v21.0/106540352242922/messages");
        assertThat(request.header("Authorization")).isEqualTo("Bearer EAAJB-secret-token");
        assertThat(request.header("Content-Type")).isEqualTo("application/json");
        assertThat(request.header("Idempotency-Key")).isEqualTo(id);
        JsonNode expected = Api.JSON.readTree("""
                {"messaging_product":"whatsapp","recipient_type":"individual","to":"+5511912345678","type":"template",
                 "biz_opaque_callback_data":"%s",
                 "template":{"name":"everything","language":{"policy":"deterministic","code":"pt_BR"},
                  "components":[
                   {"type":"header","parameters":[{"type":"text","text":"Ana"}]},
                   {"type":"body","parameters":[{"type":"text","text":"#42"},{"type":"text","text":"amanhã"}]},
                   {"type":"button","index":"0","sub_type":"url","parameters":[{"type":"text","text":"42"}]},
                   {"type":"button","index":"1","sub_type":"quick_reply","parameters":[{"type":"payload","payload":"STOP_PROMO"}]},
                   {"type":"button","index":"2","sub_type":"copy_code","parameters":[{"type":"coupon_code","coupon_code":"SAVE10"}]}
                  ]}}""".formatted(id));
        assertThat(Api.JSON.readTree(request.body())).isEqualTo(expected);
        await().atMost(PATIENCE).until(() -> "submitted".equals(api.get("/api/v1/messages/" + id).json().path("status").asString()));
        assertThat(api.get("/api/v1/messages/" + id).json().path("providerMessageId").asString()).startsWith("wamid.fake-");
    }

    @Test
    void sendsATemplatesNamedPlaceholdersByNameAsMetasNamedParameterFormatTakesThem() {
        Api.Response registered = api.post("/api/v1/templates", Map.of("name", "table_booked", "language", "en",
                "category", "utility", "parameterFormat", "NAMED", "components", List.of(Map.of("type", "HEADER", "format", "TEXT", "text", "Table for {{guests}}"),
                        Map.of("type", "BODY", "text", "See you {{day}}, {{name}}!"))));
        assertThat(registered.status()).as(registered.body()).isEqualTo(201);
        assertThat(registered.json().path("parameterFormat").asString()).isEqualTo("NAMED");
        String phone = "+5511912345679";
        Fixtures.contact(api, phone, Map.of("utility", true), false);

        Api.Response misnamed = api.post("/api/v1/messages/whatsapp", Map.of("sender", "meta-stand-in", "to", phone,
                "template", "table_booked", "language", "en", "headerParameters", Map.of("guests", "4"),
                "bodyParameters", Map.of("dag", "Saturday", "name", "Ann")));
        Api.Response sent = api.post("/api/v1/messages/whatsapp", Map.of("sender", "meta-stand-in", "to", phone,
                "template", "table_booked", "language", "en", "headerParameters", Map.of("guests", "4"),
                "bodyParameters", new TreeMap<>(Map.of("name", "Ann", "day", "Saturday"))));

        assertThat(misnamed.status()).as(misnamed.body()).isEqualTo(400);
        assertThat(misnamed.json().path("details")).extracting(detail -> detail.path("field").asString())
                .containsExactlyInAnyOrder("bodyParameters.dag", "bodyParameters.day");
        assertThat(sent.status()).as(sent.body()).isEqualTo(202);
        assertThat(sent.json().path("renderedText").asString()).isEqualTo("Table for 4\n\nSee you Saturday, Ann!");
        await().atMost(PATIENCE).until(() -> !META.requestsTo(phone).isEmpty());
        assertThat(META.requestsTo(phone)).as("the misnamed send went nowhere").hasSize(1);
        assertThat(Api.JSON.readTree(META.requestsTo(phone).getFirst().body()).path("template").path("components"))
                .isEqualTo(Api.JSON.readTree("""
                        [{"type":"header","parameters":[{"type":"text","parameter_name":"guests","text":"4"}]},
                         {"type":"body","parameters":[{"type":"text","parameter_name":"day","text":"Saturday"},
                                                      {"type":"text","parameter_name":"name","text":"Ann"}]}]"""));
    }

    @Test
    void sendsMediaHeadersAsLinks() {
        String phone = "+447911123456";
        Fixtures.consentingContact(api, phone);
        Map<String, String> links = Map.of("IMAGE", "https://cdn.example/banner.png", "VIDEO", "https://cdn.example/clip.mp4",
                "DOCUMENT", "https://cdn.example/docs/invoice-42.pdf");
        for (String format : List.of("IMAGE", "VIDEO", "DOCUMENT")) {
            Api.Response sent = api.post("/api/v1/messages/whatsapp", Map.of("sender", "meta-stand-in", "to", phone,
                    "template", "with_" + format.toLowerCase(), "language", "en", "headerParameters", List.of(links.get(format))));
            assertThat(sent.status()).as(sent.body()).isEqualTo(202);
        }
        await().atMost(PATIENCE).until(() -> META.requestsTo(phone).size() == 3);
        Map<String, String> headers = new HashMap<>();
        for (FakeProvider.Request request : META.requestsTo(phone)) {
            JsonNode body = Api.JSON.readTree(request.body());
            headers.put(body.path("template").path("name").asString(),
                    body.path("template").path("components").path(0).toString());
        }
        assertThat(Api.JSON.readTree(headers.get("with_image"))).isEqualTo(Api.JSON.readTree(
                "{\"type\":\"header\",\"parameters\":[{\"type\":\"image\",\"image\":{\"link\":\"https://cdn.example/banner.png\"}}]}"));
        assertThat(Api.JSON.readTree(headers.get("with_video"))).isEqualTo(Api.JSON.readTree(
                "{\"type\":\"header\",\"parameters\":[{\"type\":\"video\",\"video\":{\"link\":\"https://cdn.example/clip.mp4\"}}]}"));
        assertThat(Api.JSON.readTree(headers.get("with_document"))).isEqualTo(Api.JSON.readTree(
                "{\"type\":\"header\",\"parameters\":[{\"type\":\"document\",\"document\":{\"link\":"
                        + "\"https://cdn.example/docs/invoice-42.pdf\",\"filename\":\"invoice-42.pdf\"}}]}"));
    }

    @Test
    void retriesThroughputAndServerErrorsWithBackoffThenSucceedsOnce() {
        String phone = "+14155552671";
        Fixtures.consentingContact(api, phone);
        META.answerNext(400, FakeProvider.metaError(130429, "(#130429) Rate limit hit"));
        META.answerNext(503, "<html>Service Unavailable</html>");

        UUID id = sendAndAwaitItsRetry(phone);
        assertThat(nextAttempt(id)).isEqualTo(clock.instant().plusSeconds(1));
        JsonNode waiting = api.get("/api/v1/messages/" + id).json();
        assertThat(waiting.path("status").asString()).isEqualTo("queued");
        assertThat(waiting.path("error").path("code").asInt()).isEqualTo(130429);

        clock.advance(Duration.ofSeconds(1));
        await().atMost(PATIENCE).until(() -> META.requestsTo(phone).size() == 2 && nextAttempt(id).isAfter(clock.instant()));
        assertThat(nextAttempt(id)).isEqualTo(clock.instant().plusSeconds(2));

        clock.advance(Duration.ofSeconds(2));
        await().atMost(PATIENCE).until(() -> "submitted".equals(api.get("/api/v1/messages/" + id).json().path("status").asString()));

        List<FakeProvider.Request> attempts = META.requestsTo(phone);
        assertThat(attempts).hasSize(3);
        assertThat(attempts).extracting(r -> r.header("Idempotency-Key")).containsOnly(id.toString());
        assertThat(attempts).extracting(FakeProvider.Request::body).containsOnly(attempts.getFirst().body());
        JsonNode done = api.get("/api/v1/messages/" + id).json();
        assertThat(done.path("attempts").asInt()).isEqualTo(3);
        assertThat(done.path("error").isMissingNode()).isTrue();
    }

    @Test
    void sendsNoFasterThanItsSendersThroughputAndPutsBackWhatWouldWaitLongerUntried() {
        List<String> phones = IntStream.rangeClosed(1, 6).mapToObj(i -> "+1415555270" + i).toList();
        List<UUID> ids = new ArrayList<>();
        for (String phone : phones) {
            Fixtures.consentingContact(api, phone);
            Api.Response sent = Fixtures.sendOrderWith(api, "one-a-second", "with_image", "en", phone,
                    List.of("https://cdn.example/a.png"), List.of());
            assertThat(sent.status()).as(sent.body()).isEqualTo(202);
            ids.add(UUID.fromString(sent.json().path("messageId").asString()));
        }

        // The clock stands still: a message put back waits for the test to move it. Each send takes its turn at one a
        // second; one whose turn is more than a second away goes back untried.
        await().atMost(PATIENCE).until(() -> sentTo(phones) + putBackUntried(ids) == phones.size());
        assertThat(putBackUntried(ids)).as("put back, their turn too far away").isPositive();
        assertThat(sentTo(phones)).isPositive();

        // Then the clock moves on with real time, a second a second, so that the turns' spacing shows in Meta's.
        await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1)).until(() -> {
            clock.advance(Duration.ofSeconds(1));
            return sentTo(phones) == phones.size();
        });
        List<FakeProvider.Request> sends = phones.stream().flatMap(phone -> META.requestsTo(phone).stream())
                .sorted(Comparator.comparingLong(FakeProvider.Request::receivedNanos)).toList();
        assertThat(sends).hasSize(phones.size());
        // Six turns at one a second span five seconds; a second is left for the exchanges' own delays.
        assertThat(Duration.ofNanos(sends.getLast().receivedNanos() - sends.getFirst().receivedNanos()))
                .isGreaterThanOrEqualTo(Duration.ofSeconds(4));
        await().atMost(PATIENCE).until(() -> ids.stream().allMatch(id ->
                "submitted".equals(api.get("/api/v1/messages/" + id).json().path("status").asString())));
        assertThat(ids).allSatisfy(id -> assertThat(api.get("/api/v1/messages/" + id).json().path("attempts").asInt())
                .as("a message put back counts no attempt").isEqualTo(1));
    }

    private long sentTo(List<String> phones) {
        return phones.stream().filter(phone -> !META.requestsTo(phone).isEmpty()).count();
    }

    private long putBackUntried(List<UUID> ids) {
        return ids.stream().filter(id -> {
            JsonNode message = api.get("/api/v1/messages/" + id).json();
            Instant next = nextAttempt(id);
            return "queued".equals(message.path("status").asString()) && message.path("attempts").asInt() == 0
                    && next != null && next.isAfter(clock.instant());
        }).count();
    }

    @Test
    void failsAMessageWhoseAttemptsEndedWithNoAnswerRecordedInsteadOfSendingItAgainAndAgain() {
        String phone = "+14155552672";
        Fixtures.consentingContact(api, phone);
        META.answerNext(503, "<html>Service Unavailable</html>");
        UUID id = sendAndAwaitItsRetry(phone);
        // As if seven more attempts had been claimed and each lease had run out with no answer recorded (a node that
        // crashed on the message each time, or a recording that kept failing): the next claim is past the eight allowed.
        jdbc.sql("UPDATE messages SET attempts = 8 WHERE id = ?").param(id).update();

        clock.advance(Duration.ofSeconds(1));

        await().atMost(PATIENCE).until(() -> "failed".equals(api.get("/api/v1/messages/" + id).json().path("status").asString()));
        JsonNode failed = api.get("/api/v1/messages/" + id).json();
        assertThat(failed.path("error").path("title").asString()).startsWith("Gave up after 8 attempts that ended with no answer");
        assertThat(failed.path("attempts").asInt()).isEqualTo(9);
        assertThat(META.requestsTo(phone)).hasSize(1);
    }

    @Test
    void aSendWhoseAnswerWasLostWaitsForMetasStatusAndIsNotSentAgainWhenMetaSaysItTookIt() {
        String phone = "+14155552673";
        Fixtures.consentingContact(api, phone);
        META.stallNext();

        UUID id = sendAndAwaitItsRetry(phone);
        // Meta may have taken it: the next attempt waits a minute for its status, not the first backoff's second.
        assertThat(nextAttempt(id)).isEqualTo(clock.instant().plusSeconds(60));
        JsonNode waiting = api.get("/api/v1/messages/" + id).json();
        assertThat(waiting.path("status").asString()).isEqualTo("queued");
        assertThat(waiting.path("error").path("title").asString()).isEqualTo("Timed out waiting for Meta's answer; retrying");

        // It had: Meta's first status names Reach's message id.
        postStatusNamingReachsId("wamid.answer-lost", "sent", phone, id);
        assertThat(Fixtures.timeline(api, id.toString())).containsExactly("queued", "submitted(inferred)", "sent");

        // Past the minute, a message queued after it goes out, and it is not sent again.
        assertNotSentAgainAMinuteLater(phone, "+14155552674");
        assertThat(api.get("/api/v1/messages/" + id).json().path("status").asString()).isEqualTo("sent");
    }

    @Test
    void aSendWhoseAnswerWasLostAndThatWasWithdrawnMeanwhileTakesTheStatusMetaReportsForItHadItAfterAll() {
        String phone = "+14155552676";
        String contactId = Fixtures.consentingContact(api, phone).path("id").asString();
        META.stallNext();
        UUID id = sendAndAwaitItsRetry(phone);

        // The contact opts out while Reach waits for Meta's word: the message, queued, is withdrawn and not retried.
        assertThat(api.patch("/api/v1/contacts/" + contactId, Map.of("optedOut", true)).status()).isEqualTo(200);
        assertThat(api.get("/api/v1/messages/" + id).json().path("status").asString()).isEqualTo("blocked");

        // But Meta had taken it, and says so: the message shows what became of it.
        postStatusNamingReachsId("wamid.answer-lost-withdrawn", "delivered", phone, id);
        JsonNode message = api.get("/api/v1/messages/" + id).json();
        assertThat(message.path("status").asString()).isEqualTo("delivered");
        assertThat(Fixtures.timeline(api, id.toString())).containsExactly("queued", "blocked", "submitted(inferred)",
                "delivered");
        assertNotSentAgainAMinuteLater(phone, "+14155552677");
    }

    @Test
    void aJourneyWaitsForAMessageWhoseAnswerWasLostWhileItsNumberSendsAndTakesTheStatusMetaThenReports() {
        Fixtures.orderTemplate(api, "order_ready_lost");
        String flow = FlowFixtures.publishSendThenAwaitDelivery(api, "answer-lost", "meta-stand-in",
                "order_ready_lost", "PT30S");
        String phone = "+14155552681";
        Fixtures.consentingContact(api, phone);
        META.stallNext();
        Api.Response started = api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", phone));
        assertThat(started.status()).as(started.body()).isEqualTo(201);
        String journey = started.json().path("journeyId").asString();
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/journeys/" + journey + "/path").json().path(0).has("messageId"));
        UUID id = UUID.fromString(api.get("/api/v1/journeys/" + journey + "/path").json().path(0).path("messageId").asString());
        await().atMost(PATIENCE).until(() -> nextAttempt(id) != null && nextAttempt(id).isAfter(clock.instant()));
        // The number goes on sending meanwhile.
        String other = "+14155552682";
        Fixtures.consentingContact(api, other);
        String otherMessage = Fixtures.sendOrderWith(api, "meta-stand-in", "with_image", "en", other,
                List.of("https://cdn.example/a.png"), List.of()).json().path("messageId").asString();
        await().atMost(PATIENCE).until(() -> "submitted".equals(api.get("/api/v1/messages/" + otherMessage).json().path("status").asString()));

        clock.advance(Duration.ofSeconds(31));

        // Meta may have it: the timeout waits for it instead of withdrawing it (and taking the journey's fallback).
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/journeys/" + journey + "/path").json().path(1).path("outcome")
                .asString().startsWith("waiting: its message waits its turn"));
        assertThat(api.get("/api/v1/messages/" + id).json().path("status").asString()).isEqualTo("queued");
        // It had it, and says so.
        postStatusNamingReachsId("wamid.lost-then-delivered", "delivered", phone, id);
        await().atMost(PATIENCE).until(() -> "ENDED".equals(api.get("/api/v1/journeys/" + journey).json().path("state").asString()));
        assertThat(api.get("/api/v1/journeys/" + journey + "/path").json().path(1).path("branch").asString()).isEqualTo("delivered");
        assertThat(META.requestsTo(phone)).hasSize(1);
    }

    @Test
    void aMessageWithdrawnWhileItsSendWasUnderWayIsNotTriedAgainWhenThatSendDidNotHandItOver() {
        String phone = "+14155552678";
        String contactId = Fixtures.consentingContact(api, phone).path("id").asString();
        META.stallNext();
        Api.Response sent = Fixtures.sendOrderWith(api, "meta-stand-in", "with_image", "en", phone,
                List.of("https://cdn.example/a.png"), List.of());
        String id = sent.json().path("messageId").asString();
        await().atMost(PATIENCE).until(() -> META.requestsTo(phone).size() == 1);

        // The contact opts out while the send waits for Meta's answer: the attempt under way is left to finish.
        assertThat(api.patch("/api/v1/contacts/" + contactId, Map.of("optedOut", true)).status()).isEqualTo(200);
        assertThat(api.get("/api/v1/messages/" + id).json().path("status").asString()).isEqualTo("queued");

        // No answer came (Meta may have it): it is withdrawn then, not tried again a minute later.
        await().atMost(PATIENCE).until(() -> "blocked".equals(api.get("/api/v1/messages/" + id).json().path("status").asString()));
        assertThat(api.get("/api/v1/messages/" + id).json().path("blockedReason").asString()).startsWith("opted out");
        assertNotSentAgainAMinuteLater(phone, "+14155552679");
    }

    @Test
    void aMessageWithdrawnWhileAnAttemptACrashCutShortHeldItIsWithdrawnWhenItIsClaimedAgain() {
        String phone = "+14155552680";
        Fixtures.consentingContact(api, phone);
        META.stallNext();
        UUID id = sendAndAwaitItsRetry(phone);
        // As a crash leaves it: a withdrawal found it in an attempt's hands, and that node died before the attempt ended.
        jdbc.sql("UPDATE messages SET withdrawal_pending = ?, lease_until = ? WHERE id = ?")
                .params("cancelled through the API: order 7 was cancelled", OffsetDateTime.ofInstant(clock.instant(),
                        ZoneOffset.UTC), id).update();

        clock.advance(Duration.ofSeconds(61));

        await().atMost(PATIENCE).until(() -> "blocked".equals(api.get("/api/v1/messages/" + id).json().path("status").asString()));
        assertThat(api.get("/api/v1/messages/" + id).json().path("blockedReason").asString())
                .isEqualTo("cancelled through the API: order 7 was cancelled");
        assertThat(META.requestsTo(phone)).hasSize(1);
    }

    @Test
    void aSendThatFoundNoConnectionIsRetriedAfterTheUsualBackoff() {
        String phone = "+14155552675";
        Fixtures.consentingContact(api, phone);
        Api.Response sender = api.post("/api/v1/senders", Map.of("name", "meta-unreachable", "phoneNumberId", "106540352242929",
                "wabaId", "102290129340398", "displayNumber", "+15550783889", "accessToken", "EAAJB-secret-token",
                "appSecret", "app-secret", "verifyToken", "verify", "graphApiBaseUrl", FakeProvider.unreachableBaseUrl(),
                "graphApiVersion", "v21.0"));
        assertThat(sender.status()).as(sender.body()).isEqualTo(201);

        Api.Response sent = Fixtures.sendOrderWith(api, "meta-unreachable", "with_image", "en", phone,
                List.of("https://cdn.example/a.png"), List.of());
        UUID id = UUID.fromString(sent.json().path("messageId").asString());
        await().atMost(PATIENCE).until(() -> nextAttempt(id) != null && nextAttempt(id).isAfter(clock.instant()));
        // No connection, so nothing reached Meta: the first backoff, not the minute for a lost answer.
        assertThat(nextAttempt(id)).isEqualTo(clock.instant().plusSeconds(1));
        assertThat(api.get("/api/v1/messages/" + id).json().path("error").path("title").asString())
                .isEqualTo("Could not reach Meta's Cloud API; retrying");
    }

    @Test
    void notOnWhatsAppIsAFailureNotARetry() {
        String phone = "+4915112345600";
        Fixtures.consentingContact(api, phone);
        META.answerNext(400, FakeProvider.metaError(131026, "Message Undeliverable."));
        Api.Response sent = Fixtures.sendOrderWith(api, "meta-stand-in", "with_image", "en", phone,
                List.of("https://cdn.example/a.png"), List.of());
        String id = sent.json().path("messageId").asString();

        await().atMost(PATIENCE).until(() -> "failed".equals(api.get("/api/v1/messages/" + id).json().path("status").asString()));
        JsonNode failed = api.get("/api/v1/messages/" + id).json();
        assertThat(failed.path("error").path("code").asInt()).isEqualTo(131026);
        assertThat(failed.path("error").path("title").asString()).contains("Not on WhatsApp");
        assertThat(Fixtures.timeline(api, id)).containsExactly("queued", "failed");
        clock.advance(Duration.ofHours(1));
        assertThat(failed.path("attempts").asInt()).isEqualTo(1);
        assertThat(META.requestsTo(phone)).hasSize(1);
        JsonNode contact = api.get("/api/v1/contacts?phone=%2B4915112345600").json().path(0);
        assertThat(contact.path("notOnWhatsApp").asBoolean()).isTrue();

        // Said of the number: a new one is tried again, and an edit that keeps the number keeps what was learnt.
        String contactId = contact.path("id").asString();
        assertThat(api.patch("/api/v1/contacts/" + contactId, Map.of("attributes", Map.of("city", "Bonn"))).json()
                .path("notOnWhatsApp").asBoolean()).isTrue();
        assertThat(api.patch("/api/v1/contacts/" + contactId, Map.of("phone", "+4915112345699")).json()
                .path("notOnWhatsApp").asBoolean()).isFalse();
        assertThat(api.get("/api/v1/contacts/" + contactId).json().path("notOnWhatsApp").asBoolean()).isFalse();
    }

    @Test
    void aRefusalWhoseCodeIsNoThirtyTwoBitNumberFailsTheMessageOnce() {
        String phone = "+4915112345601";
        Fixtures.consentingContact(api, phone);
        META.answerNext(400, "{\"error\":{\"message\":\"(#100) Invalid parameter\",\"type\":\"OAuthException\",\"code\":1e308}}");
        Api.Response sent = Fixtures.sendOrderWith(api, "meta-stand-in", "with_image", "en", phone,
                List.of("https://cdn.example/a.png"), List.of());
        String id = sent.json().path("messageId").asString();

        await().atMost(PATIENCE).until(() -> "failed".equals(api.get("/api/v1/messages/" + id).json().path("status").asString()));
        assertThat(api.get("/api/v1/messages/" + id).json().path("error").path("details").asString()).contains("Invalid parameter");
        clock.advance(Duration.ofHours(1));
        assertThat(META.requestsTo(phone)).hasSize(1);
    }

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void anExpiredAccessTokenFailsEachMessageAndTellsTheOperatorOnceAtError(
            CapturedOutput output) {
        List<String> phones = List.of("+4915112345610", "+4915112345611");
        List<String> ids = new ArrayList<>();
        for (String phone : phones) {
            Fixtures.consentingContact(api, phone);
            META.answerNext(401, FakeProvider.metaError(190, "Error validating access token: Session has expired."));
            ids.add(Fixtures.sendOrderWith(api, "meta-stand-in", "with_image", "en", phone,
                    List.of("https://cdn.example/a.png"), List.of()).json().path("messageId").asString());
            String id = ids.getLast();
            await().atMost(PATIENCE).until(() -> "failed".equals(api.get("/api/v1/messages/" + id).json().path("status").asString()));
        }

        for (String id : ids) {
            assertThat(api.get("/api/v1/messages/" + id).json().path("error").path("code").asInt()).isEqualTo(190);
        }
        String told = "whatsapp sender meta-stand-in (+15550783881) cannot send: Meta refused with 190";
        assertThat(output.getOut().split(Pattern.quote(told), -1)).as(output.getOut()).hasSize(2);
        assertThat(output.getOut()).contains("ERROR").doesNotContain("EAAJB-secret-token");
        // Each refusal counted, for an alert (the log says it once).
        assertThat(api.metrics()).containsEntry(
                "reach_sender_refusals_total{code=\"190\",provider=\"Meta\",sender=\"meta-stand-in\"}", 2.0);
    }

    @Test
    void refusesAParameterCountMismatchBeforeAnyNetworkCall() {
        String phone = "+5511912340000";
        Fixtures.contact(api, phone, Map.of("marketing", true), false);
        int before = META.requests().size();

        Api.Response response = api.post("/api/v1/messages/whatsapp", Map.of("sender", "meta-stand-in", "to", phone,
                "template", "everything", "language", "pt_BR", "headerParameters", List.of("Ana"),
                "bodyParameters", List.of("#42"), "buttonParameters", List.of(Map.of("index", 0, "value", "42"),
                        Map.of("index", 2, "value", "SAVE10"))));

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().path("error").asString()).isEqualTo("parameter_mismatch");
        assertThat(response.json().path("details").path(0).path("field").asString()).isEqualTo("bodyParameters");
        assertThat(api.get("/api/v1/messages?limit=1000").json().toString()).doesNotContain(phone);
        assertThat(META.requests()).hasSize(before);
    }

    /** Sends the image template to {@code phone}; once its first attempt was answered, its next is due later. */
    /** Meta's signed status webhook for a message of the stand-in's number, naming Reach's id as Meta echoes it. */
    /** A minute on, past its retry's wait, a message sent to {@code later} goes out, and none is sent to {@code phone} again. */
    private void assertNotSentAgainAMinuteLater(String phone, String later) {
        clock.advance(Duration.ofSeconds(61));
        Fixtures.consentingContact(api, later);
        Fixtures.sendOrderWith(api, "meta-stand-in", "with_image", "en", later, List.of("https://cdn.example/a.png"), List.of());
        await().atMost(PATIENCE).until(() -> META.requestsTo(later).size() == 1);
        assertThat(META.requestsTo(phone)).hasSize(1);
    }

    private void postStatusNamingReachsId(String wamid, String status, String phone, UUID id) {
        Api.Response webhook = api.postSignedWhatsAppWebhook("{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":"
                + "\"102290129340398\",\"changes\":[{\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{"
                + "\"display_phone_number\":\"15550783881\",\"phone_number_id\":\"106540352242922\"},\"statuses\":[{"
                + "\"id\":\"" + wamid + "\",\"status\":\"" + status + "\",\"timestamp\":\"1772442000\",\"recipient_id\":"
                + "\"" + phone.substring(1) + "\",\"biz_opaque_callback_data\":\"" + id + "\"}]},\"field\":\"messages\"}]}]}", "app-secret");
        assertThat(webhook.status()).as(webhook.body()).isEqualTo(200);
    }

    private UUID sendAndAwaitItsRetry(String phone) {
        Api.Response sent = Fixtures.sendOrderWith(api, "meta-stand-in", "with_image", "en", phone,
                List.of("https://cdn.example/a.png"), List.of());
        UUID id = UUID.fromString(sent.json().path("messageId").asString());
        await().atMost(PATIENCE).until(() -> META.requestsTo(phone).size() == 1 && nextAttempt(id) != null
                && nextAttempt(id).isAfter(clock.instant()));
        return id;
    }

    private Instant nextAttempt(UUID id) {
        OffsetDateTime next = jdbc.sql("SELECT next_attempt_at FROM messages WHERE id = ?").param(id)
                .query(OffsetDateTime.class).single();
        return next == null ? null : next.toInstant();
    }
}
