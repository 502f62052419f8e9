package io.reach.messaging.twilio;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.messaging.MessageStatus;
import org.junit.jupiter.api.Test;

class TwilioStatusesTest {

    @Test
    void mapsEveryCallStatus() {
        assertThat(TwilioStatuses.call("queued", null)).isEmpty();
        assertThat(TwilioStatuses.call("initiated", null)).isEmpty();
        assertThat(TwilioStatuses.call("ringing", null).orElseThrow().status()).isEqualTo(MessageStatus.SENT);
        assertThat(TwilioStatuses.call("in-progress", null).orElseThrow().status()).isEqualTo(MessageStatus.DELIVERED);
        assertThat(TwilioStatuses.call("completed", null).orElseThrow().status()).isEqualTo(MessageStatus.DELIVERED);
        assertThat(TwilioStatuses.call("busy", null).orElseThrow().error().code()).isEqualTo(486);
        assertThat(TwilioStatuses.call("no-answer", null).orElseThrow().error().code()).isEqualTo(480);
        assertThat(TwilioStatuses.call("canceled", null).orElseThrow().error().code()).isEqualTo(487);
        assertThat(TwilioStatuses.call("failed", null).orElseThrow().error().code()).isEqualTo(500);
        assertThat(TwilioStatuses.call("failed", 32009).orElseThrow().error().code()).isEqualTo(32009);
    }

    @Test
    void mapsEveryMessageStatus() {
        assertThat(TwilioStatuses.message("queued", null)).isEmpty();
        assertThat(TwilioStatuses.message("sending", null)).isEmpty();
        assertThat(TwilioStatuses.message("sent", null).orElseThrow().status()).isEqualTo(MessageStatus.SENT);
        assertThat(TwilioStatuses.message("delivered", null).orElseThrow().status()).isEqualTo(MessageStatus.DELIVERED);
        assertThat(TwilioStatuses.message("read", null).orElseThrow().status()).isEqualTo(MessageStatus.READ);
        TwilioStatuses.Mapped undelivered = TwilioStatuses.message("undelivered", 30003).orElseThrow();
        assertThat(undelivered.status()).isEqualTo(MessageStatus.FAILED);
        assertThat(undelivered.error().title()).isEqualTo("Unreachable destination handset");
    }

    @Test
    void speaksTheTextInTwiml() {
        assertThat(TwilioGateway.say("Your order & bill are ready", "nl-NL", "woman"))
                .isEqualTo("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say language=\"nl-NL\" voice=\"woman\">"
                        + "Your order &amp; bill are ready</Say></Response>");
        assertThat(TwilioGateway.language("xx-XX")).isEmpty();
        assertThat(TwilioGateway.voice("Polly.Joanna")).isPresent();
    }
}
