package io.reach.messaging.whatsapp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.messaging.Messages;
import io.reach.sender.Sender;
import io.reach.sender.Senders;
import io.reach.support.Api;
import io.reach.support.FakeProvider;
import io.reach.support.Fixtures;
import io.reach.support.MutableClock;
import io.reach.support.MutableClockConfiguration;
import io.reach.support.ReachIntegrationTest;
import io.reach.support.TestDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * A WhatsApp sender's messaging limit, over real HTTP against a stand-in for Meta: the numbers reached outside a
 * customer-service window in a moving 24 hours are counted, and a message past the limit is blocked before Meta
 * sees it; the clock moves the day on.
 */
@Import(MutableClockConfiguration.class)
@TestPropertySource(properties = {"reach.sandbox.enabled=false"})
class MessagingLimitsIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static final FakeProvider META = FakeProvider.metaGraphApi();
    private static final String APP_SECRET = "limits-app-secret";
    private static final String LIMITED_PHONE_NUMBER_ID = "106540352249001";
    private static final String ONE_A_DAY_PHONE_NUMBER_ID = "106540352249004";
    private static final Instant START = MutableClockConfiguration.START;


    // The racing sends wait for the count row while the test holds it: longer than H2's default (2 s) on a slow day.
    @DynamicPropertySource
    static void lockTimeout(DynamicPropertyRegistry registry) {
        TestDatabase.registerLockTimeout(registry, Duration.ofSeconds(20));
    }

    @Autowired
    MutableClock clock;

    @Autowired
    MessagingLimits limits;

    @Autowired
    Senders senders;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    DataSource dataSource;

    @AfterAll
    static void stopMeta() {
        META.close();
    }

    @BeforeEach
    void setUp() {
        if (api.get("/api/v1/senders").json().isEmpty()) {
            // An SMS sender listed before the WhatsApp numbers: it has no WABA, which a webhook's look-up must bear.
            Api.Response sms = api.post("/api/v1/senders", Map.of("name", "sms-first", "channel", "sms",
                    "provider", "twilio", "fromAddress", "+14155552608", "secret", "twilio-token",
                    "settings", Map.of("accountSid", "AC00000000000000000000000000000001",
                            "baseUrl", "http://127.0.0.1:9")));
            assertThat(sms.status()).as(sms.body()).isEqualTo(201);
            register("two-a-day", LIMITED_PHONE_NUMBER_ID, 2);
            register("five-a-day", "106540352249002", 5);
            register("three-a-day", "106540352249003", 3);
            register("one-a-day", ONE_A_DAY_PHONE_NUMBER_ID, 1);
            Fixtures.orderTemplate(api, "order_ready_limits");
        }
    }

    @Test
    void blocksNumbersPastTheLimitUntilTheirDayHasPassedWhileCountedNumbersAndOpenWindowsStayFree() {
        String writer = "+31612349001";
        String first = "+31612349002";
        String second = "+31612349003";
        String third = "+31612349004";
        for (String phone : List.of(writer, first, second, third)) {
            Fixtures.consentingContact(api, phone);
        }
        // The writer opened a customer-service window with the number: messages to it do not count.
        postSigned(inboundText(writer, "wamid.limits-in-1", "Where is my order?"));
        await().atMost(PATIENCE).until(() -> !api.get("/api/v1/inbound-messages?contactId=" + contactId(writer)).json().isEmpty());

        assertThat(sendAndAwaitOutcome("two-a-day", writer).path("status").asString()).isEqualTo("submitted");
        Instant firstReached = clock.instant();
        assertThat(sendAndAwaitOutcome("two-a-day", first).path("status").asString()).isEqualTo("submitted");
        clock.advance(Duration.ofHours(1));
        assertThat(sendAndAwaitOutcome("two-a-day", second).path("status").asString()).isEqualTo("submitted");
        assertThat(sendAndAwaitOutcome("two-a-day", first).path("status").asString())
                .as("a number counted already costs nothing more").isEqualTo("submitted");
        assertThat(sendAndAwaitOutcome("two-a-day", writer).path("status").asString()).isEqualTo("submitted");

        JsonNode refused = sendAndAwaitOutcome("two-a-day", third);
        assertThat(refused.path("status").asString()).isEqualTo("blocked");
        assertThat(refused.path("blockedReason").asString()).isEqualTo("over the messaging limit: two-a-day has reached its 2"
                + " numbers outside a customer-service window in the last 24 hours; it has room again from " + firstReached.plus(Duration.ofDays(1)));
        assertThat(META.requestsTo(third)).as("Meta never saw it").isEmpty();
        JsonNode usage = api.get("/api/v1/senders/two-a-day/messaging-limit").json();
        assertThat(usage.path("limit").asInt()).isEqualTo(2);
        assertThat(usage.path("reached").asInt()).as("the writer's number is not counted").isEqualTo(2);
        assertThat(usage.path("room").asInt()).isZero();
        assertThat(usage.path("nextRoomAt").asString()).isEqualTo(firstReached.plus(Duration.ofDays(1)).toString());
        assertThat(api.get("/api/v1/senders/sms-first/messaging-limit").status()).isEqualTo(404);

        // The first number's day has passed (the second's has not): room for one more.
        clock.advance(Duration.ofHours(23));
        assertThat(sendAndAwaitOutcome("two-a-day", third).path("status").asString()).isEqualTo("submitted");
        assertThat(sendAndAwaitOutcome("two-a-day", first).path("status").asString())
                .as("its day passed, and both rooms are taken again").isEqualTo("blocked");

        assertThat(META.requestsTo(writer)).hasSize(2);
        assertThat(META.requestsTo(first)).hasSize(2);
        assertThat(META.requestsTo(second)).hasSize(1);
        assertThat(META.requestsTo(third)).hasSize(1);
    }

    @Test
    void aNumberWhoseMessageFailedTakesNoRoomWhetherMetaRefusedItAtOnceOrSaidSoLater() {
        String notOnWhatsApp = "+31612349041";
        String failsLater = "+31612349042";
        String third = "+31612349043";
        for (String phone : List.of(notOnWhatsApp, failsLater, third)) {
            Fixtures.consentingContact(api, phone);
        }

        META.answerNext(400, FakeProvider.metaError(131026, "Message Undeliverable."));
        assertThat(sendAndAwaitOutcome("one-a-day", notOnWhatsApp).path("status").asString()).isEqualTo("failed");
        JsonNode submitted = sendAndAwaitOutcome("one-a-day", failsLater);
        assertThat(submitted.path("status").asString()).as("the refused number gave its room back").isEqualTo("submitted");
        assertThat(sendAndAwaitOutcome("one-a-day", third).path("status").asString()).isEqualTo("blocked");

        // Meta's webhook says the submitted one failed: its room comes back too.
        postSigned(failedStatus(ONE_A_DAY_PHONE_NUMBER_ID, submitted.path("providerMessageId").asString(), failsLater));
        await().atMost(PATIENCE).until(() -> "failed".equals(status(submitted.path("id").asString())));
        assertThat(sendAndAwaitOutcome("one-a-day", third).path("status").asString()).isEqualTo("submitted");
        assertThat(META.requestsTo(third)).hasSize(1);
    }

    @Test
    void sendsRacingForTheLastRoomsNeverGoPastTheLimit() throws Exception {
        Sender sender = senders.findByName("three-a-day").orElseThrow().sender();
        jdbc.sql("INSERT INTO messaging_limit_counts (sender_id, reached) VALUES (?, 0)").param(sender.id()).update();
        int racing = 8;
        List<Messages.Outbound> messages = IntStream.range(0, racing).mapToObj(i -> new Messages.Outbound(UUID.randomUUID(),
                sender.id(), null, "+3161234920" + i, "{}", 1)).toList();
        ExecutorService sends = Executors.newFixedThreadPool(racing);
        List<Future<Optional<MessagingLimits.Refusal>>> refusals;
        // As many sends as dispatchers on several nodes, all at the count together: the test holds the sender's count
        // until every one of them waits for it, then lets them go.
        try (Connection holder = TestDatabase.holdRowLock(dataSource,
                "SELECT reached FROM messaging_limit_counts WHERE sender_id = ? FOR UPDATE", sender.id())) {
            refusals = messages.stream().map(message -> sends.submit(() -> limits.refusal(message, sender))).toList();
            await().atMost(PATIENCE).until(() -> TestDatabase.sessionsWaitingForALock(jdbc, "messaging_limit_counts") == racing);
            holder.commit();
        }
        List<Optional<MessagingLimits.Refusal>> outcomes = new ArrayList<>();
        for (var refusal : refusals) {
            outcomes.add(refusal.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        }
        sends.shutdown();
        assertThat(outcomes.stream().filter(Optional::isEmpty).count()).as("sent").isEqualTo(3);
        assertThat(outcomes.stream().filter(Optional::isPresent).count()).as("refused").isEqualTo(racing - 3);
        assertThat(jdbc.sql("SELECT reached FROM messaging_limit_counts WHERE sender_id = ?").param(sender.id())
                .query(Integer.class).single()).isEqualTo(3);
        assertThat(jdbc.sql("SELECT COUNT(*) FROM messaging_limit_reaches WHERE sender_id = ?").param(sender.id())
                .query(Integer.class).single()).isEqualTo(3);
    }

    @Test
    void theLimitIsSetShownAndLiftedThroughTheSendersApi() {
        JsonNode sender = senderNamed("five-a-day");
        assertThat(sender.path("messagingLimit").asInt()).isEqualTo(5);

        Api.Response negative = api.patch("/api/v1/senders/" + sender.path("id").asString(), Map.of("messagingLimit", -1));
        assertThat(negative.status()).isEqualTo(400);
        assertThat(negative.json().path("message").asString()).startsWith("messagingLimit: must be a number of contacts");
        Api.Response onSms = api.post("/api/v1/senders", Map.of("name", "sms-with-limit", "channel", "sms",
                "provider", "twilio", "fromAddress", "+15550100009", "secret", "twilio-token",
                "settings", Map.of("accountSid", "AC00000000000000000000000000000000"), "messagingLimit", 1000));
        assertThat(onSms.status()).isEqualTo(400);
        assertThat(onSms.body()).contains("only WhatsApp senders have a messaging limit");

        Api.Response lifted = api.patch("/api/v1/senders/" + sender.path("id").asString(), Map.of("messagingLimit", 0));
        assertThat(lifted.status()).as(lifted.body()).isEqualTo(200);
        assertThat(lifted.json().has("messagingLimit")).isFalse();
        Api.Response unchanged = api.patch("/api/v1/senders/" + sender.path("id").asString(), Map.of("throughputPerSecond", 70));
        assertThat(unchanged.json().has("messagingLimit")).isFalse();
        Api.Response set = api.patch("/api/v1/senders/" + sender.path("id").asString(), Map.of("messagingLimit", 5));
        assertThat(set.json().path("messagingLimit").asInt()).isEqualTo(5);
        assertThat(api.patch("/api/v1/senders/" + sender.path("id").asString(), Map.of("throughputPerSecond", 80))
                .json().path("messagingLimit").asInt()).as("a change that leaves it out keeps it").isEqualTo(5);
    }

    @Test
    void followsThePortfoliosMessagingLimitThatMetaSendsSharedBetweenItsNumbers() {
        String waba = "102290129349777";
        // Registered after the SMS sender, so listed after it.
        clock.advance(Duration.ofMinutes(1));
        for (String name : List.of("portfolio-1", "portfolio-2")) {
            Api.Response sender = api.post("/api/v1/senders", Map.of("name", name, "phoneNumberId",
                    "10654035224977" + name.charAt(name.length() - 1), "wabaId", waba, "displayNumber", "+15550787700",
                    "accessToken", "EAAJB-limits-token", "appSecret", APP_SECRET, "verifyToken", "verify-" + name,
                    "graphApiBaseUrl", META.baseUrl()));
            assertThat(sender.status()).as(sender.body()).isEqualTo(201);
        }

        postSigned(capabilityUpdate(waba, "\"max_daily_conversations_per_business\":2000"));
        await().atMost(PATIENCE).until(() -> senderNamed("portfolio-2").path("messagingLimit").asInt() == 1000);
        assertThat(senderNamed("portfolio-1").path("messagingLimit").asInt()).isEqualTo(1000);
        assertThat(senderNamed("two-a-day").path("messagingLimit").asInt()).as("another account's number").isEqualTo(2);

        // Meta's older field, and then an unlimited portfolio.
        postSigned(capabilityUpdate(waba, "\"max_daily_conversation_per_phone\":10000"));
        await().atMost(PATIENCE).until(() -> senderNamed("portfolio-1").path("messagingLimit").asInt() == 5000);
        postSigned(capabilityUpdate(waba, "\"max_daily_conversations_per_business\":-1,\"max_phone_numbers_per_waba\":2"));
        await().atMost(PATIENCE).until(() -> !senderNamed("portfolio-1").has("messagingLimit")
                && !senderNamed("portfolio-2").has("messagingLimit"));
    }

    @Test
    void aNumberAtTheDefaultThroughputFollowsMetasUpgradeAndTheAccountsNumbersFollowTheTierOfItsQualityUpdate() {
        String waba = "102290129348888";
        Map<String, Object> common = Map.of("wabaId", waba, "accessToken", "EAAJB-limits-token", "appSecret", APP_SECRET,
                "graphApiBaseUrl", META.baseUrl());
        Map<String, Object> upgraded = new HashMap<>(common);
        upgraded.putAll(Map.of("name", "upgraded", "phoneNumberId", "106540352248881", "displayNumber", "+1 555 078 8881",
                "verifyToken", "verify-upgraded"));
        Map<String, Object> setByHand = new HashMap<>(common);
        setByHand.putAll(Map.of("name", "set-by-hand", "phoneNumberId", "106540352248882", "displayNumber", "+15550788882",
                "verifyToken", "verify-set-by-hand", "throughputPerSecond", 20));
        for (Map<String, Object> sender : List.of(upgraded, setByHand)) {
            Api.Response created = api.post("/api/v1/senders", sender);
            assertThat(created.status()).as(created.body()).isEqualTo(201);
        }
        assertThat(senderNamed("upgraded").path("throughputPerSecond").asInt()).isEqualTo(80);

        postSigned(qualityUpdate(waba, "\"display_phone_number\":\"15550788881\",\"event\":\"THROUGHPUT_UPGRADE\","
                + "\"max_daily_conversations_per_business\":\"TIER_10K\""));
        await().atMost(PATIENCE).until(() -> senderNamed("upgraded").path("throughputPerSecond").asInt() == 1000);
        assertThat(senderNamed("upgraded").path("messagingLimit").asInt()).isEqualTo(5000);
        assertThat(senderNamed("set-by-hand").path("messagingLimit").asInt()).isEqualTo(5000);

        // A throughput the user set is theirs; a tier not set yet changes no limit; unlimited lifts them.
        postSigned(qualityUpdate(waba, "\"display_phone_number\":\"15550788882\",\"event\":\"THROUGHPUT_UPGRADE\","
                + "\"max_daily_conversations_per_business\":\"TIER_NOT_SET\""));
        assertThat(senderNamed("set-by-hand").path("throughputPerSecond").asInt()).isEqualTo(20);
        assertThat(senderNamed("set-by-hand").path("messagingLimit").asInt()).isEqualTo(5000);
        postSigned(qualityUpdate(waba, "\"display_phone_number\":\"15550788882\",\"event\":\"ONBOARDING\","
                + "\"max_daily_conversations_per_business\":\"TIER_UNLIMITED\""));
        assertThat(senderNamed("upgraded").has("messagingLimit")).isFalse();
        assertThat(senderNamed("set-by-hand").has("messagingLimit")).isFalse();
        assertThat(senderNamed("two-a-day").path("messagingLimit").asInt()).as("another account's number").isEqualTo(2);
    }

    private static String qualityUpdate(String wabaId, String fields) {
        return "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"" + wabaId + "\",\"time\":1764840000,"
                + "\"changes\":[{\"value\":{" + fields + "},\"field\":\"phone_number_quality_update\"}]}]}";
    }

    private static String capabilityUpdate(String wabaId, String fields) {
        return "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"" + wabaId + "\",\"time\":1764840000,"
                + "\"changes\":[{\"value\":{" + fields + "},\"field\":\"business_capability_update\"}]}]}";
    }

    private void register(String name, String phoneNumberId, int messagingLimit) {
        Api.Response sender = api.post("/api/v1/senders", Map.of("name", name, "phoneNumberId", phoneNumberId,
                "wabaId", "102290129349000", "displayNumber", "+1555078" + phoneNumberId.substring(11),
                "accessToken", "EAAJB-limits-token", "appSecret", APP_SECRET, "verifyToken", "verify-" + name,
                "graphApiBaseUrl", META.baseUrl(), "graphApiVersion", "v21.0", "messagingLimit", messagingLimit));
        assertThat(sender.status()).as(sender.body()).isEqualTo(201);
        assertThat(sender.json().path("messagingLimit").asInt()).isEqualTo(messagingLimit);
    }

    private JsonNode sendAndAwaitOutcome(String sender, String phone) {
        Api.Response sent = Fixtures.sendOrder(api, sender, "order_ready_limits", phone);
        assertThat(sent.status()).as(sent.body()).isEqualTo(202);
        String id = sent.json().path("messageId").asString();
        await().atMost(PATIENCE).until(() -> !"queued".equals(status(id)));
        return api.get("/api/v1/messages/" + id).json();
    }

    private String status(String messageId) {
        return api.get("/api/v1/messages/" + messageId).json().path("status").asString();
    }

    private String contactId(String phone) {
        return api.get("/api/v1/contacts?phone=" + phone.replace("+", "%2B")).json().get(0).path("id").asString();
    }

    private JsonNode senderNamed(String name) {
        for (JsonNode sender : api.get("/api/v1/senders").json()) {
            if (name.equals(sender.path("name").asString())) {
                return sender;
            }
        }
        throw new AssertionError("no sender " + name);
    }

    private void postSigned(String payload) {
        Api.Response response = api.postSignedWhatsAppWebhook(payload, APP_SECRET);
        assertThat(response.status()).as(response.body()).isEqualTo(200);
    }

    private String failedStatus(String phoneNumberId, String wamid, String recipient) {
        return "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102290129349000\",\"changes\":[{\"value\":"
                + "{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"15550789004\","
                + "\"phone_number_id\":\"" + phoneNumberId + "\"},\"statuses\":[{\"id\":\"" + wamid + "\",\"status\":\"failed\","
                + "\"timestamp\":\"" + clock.instant().getEpochSecond() + "\",\"recipient_id\":\"" + recipient.substring(1) + "\","
                + "\"errors\":[{\"code\":131026,\"title\":\"Message undeliverable\"}]}]},\"field\":\"messages\"}]}]}";
    }

    private String inboundText(String from, String wamid, String text) {
        String waId = from.substring(1);
        long timestamp = clock.instant().getEpochSecond();
        return "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102290129349000\",\"changes\":[{\"value\":"
                + "{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"15550789001\","
                + "\"phone_number_id\":\"" + LIMITED_PHONE_NUMBER_ID + "\"},\"contacts\":[{\"profile\":{\"name\":\"Kim\"},"
                + "\"wa_id\":\"" + waId + "\"}],\"messages\":[{\"from\":\"" + waId + "\",\"id\":\"" + wamid + "\","
                + "\"timestamp\":\"" + timestamp + "\",\"type\":\"text\",\"text\":{\"body\":\"" + text + "\"}}]},"
                + "\"field\":\"messages\"}]}]}";
    }
}
