package io.reach.messaging.whatsapp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WhatsAppUserIdsTest {

    @Test
    void takesMetasUserIdsAndTheirParentsAndNothingThatCouldNotBeOne() {
        assertThat(WhatsAppUserIds.plausible("US.13491208655302741918")).isTrue();
        assertThat(WhatsAppUserIds.plausible("US.ENT.11815799212886844830")).isTrue();
        assertThat(WhatsAppUserIds.plausible("BR." + "a1".repeat(64))).isTrue();

        assertThat(WhatsAppUserIds.plausible(null)).isFalse();
        assertThat(WhatsAppUserIds.plausible("")).isFalse();
        assertThat(WhatsAppUserIds.plausible("NL." + "1".repeat(WhatsAppUserIds.LONGEST))).isFalse();
        assertThat(WhatsAppUserIds.plausible("NL.123 456")).isFalse();
        assertThat(WhatsAppUserIds.plausible("NL.123';--")).isFalse();
        assertThat(WhatsAppUserIds.plausible("NL.١٢٣")).as("digits of other scripts").isFalse();
    }
}
