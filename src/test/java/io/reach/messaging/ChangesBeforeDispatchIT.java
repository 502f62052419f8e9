package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.contact.Contact;
import io.reach.contact.Contacts;
import io.reach.contact.PersonalData;
import io.reach.messaging.sms.SendSmsRequest;
import io.reach.messaging.sms.SmsSending;
import io.reach.shared.MessageCategory;
import io.reach.support.Api;
import io.reach.support.Fixtures;
import io.reach.support.ReachIntegrationTest;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * A send reads its contact, then records its message: an opt-out, a consent withdrawal, a number change or an
 * erasure that commits in between withdraws the contact's queued messages without seeing that one. Each test makes
 * that interleaving happen in order (the contact read, the change made through the API, then the message sent from the
 * contact as it was read, as a journey's step or an API send whose read came first would) and asserts that the
 * dispatcher withdraws the message instead of handing it to its provider (the sandbox's Twilio, over HTTP).
 */
class ChangesBeforeDispatchIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @Autowired
    Contacts contacts;

    @Autowired
    SmsSending sms;

    @Test
    void aMessageMadeForAContactReadBeforeItOptedOutIsWithdrawnNotSent() {
        JsonNode message = sentAfter("+31612350871", contact -> patch(contact, Map.of("optedOut", true)));

        assertThat(message.path("blockedReason").asString()).isEqualTo(Recipients.OPTED_OUT);
    }

    @Test
    void aMessageMadeForAContactReadBeforeItWithdrewItsConsentIsWithdrawnNotSent() {
        JsonNode message = sentAfter("+31612350872", contact -> patch(contact, Map.of("consent", Map.of("utility", false))));

        assertThat(message.path("blockedReason").asString())
                .isEqualTo(Recipients.noConsent(MessageCategory.UTILITY));
    }

    @Test
    void aMessageMadeForAContactsOldNumberAfterTheNumberChangedIsWithdrawnNotSent() {
        JsonNode message = sentAfter("+31612350873", contact -> patch(contact, Map.of("phone", "+31612350883")));

        assertThat(message.path("blockedReason").asString()).isEqualTo(Recipients.NUMBER_CHANGED);
    }

    @Test
    void aMessageMadeForAContactReadBeforeItWasErasedIsWithdrawnAndEmptiedOfTheNumberNotSent() {
        JsonNode message = sentAfter("+31612350874", contact -> {
            Api.Response erased = api.delete("/api/v1/contacts/" + contact);
            assertThat(erased.status()).as(erased.body()).isEqualTo(200);
        });

        assertThat(message.path("blockedReason").asString()).isEqualTo(PersonalData.ERASED);
        assertThat(message.has("recipient")).as(message.toString()).isFalse();
        assertThat(message.has("renderedText")).as(message.toString()).isFalse();
        assertThat(message.toString()).doesNotContain("612350874");
    }

    @Test
    void aMessageMadeForAContactThatDidNotChangeGoesOut() {
        UUID id = UUID.fromString(Fixtures.consentingContact(api, "+31612350875").path("id").asString());
        Contact read = contacts.get(id);

        String messageId = send(read);

        JsonNode message = await().atMost(PATIENCE).until(() -> api.get("/api/v1/messages/" + messageId).json(),
                m -> !"queued".equals(m.path("status").asString()));
        assertThat(message.has("blockedReason")).as(message.toString()).isFalse();
        assertThat(message.path("timeline").valueStream().map(e -> e.path("status").asString())).contains("submitted");
    }

    /**
     * Reads a new consenting contact of {@code phone}, applies {@code change} to it through the API, then sends it an
     * SMS made from the contact as it was read; the message once its dispatcher is done with it, never handed over.
     */
    private JsonNode sentAfter(String phone, Consumer<String> change) {
        UUID id = UUID.fromString(Fixtures.consentingContact(api, phone).path("id").asString());
        Contact read = contacts.get(id);
        change.accept(id.toString());

        String messageId = send(read);

        JsonNode message = await().atMost(PATIENCE).until(() -> api.get("/api/v1/messages/" + messageId).json(),
                m -> !"queued".equals(m.path("status").asString()));
        // Never handed to its provider: a message it took is recorded submitted first.
        assertThat(message.path("timeline").valueStream().map(e -> e.path("status").asString()))
                .as(message.toString()).containsExactly("queued", "blocked");
        return message;
    }

    private String send(Contact read) {
        SendResult sent = sms.send(new SendSmsRequest("sandbox-twilio-sms", null, read.id().toString(), "Your code is 1234",
                "utility", "changes-before-dispatch", null), null, read, false);
        assertThat(sent.status()).isEqualTo(MessageStatus.QUEUED);
        return sent.messageId().toString();
    }

    private void patch(String contact, Map<String, Object> change) {
        Api.Response changed = api.patch("/api/v1/contacts/" + contact, change);
        assertThat(changed.status()).as(changed.body()).isEqualTo(200);
    }
}
