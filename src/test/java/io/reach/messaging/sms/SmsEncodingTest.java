package io.reach.messaging.sms;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SmsEncodingTest {

    private static String joined(SmsEncoding.Encoded encoded) {
        return encoded.parts().stream().map(p -> SmsEncoding.decode(p.payload(), encoded.dataCoding(), p.hasUdh()))
                .collect(Collectors.joining());
    }

    @Test
    void gsmTextUpTo160CharactersIsOneSms() {
        SmsEncoding.Encoded encoded = SmsEncoding.encode("a".repeat(160), 7);
        assertThat(encoded.alphabet()).isEqualTo(SmsEncoding.Alphabet.GSM7);
        assertThat(encoded.dataCoding()).isEqualTo((byte) 0x00);
        assertThat(encoded.parts()).singleElement().satisfies(p -> {
            assertThat(p.hasUdh()).isFalse();
            assertThat(p.payload()).hasSize(160);
        });
    }

    @Test
    void gsmTextOf161CharactersIsTwoPartsOf153AndTheRestWithAUdh() {
        SmsEncoding.Encoded encoded = SmsEncoding.encode("b".repeat(161), 42);
        assertThat(encoded.parts()).hasSize(2);
        assertThat(encoded.parts().get(0).payload()).hasSize(6 + 153);
        assertThat(encoded.parts().get(1).payload()).hasSize(6 + 8);
        byte[] udh = Arrays.copyOf(encoded.parts().get(1).payload(), 6);
        assertThat(udh).containsExactly(0x05, 0x00, 0x03, 42, 2, 2);
        assertThat(joined(encoded)).isEqualTo("b".repeat(161));
    }

    @Test
    void extensionCharactersCountTwoSeptetsAndAreNeverCutInHalf() {
        String text = "a".repeat(152) + "€" + "c".repeat(7);
        SmsEncoding.Encoded encoded = SmsEncoding.encode(text, 1);
        assertThat(encoded.alphabet()).isEqualTo(SmsEncoding.Alphabet.GSM7);
        assertThat(encoded.parts()).hasSize(2);
        assertThat(encoded.parts().get(0).payload()).hasSize(6 + 152);
        assertThat(joined(encoded)).isEqualTo(text);
        assertThat(SmsEncoding.encode("{".repeat(80), 1).parts()).hasSize(1);
        assertThat(SmsEncoding.encode("{".repeat(81), 1).parts()).hasSize(2);
    }

    @Test
    void ucs2TextUpTo70CharactersIsOneSmsAnd71IsTwoPartsOf67() {
        SmsEncoding.Encoded one = SmsEncoding.encode("д".repeat(70), 3);
        assertThat(one.alphabet()).isEqualTo(SmsEncoding.Alphabet.UCS2);
        assertThat(one.dataCoding()).isEqualTo((byte) 0x08);
        assertThat(one.parts()).singleElement().satisfies(p -> assertThat(p.payload()).hasSize(140));

        SmsEncoding.Encoded two = SmsEncoding.encode("д".repeat(71), 3);
        assertThat(two.parts()).hasSize(2);
        assertThat(two.parts().get(0).payload()).hasSize(6 + 134);
        assertThat(two.parts().get(1).payload()).hasSize(6 + 8);
        assertThat(joined(two)).isEqualTo("д".repeat(71));
    }

    @Test
    void oneEmojiMakesTheWholeTextUcs2AndCountsTwoUnits() {
        SmsEncoding.Encoded encoded = SmsEncoding.encode("Your order is ready 😀", 9);
        assertThat(encoded.alphabet()).isEqualTo(SmsEncoding.Alphabet.UCS2);
        assertThat(encoded.parts()).singleElement().satisfies(p -> assertThat(p.payload()).hasSize(2 * 22));
        assertThat(joined(encoded)).isEqualTo("Your order is ready 😀");

        String split = "x".repeat(66) + "😀" + "y".repeat(10);
        SmsEncoding.Encoded parts = SmsEncoding.encode(split, 9);
        assertThat(parts.parts()).hasSize(2);
        assertThat(parts.parts().get(0).payload()).hasSize(6 + 132);
        assertThat(joined(parts)).isEqualTo(split);
    }
}
