package io.reach.messaging.sms;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.messaging.MessageStatus;
import org.junit.jupiter.api.Test;

class SmppReceiptsTest {

    @Test
    void mapsEveryReceiptState() {
        assertThat(SmppReceipts.status("DELIVRD")).isEqualTo(MessageStatus.DELIVERED);
        assertThat(SmppReceipts.status("ENROUTE")).isEqualTo(MessageStatus.SENT);
        assertThat(SmppReceipts.status("ACCEPTD")).isEqualTo(MessageStatus.SENT);
        for (String failure : new String[] {"UNDELIV", "EXPIRED", "REJECTD", "DELETED", "UNKNOWN"}) {
            assertThat(SmppReceipts.status(failure)).as(failure).isEqualTo(MessageStatus.FAILED);
        }
    }

    @Test
    void describesAFailureWithItsStateAndErrorCode() {
        assertThat(SmppReceipts.error("UNDELIV", "001").code()).isEqualTo(1);
        assertThat(SmppReceipts.error("UNDELIV", "001").title()).contains("Undeliverable", "UNDELIV", "err 001");
        assertThat(SmppReceipts.error("EXPIRED", "xyz").code()).isZero();
    }

    @Test
    void matchesReceiptIdsGivenInDecimalOrHexadecimal() {
        assertThat(SmppReceipts.candidates("5a000001")).contains("5a000001", String.valueOf(0x5a000001L));
        assertThat(SmppReceipts.candidates("1509949441")).contains("5a000001", "5A000001");
    }
}
