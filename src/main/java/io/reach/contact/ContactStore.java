package io.reach.contact;

import io.reach.shared.MessageCategory;
import io.reach.shared.SqlLists;
import io.reach.shared.Times;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Rows of contacts, their attributes and tags. */
@Repository
class ContactStore {

    // What a contact's creation writes; reads add last_active_at, which only an inbound message sets (markActive).
    private static final String WRITTEN = "id, phone, time_zone, consent_marketing, consent_utility, consent_authentication,"
            + " opted_out, opted_out_at, not_on_whatsapp, created_at, updated_at";
    private static final String COLUMNS = WRITTEN + ", last_active_at, marketing_stopped_in_whatsapp_at";
    // A contact's attributes and tags in one query (parameters: the contact's id, twice).
    private static final String DETAILS = "SELECT 'A' AS kind, name, attribute_value AS detail_value FROM contact_attributes"
            + " WHERE contact_id = ? UNION ALL SELECT 'T', tag, NULL FROM contact_tags WHERE contact_id = ?";

    private final JdbcClient jdbc;

    ContactStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** The contact with its attributes and tags, in one round trip: the engine loads a contact for most steps. */
    Optional<Contact> find(UUID id) {
        List<Contact> found = new ArrayList<>(1);
        Map<String, String> attributes = new TreeMap<>();
        Set<String> tags = new TreeSet<>();
        jdbc.sql("SELECT " + COLUMNS + ", d.kind, d.name, d.detail_value FROM contacts LEFT JOIN ("
                        + DETAILS + ") d ON TRUE WHERE id = ? AND erased_at IS NULL")
                .params(id, id, id)
                .query(rs -> {
                    if (found.isEmpty()) {
                        found.add(row(rs, 0));
                    }
                    addDetail(rs, attributes, tags);
                });
        return found.stream().findFirst().map(bare -> withDetails(bare, attributes, tags));
    }

    Optional<Contact> findByPhone(String e164) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM contacts WHERE phone = ?").param(e164).query(this::row).optional()
                .map(this::withDetails);
    }

    boolean exists(UUID id) {
        return jdbc.sql("SELECT id FROM contacts WHERE id = ? AND erased_at IS NULL").param(id).query(UUID.class).optional().isPresent();
    }

    boolean known(UUID id) {
        return jdbc.sql("SELECT id FROM contacts WHERE id = ?").param(id).query(UUID.class).optional().isPresent();
    }

    Optional<UUID> idByPhone(String e164) {
        return jdbc.sql("SELECT id FROM contacts WHERE phone = ?").param(e164).query(UUID.class).optional();
    }

    Optional<Contact> findByPhoneForUpdate(String e164) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM contacts WHERE phone = ? FOR UPDATE").param(e164).query(this::row).optional()
                .map(this::withDetails);
    }

    /**
     * A page of contacts (of those with {@code tag}, when given) in the order they were created, those after
     * {@code after} (null: from the first); read in the order of an index, not sorted, so that any page of a
     * hundred thousand contacts costs what the first does.
     */
    List<Contact> list(String tag, Contact after, int limit, int offset) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM contacts c WHERE created_at >= ? AND erased_at IS NULL");
        List<Object> params = new ArrayList<>();
        params.add(Times.utc(after == null ? Instant.EPOCH : after.createdAt()));
        if (after != null) {
            sql.append(" AND (created_at > ? OR id > ?)");
            params.add(Times.utc(after.createdAt()));
            params.add(after.id());
        }
        if (tag != null) {
            sql.append(" AND EXISTS (SELECT 1 FROM contact_tags t WHERE t.contact_id = c.id AND t.tag = ?)");
            params.add(tag);
        }
        sql.append(" ORDER BY created_at, id LIMIT ? OFFSET ?");
        params.add(limit);
        params.add(offset);
        return jdbc.sql(sql.toString()).params(params).query(this::row).list().stream().map(this::withDetails).toList();
    }

    /**
     * Locks the rows of those of {@code phones} that exist until the transaction ends, in id order: the order a
     * launch's journeys reference contacts in (their foreign keys lock them too), so that the two cannot wait on each
     * other in a circle, nor two imports naming the same contacts in different orders.
     */
    void lockByPhones(Collection<String> phones) {
        if (!phones.isEmpty()) {
            jdbc.sql("SELECT id FROM contacts WHERE phone IN (" + SqlLists.placeholders(phones.size())
                    + ") ORDER BY id FOR UPDATE").params(new ArrayList<Object>(phones)).query(UUID.class).list();
        }
    }

    void lock(UUID id) {
        jdbc.sql("SELECT id FROM contacts WHERE id = ? FOR UPDATE").param(id).query(UUID.class).optional();
    }

    boolean lockIfFree(UUID id) {
        return jdbc.sql("SELECT id FROM contacts WHERE id = ? FOR UPDATE SKIP LOCKED").param(id).query(UUID.class).optional()
                .isPresent();
    }

    /** A page of the matching contacts' ids after {@code after} (null: from the first), in id order. */
    List<UUID> idsMatching(Contacts.AudienceFilter filter, UUID after, int limit) {
        List<Object> params = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT id FROM contacts c WHERE ").append(matching(filter, params));
        if (after != null) {
            sql.append(" AND id > ?");
            params.add(after);
        }
        // Keyset pages along the primary key: each page is an index range, however large the audience.
        sql.append(" ORDER BY id LIMIT ?");
        params.add(limit);
        return jdbc.sql(sql.toString()).params(params).query(UUID.class).list();
    }

    long countMatching(Contacts.AudienceFilter filter) {
        List<Object> params = new ArrayList<>();
        return jdbc.sql("SELECT COUNT(*) FROM contacts c WHERE " + matching(filter, params)).params(params)
                .query(Long.class).single();
    }

    /**
     * The condition an audience puts on a contact {@code c} (never an opted-out or erased one), its values added to
     * {@code params}.
     */
    private static String matching(Contacts.AudienceFilter filter, List<Object> params) {
        StringBuilder sql = new StringBuilder("c.opted_out = FALSE AND c.erased_at IS NULL");
        for (String tag : filter.tags() == null ? List.<String>of() : filter.tags()) {
            sql.append(" AND EXISTS (SELECT 1 FROM contact_tags t WHERE t.contact_id = c.id AND t.tag = ?)");
            params.add(tag);
        }
        List<String> excluded = filter.excludeTags() == null ? List.of() : filter.excludeTags();
        if (!excluded.isEmpty()) {
            sql.append(" AND NOT EXISTS (SELECT 1 FROM contact_tags t WHERE t.contact_id = c.id AND t.tag IN (")
                    .append(SqlLists.placeholders(excluded.size())).append("))");
            params.addAll(excluded);
        }
        for (Map.Entry<String, String> attribute : (filter.attributes() == null ? Map.<String, String>of()
                : filter.attributes()).entrySet()) {
            sql.append(" AND EXISTS (SELECT 1 FROM contact_attributes a WHERE a.contact_id = c.id AND a.name = ?"
                    + " AND a.attribute_value = ?)");
            params.add(attribute.getKey());
            params.add(attribute.getValue());
        }
        if (filter.consent() != null) {
            sql.append(" AND c.consent_").append(filter.consent().wireName()).append(" = TRUE");
        }
        if (filter.activeSince() != null) {
            sql.append(" AND c.last_active_at >= ?");
            params.add(Times.utc(filter.activeSince()));
        }
        if (filter.inactiveSince() != null) {
            sql.append(" AND (c.last_active_at IS NULL OR c.last_active_at < ?)");
            params.add(Times.utc(filter.inactiveSince()));
        }
        return sql.toString();
    }

    void insert(Contact contact) {
        if (contact.optedOut() && contact.phone() != null) {
            // A number created opted out may be one an erasure kept: the contact carries its opt-out from now on.
            forgetKeptOptOut(contact.phone());
        }
        jdbc.sql("INSERT INTO contacts (" + WRITTEN + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .params(contact.id(), contact.phone(), contact.timeZone(), contact.consent().marketing(),
                        contact.consent().utility(), contact.consent().authentication(), contact.optedOut(),
                        Times.utc(contact.optedOutAt()), contact.notOnWhatsApp(), Times.utc(contact.createdAt()),
                        Times.utc(contact.updatedAt()))
                .update();
        writeDetails(contact);
    }

    void update(Contact contact) {
        jdbc.sql("UPDATE contacts SET phone = ?, time_zone = ?, consent_marketing = ?, consent_utility = ?,"
                        + " consent_authentication = ?, opted_out = ?, opted_out_at = ?, not_on_whatsapp = ?, updated_at = ?"
                        + " WHERE id = ?")
                .params(contact.phone(), contact.timeZone(), contact.consent().marketing(), contact.consent().utility(),
                        contact.consent().authentication(), contact.optedOut(), Times.utc(contact.optedOutAt()),
                        contact.notOnWhatsApp(), Times.utc(contact.updatedAt()), contact.id())
                .update();
        jdbc.sql("DELETE FROM contact_attributes WHERE contact_id = ?").param(contact.id()).update();
        jdbc.sql("DELETE FROM contact_tags WHERE contact_id = ?").param(contact.id()).update();
        writeDetails(contact);
    }

    /** What an erasure removed of the contact's own rows. */
    record Erased(int attributes, int tags) {}

    /**
     * Erases the contact: its attributes and tags go, and its row stays as what its journeys and messages point at,
     * without its number, its time zone, its consent or when it last wrote. Empty when it was erased already (or
     * never existed).
     */
    Optional<Erased> erase(UUID id, Instant at) {
        int erased = jdbc.sql("UPDATE contacts SET phone = NULL, time_zone = NULL, consent_marketing = FALSE,"
                        + " consent_utility = FALSE, consent_authentication = FALSE, opted_out = FALSE, opted_out_at = NULL,"
                        + " not_on_whatsapp = FALSE, last_active_at = NULL, marketing_stopped_in_whatsapp_at = NULL,"
                        + " updated_at = ?, erased_at = ?"
                        + " WHERE id = ? AND erased_at IS NULL")
                .params(Times.utc(at), Times.utc(at), id).update();
        if (erased == 0) {
            return Optional.empty();
        }
        return Optional.of(new Erased(jdbc.sql("DELETE FROM contact_attributes WHERE contact_id = ?").param(id).update(),
                jdbc.sql("DELETE FROM contact_tags WHERE contact_id = ?").param(id).update()));
    }

    /** When the contact's marketing consent was withdrawn by its stop in WhatsApp; empty when it was not so withdrawn. */
    Optional<Instant> marketingStoppedInWhatsAppAt(UUID id) {
        return jdbc.sql("SELECT marketing_stopped_in_whatsapp_at FROM contacts WHERE id = ?").param(id)
                .query((rs, n) -> Optional.ofNullable(Times.instant(rs, "marketing_stopped_in_whatsapp_at"))).optional()
                .flatMap(at -> at);
    }

    /** Notes (at) or forgets (null) that the contact's marketing consent was withdrawn by its stop in WhatsApp. */
    void markMarketingStoppedInWhatsApp(UUID id, Instant at) {
        jdbc.sql("UPDATE contacts SET marketing_stopped_in_whatsapp_at = ? WHERE id = ?").params(Times.utc(at), id).update();
    }

    /** When the number opted out, if an erasure kept its opt-out (see {@link #keepOptOut}). */
    Optional<Instant> keptOptOut(String e164) {
        return jdbc.sql("SELECT opted_out_at FROM opted_out_numbers WHERE number_hash = ?").param(numberHash(e164))
                .query((rs, n) -> Times.instant(rs, "opted_out_at")).optional();
    }

    /**
     * Keeps that an erased contact's number opted out, at {@code at}, as its number's hash alone: a number that comes
     * back comes back opted out.
     */
    void keepOptOut(String e164, Instant at) {
        String hash = numberHash(e164);
        jdbc.sql("INSERT INTO opted_out_numbers (number_hash, opted_out_at) SELECT ?, ? WHERE NOT EXISTS"
                        + " (SELECT 1 FROM opted_out_numbers WHERE number_hash = ?)")
                .params(hash, Times.utc(at), hash).update();
    }

    /** Forgets an opt-out an erasure kept: the number is a contact's again (see {@link #keepOptOut}). */
    void forgetKeptOptOut(String e164) {
        jdbc.sql("DELETE FROM opted_out_numbers WHERE number_hash = ?").param(numberHash(e164)).update();
    }

    /**
     * The SHA-256 of a number in E.164, in hex: what a kept opt-out is found by. It names no one to a reader of the
     * table, though anyone who has a number can test it against it.
     */
    static String numberHash(String e164) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(e164.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }

    /** When the contact was erased; empty when it was not, or never existed. */
    Optional<Instant> erasedAt(UUID id) {
        return jdbc.sql("SELECT erased_at FROM contacts WHERE id = ? AND erased_at IS NOT NULL").param(id)
                .query((rs, n) -> Times.instant(rs, "erased_at")).optional();
    }

    void markActive(UUID id, Instant at) {
        jdbc.sql("UPDATE contacts SET last_active_at = ? WHERE id = ? AND (last_active_at IS NULL OR last_active_at < ?)")
                .params(Times.utc(at), id, Times.utc(at)).update();
    }

    void markNotOnWhatsApp(List<UUID> ids, Instant at) {
        jdbc.sql("UPDATE contacts SET not_on_whatsapp = TRUE, updated_at = ? WHERE id IN ("
                        + SqlLists.placeholders(ids.size()) + ") AND not_on_whatsapp = FALSE")
                .params(SqlLists.valueThen(Times.utc(at), ids)).update();
    }

    private void writeDetails(Contact contact) {
        for (Map.Entry<String, String> attribute : contact.attributes().entrySet()) {
            jdbc.sql("INSERT INTO contact_attributes (contact_id, name, attribute_value) VALUES (?, ?, ?)")
                    .params(contact.id(), attribute.getKey(), attribute.getValue()).update();
        }
        for (String tag : contact.tags()) {
            jdbc.sql("INSERT INTO contact_tags (contact_id, tag) VALUES (?, ?)").params(contact.id(), tag).update();
        }
    }

    private Contact withDetails(Contact bare) {
        Map<String, String> attributes = new TreeMap<>();
        Set<String> tags = new TreeSet<>();
        jdbc.sql(DETAILS).params(bare.id(), bare.id()).query(rs -> {
            addDetail(rs, attributes, tags);
        });
        return withDetails(bare, attributes, tags);
    }

    private static void addDetail(ResultSet rs, Map<String, String> attributes, Set<String> tags) throws SQLException {
        String kind = rs.getString("kind");
        if ("A".equals(kind)) {
            attributes.put(rs.getString("name"), rs.getString("detail_value"));
        } else if ("T".equals(kind)) {
            tags.add(rs.getString("name"));
        }
    }

    private static Contact withDetails(Contact bare, Map<String, String> attributes, Set<String> tags) {
        return new Contact(bare.id(), bare.phone(), attributes, tags, bare.consent(), bare.optedOut(), bare.optedOutAt(),
                bare.timeZone(), bare.notOnWhatsApp(), bare.createdAt(), bare.updatedAt(), bare.lastActiveAt(),
                bare.marketingStoppedInWhatsAppAt());
    }

    private Contact row(ResultSet rs, int rowNum) throws SQLException {
        return new Contact(rs.getObject("id", UUID.class), rs.getString("phone"), Map.of(), Set.of(),
                new Consent(rs.getBoolean("consent_marketing"), rs.getBoolean("consent_utility"),
                        rs.getBoolean("consent_authentication")),
                rs.getBoolean("opted_out"), Times.instant(rs, "opted_out_at"), rs.getString("time_zone"),
                rs.getBoolean("not_on_whatsapp"), Times.instant(rs, "created_at"), Times.instant(rs, "updated_at"),
                Times.instant(rs, "last_active_at"), Times.instant(rs, "marketing_stopped_in_whatsapp_at"));
    }

    /** These contacts that exist and were not erased, without attributes and tags (a thousand read at a time). */
    Map<UUID, Contact> withoutDetails(Collection<UUID> ids) {
        Map<UUID, Contact> found = new HashMap<>();
        List<UUID> all = List.copyOf(new LinkedHashSet<>(ids));
        for (List<UUID> chunk : SqlLists.inChunks(all)) {
            jdbc.sql("SELECT " + COLUMNS + " FROM contacts WHERE id IN (" + SqlLists.placeholders(chunk.size())
                            + ") AND erased_at IS NULL")
                    .params(List.copyOf(chunk)).query(this::row).list().forEach(contact -> found.put(contact.id(), contact));
        }
        return found;
    }

    /** Of these contacts, those who have not agreed to messages of the category (a thousand read at a time). */
    Set<UUID> withoutConsent(Collection<UUID> ids, MessageCategory category) {
        Set<UUID> without = new HashSet<>();
        List<UUID> all = List.copyOf(new LinkedHashSet<>(ids));
        for (List<UUID> chunk : SqlLists.inChunks(all)) {
            without.addAll(jdbc.sql("SELECT id FROM contacts WHERE id IN (" + SqlLists.placeholders(chunk.size())
                            + ") AND consent_" + category.wireName() + " = FALSE")
                    .params(List.copyOf(chunk)).query(UUID.class).list());
        }
        return without;
    }
}
