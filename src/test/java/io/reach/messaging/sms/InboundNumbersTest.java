package io.reach.messaging.sms;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.contact.PhoneNumbers;
import org.junit.jupiter.api.Test;

/** The number an inbound SMS came from, read from the source address and its type of number as SMSCs write them. */
class InboundNumbersTest {

    private static final PhoneNumbers DUTCH = new PhoneNumbers("NL");
    private static final PhoneNumbers NO_REGION = new PhoneNumbers("");

    @Test
    void readsAnInternationalAddressWithOrWithoutItsPlus() {
        assertThat(SmppReceiptProcessor.inboundNumber("31612345678", "1", NO_REGION)).isEqualTo("+31612345678");
        assertThat(SmppReceiptProcessor.inboundNumber("+31612345678", "1", DUTCH)).isEqualTo("+31612345678");
    }

    @Test
    void readsANationalAddressInTheContactsDefaultRegion() {
        assertThat(SmppReceiptProcessor.inboundNumber("0612345678", "2", DUTCH)).isEqualTo("+31612345678");
        // Without a region it is no number Reach can place: kept as before, with a "+".
        assertThat(SmppReceiptProcessor.inboundNumber("0612345678", "2", NO_REGION)).isEqualTo("+0612345678");
    }

    @Test
    void readsAnAddressOfUnknownTypeAsInternationalFirstThenAsNational() {
        assertThat(SmppReceiptProcessor.inboundNumber("31612345678", "0", DUTCH)).isEqualTo("+31612345678");
        assertThat(SmppReceiptProcessor.inboundNumber("0612345678", "0", DUTCH)).isEqualTo("+31612345678");
    }

    @Test
    void keepsAnAlphanumericAddressAsItIs() {
        assertThat(SmppReceiptProcessor.inboundNumber("Vodafone", "5", DUTCH)).isEqualTo("Vodafone");
    }

    @Test
    void readsWhatWasStoredBeforeTheTypeWasKeptAsBefore() {
        assertThat(SmppReceiptProcessor.inboundNumber("+31612345678", null, NO_REGION)).isEqualTo("+31612345678");
        assertThat(SmppReceiptProcessor.inboundNumber("+0612345678", null, DUTCH)).isEqualTo("+0612345678");
    }
}
