package io.reach.messaging;

import io.reach.contact.ContactOptedOut;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Withdraws a contact's queued messages when it opts out, in the transaction that records the opt-out: a message
 * waiting for its dispatcher or for a retry is blocked instead of sent, and a journey waiting on it takes its
 * {@code blocked} branch (or {@code failed}), whose fallback is blocked too. A message a dispatcher is handing over at
 * that moment is beyond recall.
 */
@Component
class OptOutWithdrawals {

    private final Messages messages;

    OptOutWithdrawals(Messages messages) {
        this.messages = messages;
    }

    @EventListener
    void onOptedOut(ContactOptedOut optedOut) {
        messages.withdraw(messages.queuedFor(optedOut.contactId()), Recipients.OPTED_OUT);
    }
}
