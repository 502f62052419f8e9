package io.reach.messaging.sms;

import org.springframework.context.annotation.Lazy;
import org.springframework.stereotype.Component;

/** Wakes the SMS workers when new work arrives, without the link code depending on them directly. */
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

    void wakeReceipts() {
        receipts.wake();
    }
}
