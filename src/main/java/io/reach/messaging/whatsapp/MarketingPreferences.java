package io.reach.messaging.whatsapp;

import io.reach.contact.Consent;
import io.reach.contact.ContactRequest;
import io.reach.contact.Contacts;
import io.reach.contact.PhoneNumbers;
import io.reach.shared.ApiException;
import io.reach.shared.MessageCategory;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * A contact's choice in WhatsApp about the business's marketing messages ("Stop promotions", or WhatsApp's setting),
 * which its marketing consent follows: a stop withdraws it, with the contact's queued marketing messages, on every
 * channel (consent is per category in Reach: a promotion's SMS fallback is what the contact asked not to get), and a
 * resume gives it back. Meta says so in its {@code user_preferences} webhook, and in error 131050 on a marketing
 * message it did not deliver.
 */
@Component
class MarketingPreferences {

    /** Meta's error on a marketing message to a WhatsApp user who stopped the business's marketing messages. */
    static final int STOPPED = 131050;

    private static final Logger log = LoggerFactory.getLogger(MarketingPreferences.class);

    private final Contacts contacts;

    MarketingPreferences(Contacts contacts) {
        this.contacts = contacts;
    }

    /**
     * As {@link #follow} for the contact with the WhatsApp user's id ({@code wa_id}: its number's digits); a number
     * Reach has no contact for is left alone, since there is nothing to send it.
     */
    void followNumber(String waId, boolean marketing, String why) {
        PhoneNumbers.Result number = contacts.phoneNumbers().normalise("+" + waId);
        if (number.isValid()) {
            contacts.idByPhone(number.e164()).ifPresent(contactId -> follow(contactId, marketing, why));
        }
    }

    /**
     * Gives the contact's marketing consent back ({@code marketing}) or withdraws it, in the caller's transaction if it
     * has one, which holds the contact's row from the read to the write: a consent to another category given
     * meanwhile is not written over. {@code why} ends the log line.
     */
    void follow(UUID contactId, boolean marketing, String why) {
        try {
            contacts.lock(contactId);
            Consent consent = contacts.get(contactId).consent();
            if (consent.marketing() == marketing) {
                return;
            }
            // A request's consent is the whole of it: every other category as it is.
            Map<String, Boolean> changed = java.util.Arrays.stream(MessageCategory.values()).collect(
                    java.util.stream.Collectors.toMap(MessageCategory::wireName,
                            category -> category == MessageCategory.MARKETING ? marketing : consent.allows(category)));
            contacts.update(contactId, new ContactRequest(null, null, null, changed, null, null));
        } catch (ApiException gone) {
            return; // erased since its number or message was looked up: nothing to send it
        }
        log.info("Contact {} {} marketing messages in WhatsApp ({}): its marketing consent is {}", contactId,
                marketing ? "resumed" : "stopped", why, marketing ? "given back"
                        : "withdrawn, with its queued marketing messages");
    }
}
