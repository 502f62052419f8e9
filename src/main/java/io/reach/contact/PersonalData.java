package io.reach.contact;

import java.util.Map;
import java.util.UUID;

/**
 * What a feature keeps about a contact besides the contact itself (its journeys, its messages): erased with the
 * contact ({@link Contacts#erase}), by the feature that keeps it, so that the contact feature reads no other feature's
 * tables. Implementations run in the order of their {@link org.springframework.core.annotation.Order}.
 */
public interface PersonalData {

    /** Why what an erasure stops (a journey under way, a queued message) was stopped. */
    String ERASED = "erased: the contact was erased";

    /**
     * Erases what this feature keeps about the contact whose number was {@code phone} (E.164), in the caller's
     * transaction, and stops what it would still do for it; how many of each kind of thing it erased or stopped
     * ({@code "messagesWithdrawn": 2}).
     */
    Map<String, Integer> erase(UUID contactId, String phone);
}
