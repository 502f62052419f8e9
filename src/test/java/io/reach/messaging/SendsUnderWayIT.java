package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.support.Api;
import io.reach.support.FakeProvider;
import io.reach.support.Fixtures;
import io.reach.support.ReachNode;
import io.reach.support.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * A send still on the wire when its lease runs out (the node's clock jumped, or the node paused longer than the
 * lease): the node that has it claims it again, as any node would, and does not send it a second time.
 */
class SendsUnderWayIT {

    private static final Duration PATIENCE = Duration.ofSeconds(20);

    @Test
    void aWhatsAppMessageStillOnTheWireWhenItsLeaseRunsOutIsNotSentAgainByItsNode() {
        CountDownLatch answer = new CountDownLatch(1);
        try (FakeProvider meta = new FakeProvider(heldUntil(answer, (n, request) -> FakeProvider.metaAccepted(n)));
             ReachNode node = ReachNode.start("whatsapp-under-way", TestDatabase.fresh(), Map.of("reach.sandbox.enabled", "false"))) {
            Api api = node.api();
            Api.Response sender = api.post("/api/v1/senders", Map.of("name", "held", "phoneNumberId", "106540352249301",
                    "wabaId", "102290129349301", "displayNumber", "+15550789301", "accessToken", "EAAJB-under-way-token",
                    "appSecret", "under-way-secret", "verifyToken", "under-way", "graphApiBaseUrl", meta.baseUrl(),
                    "graphApiVersion", "v21.0"));
            assertThat(sender.status()).as(sender.body()).isEqualTo(201);
            Fixtures.orderTemplate(api, "order_under_way");
            String phone = "+31612349301";
            Fixtures.consentingContact(api, phone);
            String id = Fixtures.sendOrderWith(api, "held", "order_under_way", "en_US", phone, List.of("A-1"),
                    List.of("Anna", "A-1")).json().path("messageId").asString();

            assertClaimedAgainWhileUnderWayAndSentOnce(api, id, meta, answer);
        }
    }

    @Test
    void aCallStillOnTheWireWhenItsLeaseRunsOutIsNotPlacedAgainByItsNode() {
        CountDownLatch answer = new CountDownLatch(1);
        String account = "AC" + "0".repeat(32);
        try (FakeProvider twilio = new FakeProvider(heldUntil(answer, (n, request) -> new FakeProvider.Answer(201,
                "{\"sid\":\"CA" + String.format("%032x", n) + "\",\"status\":\"queued\",\"account_sid\":\"" + account + "\"}")));
             ReachNode node = ReachNode.start("voice-under-way", TestDatabase.fresh(), Map.of("reach.sandbox.enabled", "false"))) {
            Api api = node.api();
            Api.Response sender = api.post("/api/v1/senders", Map.of("name", "held-voice", "channel", "voice",
                    "provider", "twilio", "fromAddress", "+14155559301", "secret", "under-way-auth-token",
                    "settings", Map.of("accountSid", account, "baseUrl", twilio.baseUrl())));
            assertThat(sender.status()).as(sender.body()).isEqualTo(201);
            String phone = "+31612349302";
            Fixtures.consentingContact(api, phone);
            Api.Response call = api.post("/api/v1/messages/voice", Map.of("sender", "held-voice", "to", phone,
                    "text", "Your order is ready.", "category", "utility"));
            assertThat(call.status()).as(call.body()).isEqualTo(202);

            assertClaimedAgainWhileUnderWayAndSentOnce(api, call.json().path("messageId").asString(), twilio, answer);
        }
    }

    /** The provider's answer to each send, once {@code answer} is released. */
    private static BiFunction<Integer, FakeProvider.Request, FakeProvider.Answer> heldUntil(
            CountDownLatch answer, BiFunction<Integer, FakeProvider.Request, FakeProvider.Answer> then) {
        return (n, request) -> {
            try {
                answer.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return then.apply(n, request);
        };
    }

    private static void assertClaimedAgainWhileUnderWayAndSentOnce(Api api, String id, FakeProvider provider,
                                                                   CountDownLatch answer) {
        await().atMost(PATIENCE).until(() -> provider.requests().size() == 1);

        // Past the minute's lease while the provider holds its answer: the next claim takes the message again.
        ReachNode.CLOCK.advance(Duration.ofSeconds(61));
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/messages/" + id).json().path("attempts").asInt() == 2);
        answer.countDown();

        await().atMost(PATIENCE).until(() -> "submitted".equals(api.get("/api/v1/messages/" + id).json().path("status").asString()));
        assertThat(provider.requests()).as("sends the provider got").hasSize(1);
        assertThat(Fixtures.timeline(api, id)).containsExactly("queued", "submitted");
    }
}
