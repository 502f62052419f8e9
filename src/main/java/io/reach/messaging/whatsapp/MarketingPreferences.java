package io.reach.messaging.whatsapp;

import io.reach.contact.Contacts;
import io.reach.contact.PhoneNumbers;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * A contact's choice in WhatsApp about the business's marketing messages ("Stop promotions", or WhatsApp's setting),
 * which its marketing consent follows: a stop withdraws it, with the contact's queued marketing messages, on every
 * channel (consent is per category in Reach: a promotion's SMS fallback is what the contact asked not to get), and a
 * resume gives back what a stop withdrew (not a consent the business withdrew itself, or never had). Meta says so in
 * its {@code user_preferences} webhook, and in error 131050 on a marketing message it did not deliver.
 */
@Component
class MarketingPreferences {

    /** Meta's error on a marketing message to a WhatsApp user who stopped the business's marketing messages. */
    static final int STOPPED = 131050;

    private static final Logger log = LoggerFactory.getLogger(MarketingPreferences.class);

    private final Contacts contacts;
    private final WhatsAppUserIds userIds;

    MarketingPreferences(Contacts contacts, WhatsAppUserIds userIds) {
        this.contacts = contacts;
        this.userIds = userIds;
    }

    /**
     * As {@link #follow} for the contact with the WhatsApp user's number ({@code waId}: its digits), or, when Meta
     * withholds it (a user who took a username), with its business-scoped {@code userId}, which Reach learned beside
     * the contact's number before (and learns here when both are given); a user Reach has no contact for is left
     * alone, since there is nothing to send it.
     */
    void followUser(String waId, String userId, boolean marketing, String why) {
        Optional<UUID> contactId;
        if (waId != null) {
            PhoneNumbers.Result number = contacts.phoneNumbers().normalise("+" + waId);
            contactId = number.isValid() ? contacts.idByPhone(number.e164()) : Optional.empty();
            if (userId != null) {
                contactId.ifPresent(id -> userIds.learn(Map.of(userId, new WhatsAppUserIds.Seen(id, number.e164()))));
            }
        } else {
            contactId = userIds.contactOf(userId);
            if (contactId.isEmpty()) {
                log.info("A marketing {} in WhatsApp of a user whose number Meta withholds (one who took a username) and"
                        + " whose user id Reach has not seen with a contact's number: no contact of Reach's, left alone"
                        + " ({})", marketing ? "resume" : "stop", why);
            }
        }
        contactId.ifPresent(id -> follow(id, marketing, why));
    }

    /**
     * Withdraws the contact's marketing consent ({@code marketing} false), or gives back one a stop in WhatsApp
     * withdrew, in the caller's transaction if it has one (see {@link Contacts#followWhatsApp}). {@code why} ends the
     * log line.
     */
    void follow(UUID contactId, boolean marketing, String why) {
        // Empty when erased since its number or message was looked up: nothing to send it.
        contacts.followWhatsApp(contactId, marketing).ifPresent(followed -> log(followed, contactId, why));
    }

    private static void log(Contacts.WhatsAppMarketingChoice followed, UUID contactId, String why) {
        switch (followed) {
            case WITHDRAWN -> log.info("Contact {} stopped marketing messages in WhatsApp ({}): its marketing consent is"
                    + " withdrawn, with its queued marketing messages", contactId, why);
            case GIVEN_BACK -> log.info("Contact {} resumed marketing messages in WhatsApp ({}): its marketing consent,"
                    + " which its stop there had withdrawn, is given back", contactId, why);
            case NOT_GIVEN_BY_WHATSAPP -> log.info("Contact {} resumed marketing messages in WhatsApp ({}): its marketing"
                    + " consent stays withdrawn, since the business withdrew it (or never had it), not a stop in WhatsApp;"
                    + " give it through the API if the contact agreed", contactId, why);
            case ALREADY_SO -> { }
        }
    }
}
