package io.reach.messaging.sms;

import java.util.UUID;
import org.springframework.context.annotation.Lazy;
import org.springframework.stereotype.Component;

/** Hands the SMS workers new work, without the link code depending on them directly. */
@Component
class SmsWorkers {

    private final SmsDispatcher dispatcher;
    private final SmppReceiptProcessor receipts;

    SmsWorkers(@Lazy SmsDispatcher dispatcher, @Lazy SmppReceiptProcessor receipts) {
        this.dispatcher = dispatcher;
        this.receipts = receipts;
    }

    void wakeDispatcher() {
        dispatcher.wake();
    }

    /** A deliver_sm (receipt or incoming SMS) as it came, applied at once when it can be (see InboxProcessor). */
    void receive(UUID senderId, String entry) {
        receipts.receive(senderId, entry);
    }
}
