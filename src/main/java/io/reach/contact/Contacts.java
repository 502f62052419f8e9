package io.reach.contact;

import io.reach.shared.ApiException;
import io.reach.shared.FieldProblem;
import io.reach.shared.Ids;
import io.reach.shared.MessageCategory;
import io.reach.shared.PassingFailures;
import java.io.Reader;
import java.nio.charset.Charset;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/** The contact feature's API: create, change, find and import contacts. */
@Service
public class Contacts {

    private static final Logger log = LoggerFactory.getLogger(Contacts.class);

    static final Pattern ATTRIBUTE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,99}");
    static final int MAX_VALUE_LENGTH = 4000;
    static final int MAX_TAG_LENGTH = 100;
    /** A contact's attributes and tags are read with it at most journey steps: they stay a bounded handful. */
    static final int MAX_ATTRIBUTES = 500;
    static final int MAX_TAGS = 500;

    private final ContactStore store;
    private final PhoneNumbers phoneNumbers;
    private final Clock clock;
    private final TransactionTemplate transactions;
    private final ApplicationEventPublisher events;
    private final OptOutKeywords keywords;
    private final ObjectProvider<PersonalData> personalData;

    Contacts(ContactStore store, ContactSettings settings, Clock clock, TransactionTemplate transactions,
             ApplicationEventPublisher events,
             ObjectProvider<PersonalData> personalData) {
        this.store = store;
        this.phoneNumbers = new PhoneNumbers(settings.defaultRegion());
        this.clock = clock;
        this.transactions = transactions;
        this.events = events;
        this.keywords = new OptOutKeywords(settings.optOutKeywords(), settings.optInKeywords());
        this.personalData = personalData;
    }

    public PhoneNumbers phoneNumbers() {
        return phoneNumbers;
    }

    public Optional<Contact> find(UUID id) {
        return store.find(id);
    }

    /**
     * These contacts as they are now, without their attributes and tags, by id: one unknown or erased is not in the
     * map.
     */
    public Map<UUID, Contact> withoutDetails(Collection<UUID> ids) {
        return ids.isEmpty() ? Map.of() : store.withoutDetails(ids);
    }

    /** Of these contacts, those who have not agreed to messages of the category. */
    public Set<UUID> withoutConsent(Collection<UUID> ids, MessageCategory category) {
        return ids.isEmpty() ? Set.of() : store.withoutConsent(ids, category);
    }

    public Contact get(UUID id) {
        return store.find(id).orElseThrow(() -> notFound(id));
    }

    /** A 404 for a contact that is not there, saying when it was erased if it was. */
    private ApiException notFound(UUID id) {
        return store.erasedAt(id)
                .map(at -> new ApiException(HttpStatus.NOT_FOUND, "not_found", "Contact " + id + " was erased at " + at))
                .orElseGet(() -> ApiException.notFound("Contact", id));
    }

    /**
     * Erases a contact, for good: its number, attributes, tags, consent and time zone, and what the other features
     * keep of it ({@link PersonalData}: its journeys under way are cancelled and their variables emptied, its queued
     * messages withdrawn, the texts and numbers of its messages and replies and its report rows' number and description
     * removed). What stays is what counts and statuses need: its id, and its messages' and journeys' statuses, steps and
     * times. The number is free afterwards: a contact created with it later is someone new, but opted out if this one
     * had (its number's hash is kept for that, as a suppression list keeps it). All in one transaction.
     */
    public ContactErasure erase(UUID id) {
        ContactErasure erasure = PassingFailures.retry(() -> transactions.execute(tx -> {
            Contact contact = get(id);
            // The other features first: a journey's turn locks its journey, then its contact, and so does this.
            Map<String, Integer> erased = new LinkedHashMap<>();
            personalData.orderedStream().forEach(holder -> holder.erase(id, contact.phone())
                    .forEach((kind, count) -> erased.merge(kind, count, Integer::sum)));
            Instant now = clock.instant();
            ContactStore.Erased own = store.erase(id, now).orElseThrow(() -> notFound(id)); // erased meanwhile: undone
            erased.put("attributes", own.attributes());
            erased.put("tags", own.tags());
            if (contact.optedOut()) {
                // As a suppression list keeps it: the number, should it come back, is not messaged again.
                store.keepOptOut(contact.phone(), contact.optedOutAt() == null ? now : contact.optedOutAt());
            }
            erased.put("optOutKept", contact.optedOut() ? 1 : 0);
            return new ContactErasure(id, now, erased);
        }), ERASURE_PATIENCE);
        log.info("Erased contact {}: {}", id, erasure.erased());
        return erasure;
    }

    /**
     * Writes everything Reach keeps about a contact to {@code export}, after {@code start} is given the contact (a
     * contact that is not there, or was erased, is a 404 before anything is written): each feature's sections
     * ({@link PersonalData#export}), read a page at a time, for a person's request to see what is kept of them.
     */
    public void export(UUID id, BiFunction<Contact, Instant, PersonalData.Export> start) {
        Contact contact = get(id);
        PersonalData.Export export = start.apply(contact, clock.instant());
        export.section("consentWithdrawnInWhatsApp");
        store.marketingStoppedInWhatsAppAt(id).ifPresent(at -> export.item(new WithdrawnInWhatsApp(MessageCategory.MARKETING, at)));
        personalData.orderedStream().forEach(holder -> holder.export(id, export));
    }

    /** A consent the contact's own stop in WhatsApp withdrew, and when; a resume there gives back only such a one. */
    record WithdrawnInWhatsApp(MessageCategory category, Instant at) {}

    /** How long an erasure is tried again after a deadlock with work on the same contact (which passes). */
    private static final Duration ERASURE_PATIENCE = Duration.ofSeconds(10);

    /**
     * The contact {@code idOrPhone} names in a path: its id, or its phone number (as {@code ?phone=} takes it: E.164,
     * or national in the default region), which a support team has at hand when a person asks to be forgotten. A 404
     * for a number no contact has (an erased one's included); a 400 naming {@code field} for text that is neither.
     */
    public UUID idOf(String field, String idOrPhone) {
        Optional<UUID> id = Ids.ifId(idOrPhone);
        if (id.isPresent()) {
            return id.get();
        }
        PhoneNumbers.Result phone = phoneNumbers.normalise(idOrPhone);
        if (phone.e164() == null) {
            throw ApiException.invalidField(field, "is neither a contact's id nor a phone number: " + phone.problem());
        }
        return store.idByPhone(phone.e164()).orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND, "not_found",
                "No contact has the phone number " + phone.e164()));
    }

    public Optional<Contact> findByPhone(String e164) {
        return store.findByPhone(e164);
    }

    public Optional<UUID> idByPhone(String e164) {
        return store.idByPhone(e164);
    }

    public boolean exists(UUID id) {
        return store.exists(id);
    }

    /**
     * Whether the contact exists, or existed and was erased: its journeys and messages are still listed by its id,
     * without what the erasure took from them.
     */
    public boolean known(UUID id) {
        return store.known(id);
    }

    /** A page of contacts in the order they were created, after the contact {@code after} when it is given. */
    public List<Contact> list(String tag, UUID after, int limit, int offset) {
        Contact cursor = after == null ? null
                : store.find(after).orElseThrow(() -> ApiException.invalidField("after", "no contact " + after));
        return store.list(tag, cursor, limit, offset);
    }

    public Contact create(ContactRequest request) {
        List<FieldProblem> problems = new ArrayList<>();
        PhoneNumbers.Result phone = phoneNumbers.normalise(request.phone());
        if (!phone.isValid()) {
            problems.add(new FieldProblem("phone", phone.problem()));
        }
        Contact base = blank(phone.e164());
        Contact draft = apply(base, request, problems);
        failOn(problems);
        try {
            return transactions.execute(tx -> {
                if (store.findByPhone(draft.phone()).isPresent()) {
                    throw phoneTaken(draft.phone());
                }
                if (base.optedOut() && !draft.optedOut()) {
                    store.forgetKeptOptOut(draft.phone()); // opted in, in so many words, as a PATCH would
                }
                store.insert(draft);
                return draft;
            });
        } catch (DuplicateKeyException createdMeanwhile) {
            // Another request created a contact with this phone between the check and the insert.
            throw phoneTaken(draft.phone());
        }
    }

    private static ApiException phoneTaken(String phone) {
        return new ApiException(HttpStatus.CONFLICT, "conflict", "A contact with phone " + phone + " already exists",
                List.of(new FieldProblem("phone", "already exists")));
    }

    public Contact update(UUID id, ContactRequest request) {
        // A refusal leaves the transaction as it was: it comes before any write, and a journey's step that sets an
        // attribute runs inside the engine's transaction, which must still commit the journey's failure. Thrown from
        // inside, it would mark that transaction rollback-only.
        Object changedOrRefused = transactions.execute(tx -> {
            try {
                return changed(id, request);
            } catch (ApiException refused) {
                return refused;
            }
        });
        if (changedOrRefused instanceof ApiException refused) {
            throw refused;
        }
        return (Contact) changedOrRefused;
    }

    private Contact changed(UUID id, ContactRequest request) {
        Contact current = get(id);
        List<FieldProblem> problems = new ArrayList<>();
        String phone = current.phone();
        if (request.phone() != null) {
            PhoneNumbers.Result result = phoneNumbers.normalise(request.phone());
            if (result.isValid()) {
                phone = result.e164();
            } else {
                problems.add(new FieldProblem("phone", result.problem()));
            }
        }
        Contact changed = apply(withNumber(current, phone), request, problems);
        failOn(problems);
        if (!changed.phone().equals(current.phone()) && store.findByPhone(changed.phone()).isPresent()) {
            throw ApiException.conflict("Another contact already has phone " + changed.phone());
        }
        if (sameContent(current, changed)) {
            return current;
        }
        Contact stamped = touched(changed);
        saveChanged(current, stamped);
        return stamped;
    }

    /**
     * Which contacts an audience takes: every given tag and none of {@code excludeTags}, every given attribute value,
     * consent for the category, active (wrote to a sender) since {@code activeSince}, and not active since
     * {@code inactiveSince} (or never); a null filter takes everyone.
     */
    public record AudienceFilter(List<String> tags, Map<String, String> attributes, MessageCategory consent,
                                 Instant activeSince, Instant inactiveSince, List<String> excludeTags) {

        public AudienceFilter {
            // A contact's tags are kept trimmed: " vip" written in a flow's audience means the tag vip.
            tags = trimmed(tags);
            excludeTags = trimmed(excludeTags);
        }

        private static List<String> trimmed(List<String> tags) {
            return tags == null ? null : tags.stream().map(tag -> tag == null ? null : tag.trim()).toList();
        }
    }

    /**
     * A page of the ids of the contacts an audience takes (see {@link AudienceFilter}), never an opted-out contact: the
     * first {@code limit} after {@code after} (null: from the start) in id order, which is about creation order (ids
     * are time-ordered). Paging with the last id of a page walks an audience of any size in bounded memory.
     */
    public List<UUID> idsMatching(AudienceFilter filter, UUID after, int limit) {
        return store.idsMatching(filter, after, limit);
    }

    /** How many contacts an audience takes now (for a launch's progress; contacts may come and go meanwhile). */
    public long countMatching(AudienceFilter filter) {
        return store.countMatching(filter);
    }

    /**
     * Notes that the contact wrote to one of the business's senders at {@code at} (a message, a button tap): an
     * audience can take the contacts active or inactive for a while. An earlier message noted late changes nothing.
     */
    public void wrote(UUID id, Instant at) {
        store.markActive(id, at);
    }

    /** Locks the contact's row until the current transaction ends (to order work about one contact). */
    public void lock(UUID id) {
        store.lock(id);
    }

    /**
     * Takes the contact's row lock if no one holds it (false when someone does, or the contact is gone): for a
     * caller that holds other locks and must not wait.
     */
    public boolean lockIfFree(UUID id) {
        return store.lockIfFree(id);
    }

    /** Adds a tag (a journey step); nothing changes when the contact has it already. */
    public void addTag(UUID id, String tag) {
        String problem = tagProblem(tag);
        if (problem != null) {
            throw ApiException.invalidField("tag", problem);
        }
        Contact contact = get(id);
        if (!contact.tags().contains(tag)) {
            List<String> tags = new ArrayList<>(contact.tags());
            tags.add(tag);
            update(id, new ContactRequest(null, null, tags, null, null, null));
        }
    }

    public void removeTag(UUID id, String tag) {
        Contact contact = get(id);
        if (contact.tags().contains(tag)) {
            List<String> tags = new ArrayList<>(contact.tags());
            tags.remove(tag);
            update(id, new ContactRequest(null, null, tags, null, null, null));
        }
    }

    public void setAttribute(UUID id, String name, String value) {
        update(id, new ContactRequest(null, Map.of(name, value == null ? "" : value), null, null, null, null));
    }

    /** Records that WhatsApp said this contact cannot be reached there (Meta error 131026). */
    public void markNotOnWhatsApp(UUID id) {
        markNotOnWhatsApp(List.of(id));
    }

    /** {@link #markNotOnWhatsApp(UUID)} for several contacts in one statement. */
    public void markNotOnWhatsApp(Collection<UUID> ids) {
        if (!ids.isEmpty()) {
            store.markNotOnWhatsApp(ids.stream().distinct().toList(), clock.instant());
        }
    }

    /**
     * The id of the contact with this phone, created without any consent when Reach has never seen it (an inbound
     * message or callback needs no more of the contact than that).
     */
    public UUID idForInbound(String e164) {
        return store.idByPhone(e164).orElseGet(() -> {
            Contact contact = blank(e164);
            store.insert(contact);
            return contact.id();
        });
    }

    /**
     * Opts a contact out when a message it typed is an opt-out keyword (STOP…), or back in when it is an opt-in
     * keyword (START…) and the contact had opted out (see {@link ContactSettings}); any other message changes nothing.
     * An opt-out is published as {@link ContactOptedOut}, in the caller's transaction. Returns the changed contact.
     */
    public Optional<Contact> applyKeyword(UUID id, String text) {
        return keywords.optsOut(text).flatMap(optsOut -> optOut(id, optsOut));
    }

    /**
     * Opts a contact out ({@code optedOut}) or back in, as its own word did (a keyword a provider read, a provider's
     * refusal that says it had said stop there): published as {@link ContactOptedOut} like any opt-out, in the caller's
     * transaction. Returns the changed contact; empty when it already was so.
     */
    public Optional<Contact> optOut(UUID id, boolean optedOut) {
        if (get(id).optedOut() == optedOut) {
            return Optional.empty();
        }
        return Optional.of(update(id, new ContactRequest(null, null, null, null, optedOut, null)));
    }

    /**
     * Imports a CSV document read in {@code charset}: valid lines are upserted by phone, every bad line is reported and
     * skipped.
     */
    public ContactImportReport importCsv(Reader csv, Charset charset) {
        return new ContactCsvImport(this, store, transactions, charset).run(csv);
    }

    /**
     * A new contact with this number and nothing else: no consent, not opted out, unless the number opted out before
     * its contact was erased (the erasure kept that, see {@link #erase}): then opted out since then.
     */
    Contact blank(String e164) {
        Instant now = clock.instant();
        Optional<Instant> optedOutAt = e164 == null ? Optional.empty() : store.keptOptOut(e164);
        return new Contact(Ids.newId(), e164, Map.of(), Set.of(), Consent.NONE, optedOutAt.isPresent(), optedOutAt.orElse(null),
                e164 == null ? null : PhoneNumbers.timeZoneOf(e164).orElse(null), false, now, now, null, null);
    }

    /**
     * Writes a changed contact; when it has just opted out, or withdrawn its consent to a category, tells the features
     * that hold messages for it, in this transaction (messaging withdraws those not yet handed to a provider).
     */
    void saveChanged(Contact before, Contact after) {
        store.update(after);
        if (!after.phone().equals(before.phone())) {
            events.publishEvent(new ContactNumberChanged(after.id(), before.phone(), after.phone()));
        }
        if (after.optedOut() && !before.optedOut()) {
            events.publishEvent(new ContactOptedOut(after.id(), after.optedOutAt()));
        }
        Set<MessageCategory> withdrawn = EnumSet.noneOf(MessageCategory.class);
        for (MessageCategory category : MessageCategory.values()) {
            if (before.consent().allows(category) && !after.consent().allows(category)) {
                withdrawn.add(category);
            }
        }
        if (!withdrawn.isEmpty()) {
            events.publishEvent(new ContactConsentWithdrawn(after.id(), Set.copyOf(withdrawn)));
        }
        if (before.consent().marketing() != after.consent().marketing()) {
            // The business's word on marketing now, whatever the contact did in WhatsApp before (see followWhatsApp).
            store.markMarketingStoppedInWhatsApp(after.id(), null);
        }
    }

    /** What a contact's choice in WhatsApp about the business's marketing messages did to its marketing consent. */
    public enum WhatsAppMarketingChoice {
        /** A stop withdrew the consent (and the contact's queued marketing messages). */
        WITHDRAWN,
        /** A resume gave back the consent its stop had withdrawn. */
        GIVEN_BACK,
        /** Nothing: the consent was already as the choice would make it. */
        ALREADY_SO,
        /** A resume left the consent withdrawn: the business withdrew it (or never had it), not a stop in WhatsApp. */
        NOT_GIVEN_BY_WHATSAPP
    }

    /**
     * Follows a contact's stop ({@code resumed} false) or resume of the business's marketing messages in WhatsApp, in
     * the caller's transaction if it has one, holding the contact's row from the read to the write. A stop withdraws
     * the marketing consent and notes that it did; a resume gives back only a consent a stop withdrew, since the
     * contact asked for WhatsApp's promotions again, not for the consent the business withdrew or never had (which a
     * change by the business, through the API or an import, says since). Empty for a contact erased meanwhile.
     */
    public Optional<WhatsAppMarketingChoice> followWhatsApp(UUID id, boolean resumed) {
        return transactions.execute(tx -> {
            lock(id);
            // Read without a refusal: thrown in here, it would mark the caller's transaction (a webhook's) rollback-only.
            Optional<Contact> contact = find(id);
            if (contact.isEmpty()) {
                return Optional.empty();
            }
            Consent consent = contact.get().consent();
            if (consent.marketing() == resumed) {
                return Optional.of(WhatsAppMarketingChoice.ALREADY_SO);
            }
            if (resumed && store.marketingStoppedInWhatsAppAt(id).isEmpty()) {
                return Optional.of(WhatsAppMarketingChoice.NOT_GIVEN_BY_WHATSAPP);
            }
            // A request's consent is the whole of it: every other category as it is.
            Map<String, Boolean> changed = Arrays.stream(MessageCategory.values()).collect(
                    Collectors.toMap(MessageCategory::wireName,
                            category -> category == MessageCategory.MARKETING ? resumed : consent.allows(category)));
            update(id, new ContactRequest(null, null, null, changed, null, null));
            if (!resumed) {
                store.markMarketingStoppedInWhatsApp(id, clock.instant());
                return Optional.of(WhatsAppMarketingChoice.WITHDRAWN);
            }
            return Optional.of(WhatsAppMarketingChoice.GIVEN_BACK);
        });
    }

    Contact touched(Contact contact) {
        return new Contact(contact.id(), contact.phone(), contact.attributes(), contact.tags(), contact.consent(),
                contact.optedOut(), contact.optedOutAt(), contact.timeZone(), contact.notOnWhatsApp(),
                contact.createdAt(), clock.instant(), contact.lastActiveAt(), contact.marketingStoppedInWhatsAppAt());
    }

    static boolean sameContent(Contact a, Contact b) {
        return a.phone().equals(b.phone()) && a.attributes().equals(b.attributes()) && a.tags().equals(b.tags())
                && a.consent().equals(b.consent()) && a.optedOut() == b.optedOut()
                && Objects.equals(a.timeZone(), b.timeZone());
    }

    /**
     * The contact with {@code phone} as its number. What Reach learnt of the old number goes with it: a time zone that
     * came from it gives way to the new number's (none when it may be in several, whose windows are then kept), so that
     * a contact who moved from Amsterdam to New York is not woken at 3 in the morning, and Meta's word that it is not
     * on WhatsApp no longer holds (a flow that sends such contacts straight to SMS would never try the new number). A
     * time zone set apart from the number is kept.
     */
    static Contact withNumber(Contact contact, String phone) {
        if (phone.equals(contact.phone())) {
            return contact;
        }
        String timeZone = contact.timeZone();
        if (Objects.equals(timeZone, PhoneNumbers.timeZoneOf(contact.phone()).orElse(null))) {
            timeZone = PhoneNumbers.timeZoneOf(phone).orElse(null);
        }
        return new Contact(contact.id(), phone, contact.attributes(), contact.tags(), contact.consent(),
                contact.optedOut(), contact.optedOutAt(), timeZone, false,
                contact.createdAt(), contact.updatedAt(), contact.lastActiveAt(), contact.marketingStoppedInWhatsAppAt());
    }

    /** Applies a request's fields to a contact, collecting every problem instead of stopping at the first. */
    private Contact apply(Contact base, ContactRequest request, List<FieldProblem> problems) {
        Map<String, String> attributes = new TreeMap<>(base.attributes());
        if (request.attributes() != null) {
            request.attributes().forEach((name, value) -> {
                String field = "attributes." + name;
                if (name == null || !ATTRIBUTE_NAME.matcher(name).matches()) {
                    problems.add(new FieldProblem(field, "an attribute name is letters, digits and _ (not starting with a digit), at most 100"));
                } else if (value == null || value.isEmpty()) {
                    attributes.remove(name);
                } else if (value.length() > MAX_VALUE_LENGTH) {
                    problems.add(new FieldProblem(field, "is longer than " + MAX_VALUE_LENGTH + " characters"));
                } else {
                    attributes.put(name, value);
                }
            });
        }
        Set<String> tags = new TreeSet<>(base.tags());
        if (request.tags() != null) {
            tags.clear();
            for (int i = 0; i < request.tags().size(); i++) {
                String tag = request.tags().get(i);
                String problem = tagProblem(tag);
                if (problem != null) {
                    problems.add(new FieldProblem("tags[" + i + "]", problem));
                } else {
                    tags.add(tag.trim());
                }
            }
        }
        if (attributes.size() > MAX_ATTRIBUTES) {
            problems.add(new FieldProblem("attributes", "a contact has at most " + MAX_ATTRIBUTES + " attributes; this would give it "
                    + attributes.size()));
        }
        if (tags.size() > MAX_TAGS) {
            problems.add(new FieldProblem("tags", "a contact has at most " + MAX_TAGS + " tags; this would give it " + tags.size()));
        }
        Consent consent = base.consent();
        if (request.consent() != null) {
            Consent given = Consent.NONE;
            for (Map.Entry<String, Boolean> entry : request.consent().entrySet()) {
                Optional<MessageCategory> category = MessageCategory.parse(entry.getKey());
                if (category.isEmpty()) {
                    problems.add(new FieldProblem("consent." + entry.getKey(),
                            "is not a message category (" + MessageCategory.allowedValues() + ")"));
                } else if (Boolean.TRUE.equals(entry.getValue())) {
                    given = given.grant(category.get());
                }
            }
            consent = given;
        }
        boolean optedOut = request.optedOut() == null ? base.optedOut() : request.optedOut();
        Instant optedOutAt = optedOut ? (base.optedOut() ? base.optedOutAt() : clock.instant()) : null;
        String timeZone = base.timeZone();
        if (request.timeZone() != null && request.timeZone().isBlank()) {
            // Given back to the number: its zone, and a new number's from then on (see withNumber).
            timeZone = base.phone() == null ? null : PhoneNumbers.timeZoneOf(base.phone()).orElse(null);
        } else if (request.timeZone() != null) {
            try {
                timeZone = ianaTimeZone(request.timeZone());
            } catch (IllegalArgumentException refused) {
                problems.add(new FieldProblem("timeZone", refused.getMessage()));
            }
        }
        return new Contact(base.id(), base.phone(), attributes, tags, consent, optedOut, optedOutAt, timeZone,
                base.notOnWhatsApp(), base.createdAt(), base.updatedAt(), base.lastActiveAt(),
                stoppedInWhatsAppAfter(base, consent));
    }

    /**
     * When {@code contact}'s stop in WhatsApp withdrew its marketing consent, once its consent becomes {@code consent}:
     * none when the business changes the marketing consent, whose word it is from then on (see saveChanged).
     */
    static Instant stoppedInWhatsAppAfter(Contact contact, Consent consent) {
        return consent.marketing() == contact.consent().marketing() ? contact.marketingStoppedInWhatsAppAt() : null;
    }

    // Read once: Java copies the set at each call, and an import may ask for every line.
    private static final Set<String> IANA_ZONES = Set.copyOf(ZoneId.getAvailableZoneIds());

    /**
     * The IANA id of the time zone {@code text} names; refused (with why) when it names none, or names a fixed offset
     * ({@code +01:00}, {@code GMT+1}), which knows no summer time: a window set for Amsterdam's mornings would be an
     * hour off half the year. {@code UTC} and IANA's own fixed zones ({@code Etc/GMT-3}) are names, and taken.
     */
    static String ianaTimeZone(String text) {
        ZoneId zone;
        try {
            zone = ZoneId.of(text.trim());
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("'" + text + "' is not an IANA time zone (e.g. Europe/Amsterdam)");
        }
        if (!IANA_ZONES.contains(zone.getId())) {
            throw new IllegalArgumentException("'" + text + "' is a fixed offset, which knows no summer time: give the"
                    + " zone's IANA name (e.g. Europe/Amsterdam), or UTC");
        }
        return zone.getId();
    }

    /** What is wrong with a tag a contact would be given (empty, too long), or null when nothing is. */
    public static String tagProblem(String tag) {
        if (tag == null || tag.isBlank()) {
            return "a tag cannot be empty";
        }
        if (tag.trim().length() > MAX_TAG_LENGTH) {
            return "a tag is at most " + MAX_TAG_LENGTH + " characters";
        }
        return null;
    }

    private static void failOn(List<FieldProblem> problems) {
        if (!problems.isEmpty()) {
            String summary = problems.getFirst().field() + ": " + problems.getFirst().message()
                    + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : "");
            throw ApiException.badRequest("invalid_request", summary, problems);
        }
    }
}
