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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * A send the provider took whose recording fails: the message is sent again when its lease ends, the one way Reach
 * itself sends twice, so the log names the message and the provider's id for whoever answers the customer.
 */
@ExtendWith(OutputCaptureExtension.class)
class UnrecordedSendsIT {

    @Test
    void aSendTheProviderTookButReachCouldNotRecordIsAnErrorThatNamesTheMessageAndTheProvidersId(CapturedOutput output) {
        // An id longer than any provider gives (and than the column holds): its recording fails for good, at once.
        String longId = "wamid." + "x".repeat(300);
        try (FakeProvider meta = new FakeProvider((n, request) -> new FakeProvider.Answer(200,
                "{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":\"x\",\"wa_id\":\"x\"}],"
                        + "\"messages\":[{\"id\":\"" + longId + "\"}]}"));
             ReachNode node = ReachNode.start("unrecorded", TestDatabase.fresh(), Map.of("reach.sandbox.enabled", "false"))) {
            Api api = node.api();
            Api.Response sender = api.post("/api/v1/senders", Map.of("name", "unrecorded", "phoneNumberId", "106540352249401",
                    "wabaId", "102290129349401", "displayNumber", "+15550789401", "accessToken", "EAAJB-unrecorded-token",
                    "appSecret", "unrecorded-secret", "verifyToken", "unrecorded", "graphApiBaseUrl", meta.baseUrl(),
                    "graphApiVersion", "v21.0"));
            assertThat(sender.status()).as(sender.body()).isEqualTo(201);
            Fixtures.orderTemplate(api, "order_unrecorded");
            String phone = "+31612349401";
            Fixtures.consentingContact(api, phone);
            String id = Fixtures.sendOrderWith(api, "unrecorded", "order_unrecorded", "en_US", phone, List.of("A-1"),
                    List.of("Anna", "A-1")).json().path("messageId").asString();

            await().atMost(Duration.ofSeconds(20)).until(() -> output.getOut().contains("Message " + id + " was taken by its provider"));
            String line = output.getOut().lines().filter(l -> l.contains("Message " + id + " was taken by its provider"))
                    .findFirst().orElseThrow();
            assertThat(line).contains("ERROR").contains(longId).contains("it is sent again when its lease ends")
                    .containsIgnoringCase("too long");
            assertThat(meta.requests()).as("sends Meta got").hasSize(1);
            assertThat(api.get("/api/v1/messages/" + id).json().path("status").asString()).isEqualTo("queued");
        }
    }
}
