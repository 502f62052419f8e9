package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TextsTest {

    @Test
    void keepsATextThatFitsWhole() {
        assertThat(Texts.clip("delivered", 9)).isEqualTo("delivered");
        assertThat(Texts.clip(null, 9)).isNull();
    }

    @Test
    void clipsALongTextToTheLengthEndingWithAnEllipsis() {
        String clipped = Texts.clip("a".repeat(2500), 2000);
        assertThat(clipped).hasSize(2000).endsWith("a…");
    }

    @Test
    void neverCutsASurrogatePairInTwo() {
        // "😀" is two chars: room for 4 with the ellipsis would cut after 3, in the middle of the second one.
        assertThat(Texts.clip("😀😀😀😀", 4)).isEqualTo("😀…");
        assertThat(Texts.clip("😀😀😀😀", 5)).isEqualTo("😀😀…");
    }
}
