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
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * A send still on the wire when its lease runs out (the node's clock jumped, or the node paused longer than the
 * lease): the node that has it claims it again, as any node would, and does not send it a second time. And a send the
 * provider took whose recording fails, sent again when its lease ends (the one way Reach itself sends twice): the log
 * names the message and the provider's id.
 */
@ExtendWith(OutputCaptureExtension.class)
class SendsUnderWayIT {

    private static final Duration PATIENCE = Duration.ofSeconds(20);

    @Test
    void aWhatsAppMessageStillOnTheWireWhenItsLeaseRunsOutIsNotSentAgainByItsNode() {
        CountDownLatch answer = new CountDownLatch(1);
        try (FakeProvider meta = new FakeProvider(heldUntil(answer, (n, request) -> FakeProvider.metaAccepted(n)));
             ReachNode node = ReachNode.start("whatsapp-under-way", TestDatabase.fresh(), Map.of("reach.sandbox.enabled", "false"))) {
            Api api = node.api();
            String id = sendWhatsAppThrough(api, meta, "9301");

            assertClaimedAgainWhileUnderWayAndSentOnce(api, id, meta, answer);
        }
    }

    @Test
    void aSendTheProviderTookButReachCouldNotRecordIsAnErrorThatNamesTheMessageAndTheProvidersId(CapturedOutput output) {
        // An id longer than any provider gives (and than the column holds): its recording fails for good, at once.
        String longId = "wamid." + "x".repeat(300);
        try (FakeProvider meta = new FakeProvider((n, request) -> new FakeProvider.Answer(200,
                "{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":\"x\",\"wa_id\":\"x\"}],"
                        + "\"messages\":[{\"id\":\"" + longId + "\"}]}"));
             ReachNode node = ReachNode.start("unrecorded", TestDatabase.fresh(), Map.of("reach.sandbox.enabled", "false"))) {
            Api api = node.api();
            String id = sendWhatsAppThrough(api, meta, "9401");

            String taken = "Message " + id + " was taken by its provider";
            await().atMost(PATIENCE).until(() -> output.getOut().contains(taken));
            String line = output.getOut().lines().filter(l -> l.contains(taken)).findFirst().orElseThrow();
            assertThat(line).contains("ERROR").contains(longId).contains("it is sent again when its lease ends")
                    .containsIgnoringCase("too long");
            assertThat(meta.requests()).as("sends Meta got").hasSize(1);
            assertThat(api.get("/api/v1/messages/" + id).json().path("status").asString()).isEqualTo("queued");
        }
    }

    /** Registers a WhatsApp sender whose Graph API is {@code meta}, and sends one template through it; the message's id. */
    private static String sendWhatsAppThrough(Api api, FakeProvider meta, String suffix) {
        String name = "through-" + suffix;
        Api.Response sender = api.post("/api/v1/senders", Map.of("name", name, "phoneNumberId", "10654035224" + suffix,
                "wabaId", "10229012934" + suffix, "displayNumber", "+1555078" + suffix, "accessToken", "EAAJB-token-" + suffix,
                "appSecret", "secret-" + suffix, "verifyToken", "verify-" + suffix, "graphApiBaseUrl", meta.baseUrl(),
                "graphApiVersion", "v21.0"));
        assertThat(sender.status()).as(sender.body()).isEqualTo(201);
        Fixtures.orderTemplate(api, "order_" + suffix);
        String phone = "+3161234" + suffix;
        Fixtures.consentingContact(api, phone);
        return Fixtures.sendOrderWith(api, name, "order_" + suffix, "en_US", phone, List.of("A-1"), List.of("Anna", "A-1"))
                .json().path("messageId").asString();
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
