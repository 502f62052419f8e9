package io.reach.messaging;

import io.reach.contact.ContactConsentWithdrawn;
import io.reach.contact.ContactNumberChanged;
import io.reach.contact.ContactOptedOut;
import io.reach.shared.MessageCategory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Withdraws a contact's queued messages when it opts out or its number is changed (the old number may be someone
 * else's by now), or those of a category when it withdraws its consent to it, in the transaction that records the
 * change: a message waiting for its dispatcher or for a retry is blocked
 * instead of sent, and a journey waiting on it takes its {@code blocked} branch (or {@code failed}), whose fallback
 * is blocked too. A message a dispatcher is handing over at that moment is beyond recall; so is one recorded before
 * messages kept their category.
 */
@Component
class ConsentWithdrawals {

    private final Messages messages;

    ConsentWithdrawals(Messages messages) {
        this.messages = messages;
    }

    @EventListener
    void onOptedOut(ContactOptedOut optedOut) {
        messages.withdraw(messages.queuedFor(optedOut.contactId()), Recipients.OPTED_OUT);
    }

    @EventListener
    void onNumberChanged(ContactNumberChanged changed) {
        messages.withdraw(messages.queuedFor(changed.contactId()), Recipients.NUMBER_CHANGED);
    }

    @EventListener
    void onConsentWithdrawn(ContactConsentWithdrawn withdrawn) {
        for (MessageCategory category : withdrawn.categories()) {
            messages.withdraw(messages.queuedFor(withdrawn.contactId(), category), Recipients.noConsent(category));
        }
    }
}
