package io.reach.messaging.whatsapp;

import io.reach.contact.Contact;
import io.reach.contact.ContactNumberChanged;
import io.reach.contact.Contacts;
import io.reach.contact.PersonalData;
import io.reach.shared.Dialect;
import io.reach.shared.SqlLists;
import io.reach.shared.Times;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.core.annotation.Order;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The business-scoped user ids (BSUIDs) Meta gives WhatsApp users, learned from the webhooks that carry one beside a
 * contact's number (a status of a message sent to it, a message it wrote): Meta withholds the number of a user who
 * took a username, and its messages and marketing choices then name it by that id alone. A user's id changes with its
 * number, so a contact's ids go when its number is changed in Reach; they are exported and erased with the contact.
 */
@Order(3)
@Component
class WhatsAppUserIds implements PersonalData {

    /** Meta's longest: two letters, ".ENT." for a parent id, and 128 letters and digits; room to spare. */
    static final int LONGEST = 200;

    private static final Logger log = LoggerFactory.getLogger(WhatsAppUserIds.class);

    /** A user id and when Reach learned it was the contact's, as a contact's export shows it. */
    record Learned(String userId, Instant learnedAt) {}

    /** A webhook named a user id beside this contact's {@code number} (E.164): the number a message went to or came from. */
    record Seen(UUID contactId, String number) {}

    private final JdbcClient jdbc;
    private final Dialect dialect;
    private final Contacts contacts;
    private final Clock clock;

    WhatsAppUserIds(JdbcClient jdbc, Dialect dialect, Contacts contacts, Clock clock) {
        this.jdbc = jdbc;
        this.contacts = contacts;
        this.dialect = dialect;
        this.clock = clock;
    }

    /** Whether {@code userId} can be one of Meta's ids: letters, digits and dots, at most {@link #LONGEST}. */
    static boolean plausible(String userId) {
        return userId != null && !userId.isEmpty() && userId.length() <= LONGEST
                && userId.chars().allMatch(c -> c == '.' || c < 128 && Character.isLetterOrDigit(c));
    }

    /**
     * Records that each user id is its contact's, in the caller's transaction, if the contact still has the number it
     * was seen beside: only those Reach did not know already as that contact's are written (one read for all of them),
     * so that the statuses of a known user write nothing.
     */
    void learn(Map<String, Seen> seenByUserId) {
        Map<String, Seen> plausible = new LinkedHashMap<>();
        seenByUserId.forEach((userId, seen) -> {
            if (seen.contactId() != null && seen.number() != null && plausible(userId)) {
                plausible.put(userId, seen);
            }
        });
        if (plausible.isEmpty()) {
            return;
        }
        Map<String, UUID> known = new HashMap<>();
        List<String> ids = new ArrayList<>(plausible.keySet());
        jdbc.sql("SELECT user_id, contact_id FROM whatsapp_user_ids WHERE user_id IN ("
                        + SqlLists.placeholders(ids.size()) + ")")
                .params(ids.toArray())
                .query((rs, row) -> Map.entry(rs.getString(1), rs.getObject(2, UUID.class))).list()
                .forEach(row -> known.put(row.getKey(), row.getValue()));
        plausible.entrySet().removeIf(learned -> learned.getValue().contactId().equals(known.get(learned.getKey())));
        if (plausible.isEmpty()) {
            return;
        }
        // A late status of a message to a contact erased since, or to the number it had before a change: the id is
        // not (or no longer) the contact's.
        Map<UUID, Contact> now = contacts.withoutDetails(plausible.values().stream().map(Seen::contactId).distinct().toList());
        OffsetDateTime at = Times.utc(clock.instant());
        plausible.forEach((userId, seen) -> {
            UUID before = known.get(userId);
            UUID contactId = seen.contactId();
            Contact contact = now.get(contactId);
            if (contact == null || !seen.number().equals(contact.phone())) {
                return;
            }
            if (before != null) {
                // A number moved from one contact to another in Reach: the newest word wins.
                log.info("A WhatsApp user id that was contact {}'s is now contact {}'s", before, contactId);
                jdbc.sql("UPDATE whatsapp_user_ids SET contact_id = ?, learned_at = ? WHERE user_id = ?")
                        .params(contactId, at, userId).update();
            } else if (!dialect.insertUnlessDuplicate(jdbc, "INSERT INTO whatsapp_user_ids (user_id, contact_id, learned_at)"
                    + " VALUES (?, ?, ?)", "user_id", userId, contactId, at)) {
                log.debug("A WhatsApp user id of contact {} was learned meanwhile by another webhook", contactId);
            }
        });
    }

    /** The contact whose user id this is, if Reach learned it. */
    Optional<UUID> contactOf(String userId) {
        if (!plausible(userId)) {
            return Optional.empty();
        }
        return jdbc.sql("SELECT contact_id FROM whatsapp_user_ids WHERE user_id = ?").param(userId)
                .query(UUID.class).optional();
    }

    /** The contact's user ids, newest first. */
    List<Learned> of(UUID contactId) {
        return jdbc.sql("SELECT user_id, learned_at FROM whatsapp_user_ids WHERE contact_id = ? ORDER BY learned_at DESC, user_id")
                .param(contactId)
                .query((rs, row) -> new Learned(rs.getString(1), rs.getObject(2, OffsetDateTime.class).toInstant())).list();
    }

    /** A number changed in Reach is another WhatsApp user's, whose ids Meta tells apart: the old number's go. */
    @EventListener
    void onNumberChanged(ContactNumberChanged changed) {
        forget(changed.contactId());
    }

    private int forget(UUID contactId) {
        return jdbc.sql("DELETE FROM whatsapp_user_ids WHERE contact_id = ?").param(contactId).update();
    }

    @Override
    public Map<String, Integer> erase(UUID contactId, String phone) {
        return Map.of("whatsAppUserIds", forget(contactId));
    }

    @Override
    public void export(UUID contactId, Export export) {
        export.section("whatsAppUserIds");
        of(contactId).forEach(export::item);
    }
}
