package io.reach.sender;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reach.shared.CannotStart;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class SecretBoxTest {

    private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);
    private static final String OTHER_KEY = Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());

    private final SecretBox box = new SecretBox(KEY);

    @Test
    void sealsAValueThatOpensOnlyWhereItWasSealedAndOnlyWithItsKey() {
        String sealed = box.seal("EAAG-access-token", "id-1/access_token");

        assertThat(sealed).startsWith(SecretBox.SEALED).doesNotContain("EAAG");
        assertThat(box.seal("EAAG-access-token", "id-1/access_token")).as("a fresh nonce each time").isNotEqualTo(sealed);
        assertThat(box.open(sealed, "id-1/access_token")).isEqualTo("EAAG-access-token");
        assertThatThrownBy(() -> box.open(sealed, "id-2/access_token")).isInstanceOf(SecretBox.CannotOpen.class);
        assertThatThrownBy(() -> box.open(sealed, "id-1/app_secret")).isInstanceOf(SecretBox.CannotOpen.class);
        assertThatThrownBy(() -> new SecretBox(OTHER_KEY).open(sealed, "id-1/access_token"))
                .isInstanceOf(SecretBox.CannotOpen.class).hasMessageContaining("another key");
        String tampered = sealed.substring(0, sealed.length() - 4) + "AAAA";
        assertThatThrownBy(() -> box.open(tampered, "id-1/access_token")).isInstanceOf(SecretBox.CannotOpen.class);
    }

    @Test
    void withoutAKeyItSealsNothingAndCannotOpenWhatWasSealed() {
        SecretBox none = new SecretBox("");
        String sealed = box.seal("twilio-token", "id-1/secret");

        assertThat(none.hasKey()).isFalse();
        assertThat(none.seal("twilio-token", "id-1/secret")).isEqualTo("twilio-token");
        assertThat(none.open("twilio-token", "id-1/secret")).isEqualTo("twilio-token");
        assertThatThrownBy(() -> none.open(sealed, "id-1/secret")).isInstanceOf(SecretBox.CannotOpen.class)
                .hasMessageContaining("set reach.secrets-key");
    }

    @Test
    void aPlainValueStoredBeforeTheKeyOpensAsItIsAndNullStaysNull() {
        assertThat(box.open("stored-before", "id-1/secret")).isEqualTo("stored-before");
        assertThat(box.seal(null, "id-1/secret")).isNull();
        assertThat(box.open(null, "id-1/secret")).isNull();
    }

    @Test
    void refusesAKeyThatIsNot32BytesOfBase64() {
        assertThatThrownBy(() -> new SecretBox("c2hvcnQ=")).isInstanceOf(CannotStart.class)
                .hasMessageContaining("reach.secrets-key").hasMessageContaining("openssl rand -base64 32")
                .hasMessageNotContaining("c2hvcnQ=");
        assertThatThrownBy(() -> new SecretBox("not base64 at all!")).hasMessageContaining("reach.secrets-key")
                .hasMessageNotContaining("not base64 at all!");
    }
}
