package io.reach.messaging.whatsapp;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.sender.Sender;
import io.reach.sender.WhatsAppAccount;
import io.reach.sender.WhatsAppCredentials;
import io.reach.support.FakeProvider;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.json.JsonMapper;

/** The Cloud API client against a loopback server whose answers come whole, or stall after their headers. */
class CloudApiClientTest {

    private static final Duration REQUEST_TIMEOUT = Duration.ofMillis(500);

    private final FakeProvider meta = new FakeProvider((n, request) -> new FakeProvider.Answer(200,
            "{\"messaging_product\":\"whatsapp\",\"messages\":[{\"id\":\"wamid.HBgL\"}]}"));
    private final CloudApiClient client = new CloudApiClient(new WhatsAppSettings(Duration.ofSeconds(5), REQUEST_TIMEOUT,
            true, 100, 32, 8, Duration.ofSeconds(1), Duration.ofMinutes(5), Duration.ofSeconds(60), Duration.ofMillis(500),
            WhatsAppSettings.OverMessagingLimit.BLOCK, Duration.ofSeconds(60)),
            JsonMapper.builder().build());

    @AfterEach
    void stop() {
        meta.close();
    }

    @Test
    void takesTheMessageIdFromAWholeAnswer() {
        assertThat(client.send(account("answers"), "{}", UUID.randomUUID().toString()))
                .isEqualTo(new SendOutcome.Accepted("wamid.HBgL"));
    }

    @Test
    @Timeout(20) // a bound, so that a client waiting for ever fails the test instead of hanging the build
    void retriesASendWhoseAnswerStallsAfterItsHeadersOnceTheRequestTimeoutIsOver() {
        // Without a bound on the body, the send (and its dispatcher thread) would wait for the rest for ever, and its
        // message, once its lease ran out, would be claimed and sent a second time.
        meta.stallNext();
        SendOutcome outcome = client.send(account("stalls"), "{}", UUID.randomUUID().toString());
        assertThat(outcome).isInstanceOf(SendOutcome.Retry.class);
        assertThat(((SendOutcome.Retry) outcome).error().title()).isEqualTo("Timed out waiting for Meta's answer; retrying");
        assertThat(((SendOutcome.Retry) outcome).answerLost()).as("the request went out: Meta may have taken it").isTrue();
    }

    @Test
    void aServerErrorIsAnAnswerAndNoConnectionSentNothingSoNeitherLostAnAnswer() {
        meta.answerNext(503, "<html>Service Unavailable</html>");
        SendOutcome unavailable = client.send(account("unavailable"), "{}", UUID.randomUUID().toString());
        assertThat(unavailable).isInstanceOfSatisfying(SendOutcome.Retry.class, retry -> assertThat(retry.answerLost()).isFalse());

        meta.close();
        SendOutcome unreachable = client.send(account("unreachable"), "{}", UUID.randomUUID().toString());
        assertThat(unreachable).isInstanceOfSatisfying(SendOutcome.Retry.class, retry -> {
            assertThat(retry.error().title()).isEqualTo("Could not reach Meta's Cloud API; retrying");
            assertThat(retry.answerLost()).isFalse();
        });
    }

    @Test
    void metaAskingToSendMoreSlowlyIsNotARefusalOfTheMessage() {
        meta.answerNext(400, FakeProvider.metaError(130429, "(#130429) Rate limit hit"));
        assertThat(client.send(account("throughput"), "{}", UUID.randomUUID().toString()))
                .isInstanceOfSatisfying(SendOutcome.SlowDown.class, slow -> assertThat(slow.error().code()).isEqualTo(130429));
        meta.answerNext(429, "");
        assertThat(client.send(account("too-many"), "{}", UUID.randomUUID().toString()))
                .isInstanceOfSatisfying(SendOutcome.SlowDown.class, slow -> assertThat(slow.error().code()).isEqualTo(429));
        // Too many messages to one recipient: that message waits for its recipient, not for its sender's pace.
        meta.answerNext(400, FakeProvider.metaError(131056, "(#131056) Pair rate limit hit"));
        assertThat(client.send(account("pair"), "{}", UUID.randomUUID().toString())).isInstanceOf(SendOutcome.Retry.class);
    }

    private WhatsAppAccount account(String phoneNumberId) {
        Sender sender = new Sender(UUID.randomUUID(), "meta-stand-in", Sender.WHATSAPP, Sender.META, phoneNumberId, "waba",
                "+15550783881", meta.baseUrl(), "v21.0", null, Map.of(), 80, null, false,
                true, true, true, null, Instant.parse("2026-03-02T09:00:00Z"), Instant.parse("2026-03-02T09:00:00Z"));
        return new WhatsAppAccount(sender, new WhatsAppCredentials("EAAJB-secret-token", "app-secret", "verify"));
    }

    @Test
    void tellsARefusalOfTheSenderFromOneOfTheMessageOrItsRecipient() {
        assertThat(MetaErrors.concernsTheSender(190)).as("an expired access token").isTrue();
        assertThat(MetaErrors.concernsTheSender(131031)).as("a locked account").isTrue();
        assertThat(MetaErrors.concernsTheSender(250)).as("a permission error").isTrue();
        assertThat(MetaErrors.concernsTheSender(401)).as("HTTP 401 without a code").isTrue();
        assertThat(MetaErrors.concernsTheSender(131026)).as("a recipient not on WhatsApp").isFalse();
        assertThat(MetaErrors.concernsTheSender(132001)).as("a template not approved").isFalse();
        assertThat(MetaErrors.concernsTheSender(100)).as("an invalid parameter of the message").isFalse();
    }
}
