package io.reach.messaging.whatsapp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class WebhookSignatureTest {

    private static final byte[] BODY = "{\"object\":\"whatsapp_business_account\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void signsLikeMetaWithHexHmacSha256() {
        // Computed independently: printf '%s' "$BODY" | openssl dgst -sha256 -hmac secret
        assertThat(WebhookSignature.sign(BODY, "secret"))
                .isEqualTo("sha256=03f6dd944ecab4ddac0e3dbc3923b2da4e12b03df679ae23a52efd78ca6056e0");
    }

    @Test
    void matchesOnlyTheRightSecretAndBody() {
        String header = WebhookSignature.sign(BODY, "secret");
        assertThat(WebhookSignature.matches(BODY, "secret", header)).isTrue();
        assertThat(WebhookSignature.matches(BODY, "secret", header.toUpperCase().replace("SHA256", "sha256"))).isTrue();
        assertThat(WebhookSignature.matches(BODY, "other", header)).isFalse();
        assertThat(WebhookSignature.matches("{}".getBytes(StandardCharsets.UTF_8), "secret", header)).isFalse();
        assertThat(WebhookSignature.matches(BODY, "secret", null)).isFalse();
        assertThat(WebhookSignature.matches(BODY, "secret", "sha1=abc")).isFalse();
    }
}
