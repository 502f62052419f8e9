package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.sandbox.SandboxNetwork;
import io.reach.sandbox.SandboxSmsc;
import io.reach.support.Api;
import io.reach.support.FakeProvider;
import io.reach.support.Fixtures;
import io.reach.support.ReachNode;
import io.reach.support.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Two Reach nodes on one database sending from one WhatsApp number, over real HTTP to a stand-in for Meta: together
 * they keep the number's throughput, as one node would.
 */
class SenderRatesIT {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    /** One send at a time per node, each claiming one message: each node takes the queue's messages one by one. */
    private static final Map<String, String> ONE_AT_A_TIME = Map.of("reach.sandbox.enabled", "false",
            "reach.whatsapp.batch-size", "1", "reach.whatsapp.concurrency", "1");

    @Test
    void twoNodesSendingFromOneNumberTogetherKeepItsThroughput() {
        Map<String, String> database = TestDatabase.fresh();
        try (FakeProvider meta = FakeProvider.metaGraphApi();
             ReachNode one = ReachNode.start("node-one", database, ONE_AT_A_TIME);
             ReachNode two = ReachNode.start("node-two", database, ONE_AT_A_TIME)) {
            Api api = one.api();
            registerNumber(api, "two-a-second", "1", meta, 2);
            Fixtures.orderTemplate(api, "order_ready_rates");
            List<String> phones = IntStream.range(0, 10).mapToObj(i -> "+3161234930" + i).toList();
            phones.forEach(phone -> Fixtures.consentingContact(api, phone));

            List<String> ids = phones.stream().map(phone -> Fixtures.sendOrder(nodeFor(phone, one, two), "two-a-second",
                    "order_ready_rates", phone).json().path("messageId").asString()).toList();

            await().atMost(PATIENCE).until(() -> ids.stream().allMatch(id ->
                    "submitted".equals(api.get("/api/v1/messages/" + id).json().path("status").asString())));
            List<FakeProvider.Request> sends = meta.requests().stream()
                    .sorted(Comparator.comparingLong(FakeProvider.Request::receivedNanos)).toList();
            assertThat(sends).hasSize(phones.size());
            assertThat(phones).allSatisfy(phone -> assertThat(meta.requestsTo(phone)).hasSize(1));
            // Ten turns at two a second span four and a half seconds; half a second is left for the exchanges' delays.
            // Each node keeping the rate on its own would have sent them in about two.
            assertThat(Duration.ofNanos(sends.getLast().receivedNanos() - sends.getFirst().receivedNanos()))
                    .isGreaterThanOrEqualTo(Duration.ofSeconds(4));
            for (int i = 2; i < sends.size(); i++) {
                assertThat(Duration.ofNanos(sends.get(i).receivedNanos() - sends.get(i - 2).receivedNanos()))
                        .as("no second holds more than two of them, give or take the exchanges' delays")
                        .isGreaterThanOrEqualTo(Duration.ofMillis(600));
            }
        }
    }

    @Test
    void twoNodesEachWithItsOwnSmppSessionTogetherKeepTheSendersSubmitRate() {
        Map<String, String> database = TestDatabase.fresh();
        Map<String, String> oneAtATime = Map.of("reach.sandbox.enabled", "false", "reach.messaging.batch-size", "1");
        try (ReachNode sandboxNode = ReachNode.start("sandbox", TestDatabase.fresh(), Map.of(
                     "reach.sandbox.register-senders", "false", "reach.journeys.engine-enabled", "false"));
             ReachNode one = ReachNode.start("node-one", database, oneAtATime);
             ReachNode two = ReachNode.start("node-two", database, oneAtATime)) {
            SandboxSmsc smsc = sandboxNode.bean(SandboxNetwork.class).smsc();
            Api api = one.api();
            Api.Response sender = api.post("/api/v1/senders", Map.of("name", "two-parts-a-second", "channel", "sms",
                    "provider", "smpp", "fromAddress", "Shop", "secret", "sandbox", "settings", Map.of("host", "127.0.0.1",
                            "port", String.valueOf(smsc.port()), "systemId", "reach", "submitsPerSecond", "2")));
            assertThat(sender.status()).as(sender.body()).isEqualTo(201);
            for (ReachNode node : List.of(one, two)) {
                await().atMost(PATIENCE).until(() -> node.api().get("/api/v1/smpp-links").json().valueStream()
                        .anyMatch(link -> link.path("bound").asBoolean()));
            }
            List<String> phones = IntStream.range(0, 8).mapToObj(i -> "+3161234940" + i).toList();
            phones.forEach(phone -> Fixtures.consentingContact(api, phone));

            List<String> ids = phones.stream().map(phone -> nodeFor(phone, one, two).post("/api/v1/messages/sms",
                    Map.of("sender", "two-parts-a-second", "to", phone, "text", "Order ready", "category", "utility"))
                    .json().path("messageId").asString()).toList();

            await().atMost(PATIENCE).until(() -> phones.stream().allMatch(phone -> smsc.submitsTo(phone).size() == 1));
            List<Instant> submits = phones.stream().map(phone -> smsc.submitsTo(phone).getFirst().receivedAt())
                    .sorted().toList();
            // Eight turns at two a second span three and a half seconds; each session on its own would take under two.
            assertThat(Duration.between(submits.getFirst(), submits.getLast())).isGreaterThanOrEqualTo(Duration.ofSeconds(3));
            await().atMost(PATIENCE).until(() -> ids.stream().noneMatch(id ->
                    "queued".equals(api.get("/api/v1/messages/" + id).json().path("status").asString())));
        }
    }

    @Test
    void anOrderUpdateGoesAheadOfABroadcastQueuedAtTheNumbersThroughput() {
        try (FakeProvider meta = FakeProvider.metaGraphApi();
             ReachNode node = ReachNode.start("queue", TestDatabase.fresh(), ONE_AT_A_TIME)) {
            Api api = node.api();
            registerNumber(api, "four-a-second", "2", meta, 4);
            Api.Response sale = api.post("/api/v1/templates", Map.of("name", "sale_rates", "language", "en_US",
                    "category", "marketing", "components", List.of(Map.of("type", "BODY", "text", "Hi {{1}}, our sale starts today."))));
            assertThat(sale.status()).as(sale.body()).isEqualTo(201);
            Fixtures.orderTemplate(api, "order_ready_queue");
            List<String> audience = IntStream.range(0, 12).mapToObj(i -> "+316123495" + String.format("%02d", i)).toList();
            String customer = "+31612349599";
            audience.forEach(phone -> Fixtures.consentingContact(api, phone));
            Fixtures.consentingContact(api, customer);

            audience.forEach(phone -> Fixtures.sendOrderWith(api, "four-a-second", "sale_rates", "en_US", phone, List.of(),
                    List.of("Ann")));
            // The sale goes out while it is being queued, the faster the slower this machine queues it: what counts is
            // where the update goes among the sends after it was queued.
            int sentBefore = meta.requests().size();
            assertThat(sentBefore).as("most of the sale is still queued when the update comes").isLessThan(audience.size() - 2);
            String update = Fixtures.sendOrder(api, "four-a-second", "order_ready_queue", customer).json().path("messageId").asString();

            await().atMost(PATIENCE).until(() -> meta.requests().size() == audience.size() + 1);
            List<String> order = meta.requests().stream().sorted(Comparator.comparingLong(FakeProvider.Request::receivedNanos))
                    .map(FakeProvider.Request::body).toList();
            // The one the dispatcher held when it was queued, and one on its way to Meta, may go first; it goes next,
            // ahead of the rest of the sale.
            int place = IntStream.range(0, order.size()).filter(i -> order.get(i).contains("\"to\":\"" + customer + "\""))
                    .findFirst().orElseThrow();
            assertThat(place).as(order.toString()).isLessThanOrEqualTo(sentBefore + 2);
            assertThat(api.get("/api/v1/messages/" + update).json().path("status").asString()).isEqualTo("submitted");
        }
    }

    /** A WhatsApp number of the stand-in for Meta, at {@code perSecond} messages a second. */
    private static void registerNumber(Api api, String name, String digit, FakeProvider meta, int perSecond) {
        Api.Response sender = api.post("/api/v1/senders", Map.of("name", name, "phoneNumberId", "10654035224800" + digit,
                "wabaId", "102290129348000", "displayNumber", "+1555078800" + digit, "accessToken", "EAAJB-rates-token",
                "appSecret", "rates-app-secret", "verifyToken", "rates-verify", "graphApiBaseUrl", meta.baseUrl(),
                "graphApiVersion", "v21.0", "throughputPerSecond", perSecond));
        assertThat(sender.status()).as(sender.body()).isEqualTo(201);
    }

    /** The node whose API queues a message: each queues half, as a load balancer would spread them. */
    private static Api nodeFor(String phone, ReachNode one, ReachNode two) {
        return phone.charAt(phone.length() - 1) % 2 == 0 ? one.api() : two.api();
    }
}
