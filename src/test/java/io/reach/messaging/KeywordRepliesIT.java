package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.sandbox.SandboxNetwork;
import io.reach.sandbox.SandboxSmsc;
import io.reach.support.Api;
import io.reach.support.Fixtures;
import io.reach.support.ReachIntegrationTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jsmpp.bean.TypeOfNumber;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Reach's answer to a contact's own STOP and START ({@code reach.contacts.opt-out-reply}, {@code opt-in-reply}), in
 * the conversation it wrote in: over real SMPP with the sandbox's SMSC, and through Meta's signed webhook and Graph
 * API as the sandbox speaks them.
 */
@TestPropertySource(properties = {"reach.sandbox.rules-file=classpath:sandbox/channel-handsets.yml",
        "reach.contacts.opt-out-reply=You will get no more messages from us. Reply START to subscribe again.",
        "reach.contacts.opt-in-reply=Welcome back!", "reach.contacts.default-region=NL"})
class KeywordRepliesIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final String OPT_OUT_REPLY = "You will get no more messages from us. Reply START to subscribe again.";

    @Autowired
    SandboxNetwork sandbox;

    @Test
    void answersAnSmsStopOnceAndAStartFromTheNumberItWasSentToWhateverTheContactsConsent() {
        SandboxSmsc smsc = sandbox.smsc();
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/smpp-links").json().valueStream()
                .anyMatch(link -> link.path("bound").asBoolean()));
        String phone = "+31612350851";
        // No consent to anything: the answer to its own STOP goes out all the same.
        String contact = Fixtures.contact(api, phone, Map.of(), false).path("id").asString();

        smsc.deliverInbound(phone, "Reach", "STOP");

        await().atMost(PATIENCE).until(() -> smsc.submitsTo(phone).size() == 1);
        assertThat(text(smsc.submitsTo(phone).getFirst())).isEqualTo(OPT_OUT_REPLY);
        assertThat(api.get("/api/v1/contacts/" + contact).json().path("optedOut").asBoolean()).isTrue();
        JsonNode answer = await().atMost(PATIENCE).until(() -> messagesOf(contact).path(0),
                message -> "delivered".equals(message.path("status").asString()));
        assertThat(answer.path("channel").asString()).isEqualTo("sms");
        assertThat(answer.path("renderedText").asString()).isEqualTo(OPT_OUT_REPLY);

        // A second STOP changes nothing, and is not answered again; a START is.
        smsc.deliverInbound(phone, "Reach", "stop");
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/inbound-messages?contactId=" + contact).json().size() == 2);
        smsc.deliverInbound(phone, "Reach", "Start");
        await().atMost(PATIENCE).until(() -> smsc.submitsTo(phone).size() == 2);
        assertThat(text(smsc.submitsTo(phone).get(1))).isEqualTo("Welcome back!");
        assertThat(messagesOf(contact).size()).isEqualTo(2);
    }

    @Test
    void aStopFromANumberTheSmscWritesNationallyOptsOutTheContactWhoWroteItAndIsAnsweredThere() {
        SandboxSmsc smsc = sandbox.smsc();
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/smpp-links").json().valueStream()
                .anyMatch(link -> link.path("bound").asBoolean()));
        String phone = "+31612350853";
        String contact = Fixtures.consentingContact(api, phone).path("id").asString();

        // As many SMSCs write a handset of their own country: 06…, type of number national (the test's region: NL).
        smsc.deliverInbound("0612350853", TypeOfNumber.NATIONAL, "Reach", "STOP");

        await().atMost(PATIENCE).until(() -> api.get("/api/v1/contacts/" + contact).json().path("optedOut").asBoolean());
        await().atMost(PATIENCE).until(() -> smsc.submitsTo(phone).size() == 1);
        assertThat(text(smsc.submitsTo(phone).getFirst())).isEqualTo(OPT_OUT_REPLY);
        // Stored against that contact, not a new one named +0612350853.
        assertThat(api.get("/api/v1/inbound-messages?contactId=" + contact).json().path(0).path("from").asString())
                .isEqualTo(phone);
    }

    @Test
    void answersAWhatsAppStopWithATextInTheWindowItOpened() {
        String phone = "+31612350852";
        String contact = Fixtures.consentingContact(api, phone).path("id").asString();

        Api.Response stop = api.post("/api/v1/sandbox/inbound-messages", Map.of("from", phone, "text", "STOP"));
        assertThat(stop.status()).as(stop.body()).isEqualTo(202);

        JsonNode answer = await().atMost(PATIENCE).until(() -> messagesOf(contact).path(0),
                message -> List.of("submitted", "sent", "delivered", "read").contains(message.path("status").asString()));
        assertThat(answer.path("channel").asString()).isEqualTo("whatsapp");
        assertThat(answer.path("renderedText").asString()).isEqualTo(OPT_OUT_REPLY);
        assertThat(api.get("/api/v1/contacts/" + contact).json().path("optedOut").asBoolean()).isTrue();
        assertThat(messagesOf(contact).size()).isEqualTo(1);
    }

    private JsonNode messagesOf(String contactId) {
        return api.get("/api/v1/messages?contactId=" + contactId).json();
    }

    private static String text(SandboxSmsc.Submit submit) {
        return new String(submit.payload(), submit.dataCoding() == 0x08 ? StandardCharsets.UTF_16BE : StandardCharsets.ISO_8859_1);
    }
}
