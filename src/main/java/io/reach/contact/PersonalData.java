package io.reach.contact;

import java.util.Map;
import java.util.UUID;

/**
 * What a feature keeps about a contact besides the contact itself (its journeys, its messages): exported with the
 * contact ({@link Contacts#export}) and erased with it ({@link Contacts#erase}), by the feature that keeps it, so that
 * the contact feature reads no other feature's tables. Implementations run in the order of their
 * {@link org.springframework.core.annotation.Order}.
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

    /**
     * Writes what this feature keeps about the contact to {@code export}, in sections of its own ({@code "messages"}),
     * read a page at a time: a contact's export holds everything Reach keeps of it, however much that is.
     */
    void export(UUID contactId, Export export);

    /** Where a contact's export is written: named sections, each a list written an item at a time. */
    interface Export {

        /** Starts the section {@code name}: the items written next are its, until the next section starts. */
        void section(String name);

        /** Writes an item of the current section, as the API shows it. */
        void item(Object item);
    }
}
