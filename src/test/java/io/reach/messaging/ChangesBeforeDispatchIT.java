package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.contact.Contact;
import io.reach.contact.Contacts;
import io.reach.messaging.sms.SendSmsRequest;
import io.reach.messaging.sms.SmsSending;
import io.reach.sandbox.SandboxNetwork;
import io.reach.sandbox.SandboxSmsc;
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
 * dispatcher withdraws the message instead of sending it, over real SMPP with the sandbox's SMSC.
 */
class ChangesBeforeDispatchIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @Autowired
    SandboxNetwork sandbox;

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
                .isEqualTo(Recipients.noConsent(io.reach.shared.MessageCategory.UTILITY));
    }

    @Test
    void aMessageMadeForAContactsOldNumberAfterTheNumberChangedIsWithdrawnNotSent() {
        JsonNode message = sentAfter("+31612350873", contact -> patch(contact, Map.of("phone", "+31612350883")));

        assertThat(message.path("blockedReason").asString()).isEqualTo(Recipients.NUMBER_CHANGED);
        assertThat(sandbox.smsc().submitsTo("+31612350883")).isEmpty();
    }

    @Test
    void aMessageMadeForAContactReadBeforeItWasErasedIsWithdrawnAndEmptiedOfTheNumberNotSent() {
        JsonNode message = sentAfter("+31612350874", contact -> {
            Api.Response erased = api.delete("/api/v1/contacts/" + contact);
            assertThat(erased.status()).as(erased.body()).isEqualTo(200);
        });

        assertThat(message.path("blockedReason").asString()).isEqualTo(io.reach.contact.PersonalData.ERASED);
        assertThat(message.has("recipient")).as(message.toString()).isFalse();
        assertThat(message.has("renderedText")).as(message.toString()).isFalse();
        assertThat(message.toString()).doesNotContain("612350874");
    }

    @Test
    void aMessageMadeForAContactThatDidNotChangeGoesOut() {
        SandboxSmsc smsc = smsc();
        String phone = "+31612350875";
        UUID id = UUID.fromString(Fixtures.consentingContact(api, phone).path("id").asString());
        Contact read = contacts.get(id);

        String messageId = send(read);

        await().atMost(PATIENCE).until(() -> smsc.submitsTo(phone).size() == 1);
        assertThat(api.get("/api/v1/messages/" + messageId).json().has("blockedReason")).isFalse();
    }

    /**
     * Reads a new consenting contact of {@code phone}, applies {@code change} to it through the API, then sends it an
     * SMS made from the contact as it was read; the message once its dispatcher is done with it, and nothing sent.
     */
    private JsonNode sentAfter(String phone, Consumer<String> change) {
        SandboxSmsc smsc = smsc();
        UUID id = UUID.fromString(Fixtures.consentingContact(api, phone).path("id").asString());
        Contact read = contacts.get(id);
        change.accept(id.toString());

        String messageId = send(read);

        JsonNode message = await().atMost(PATIENCE).until(() -> api.get("/api/v1/messages/" + messageId).json(),
                m -> "blocked".equals(m.path("status").asString()));
        assertThat(message.path("timeline").valueStream().map(e -> e.path("status").asString()))
                .containsExactly("queued", "blocked");
        assertThat(smsc.submitsTo(phone)).isEmpty();
        return message;
    }

    private String send(Contact read) {
        SendResult sent = sms.send(new SendSmsRequest("sandbox-sms", null, read.id().toString(), "Your code is 1234",
                "utility", "changes-before-dispatch", null), null, read, false);
        assertThat(sent.status()).isEqualTo(MessageStatus.QUEUED);
        return sent.messageId().toString();
    }

    private void patch(String contact, Map<String, Object> change) {
        Api.Response changed = api.patch("/api/v1/contacts/" + contact, change);
        assertThat(changed.status()).as(changed.body()).isEqualTo(200);
    }

    private SandboxSmsc smsc() {
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/smpp-links").json().valueStream()
                .anyMatch(link -> link.path("bound").asBoolean()));
        return sandbox.smsc();
    }
}
