package io.reach.messaging;

import io.reach.contact.Contact;
import io.reach.contact.Contacts;
import io.reach.contact.PersonalData;
import io.reach.shared.ApiException;
import io.reach.shared.FieldProblem;
import io.reach.shared.Ids;
import io.reach.shared.MessageCategory;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/** Who a send is for, and whether Reach may message them: the same rules on every channel. */
@Component
public class Recipients {

    private final Contacts contacts;

    Recipients(Contacts contacts) {
        this.contacts = contacts;
    }

    /** The contact named by {@code to} (a phone number) or {@code contactId}; exactly one of them must be given. */
    public Contact resolve(String to, String contactId) {
        return resolve(to, contactId, contacts::find, contacts::findByPhone);
    }

    /**
     * The id of the contact named by {@code to} or {@code contactId}, as {@link #resolve}, for callers that need no
     * more of it (a journey started for it reads the contact when a step needs it).
     */
    public UUID resolveId(String to, String contactId) {
        return resolve(to, contactId, id -> contacts.exists(id) ? Optional.of(id) : Optional.empty(), contacts::idByPhone);
    }

    /** One lookup either way: the contact, or only its id, by id or by phone. */
    private <T> T resolve(String to, String contactId, Function<UUID, Optional<T>> byId,
                          Function<String, Optional<T>> byPhone) {
        if (blank(to) == blank(contactId)) {
            throw ApiException.invalidField("to", "give either 'to' (a phone number) or 'contactId'");
        }
        if (!blank(contactId)) {
            return byId.apply(Ids.parse("contactId", contactId)).orElseThrow(() -> unknownId(contactId));
        }
        String phone = contacts.phoneNumbers().require("to", to);
        return byPhone.apply(phone).orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND, "contact_not_found",
                "to: no contact has the phone " + phone + "; create the contact first, with its consent",
                List.of(new FieldProblem("to", "unknown contact"))));
    }

    private static ApiException unknownId(String contactId) {
        return new ApiException(HttpStatus.NOT_FOUND, "contact_not_found", "contactId: no contact has the id " + contactId,
                List.of(new FieldProblem("contactId", "unknown")));
    }

    /**
     * Why a message queued for a contact's number is withdrawn when that number is changed: the old number may be
     * someone else's by now.
     */
    public static final String NUMBER_CHANGED = "number changed: the contact's number was changed after this message was"
            + " queued for the one before";

    /** A message a dispatcher took, as it was made: its contact, the number it goes to, the category consented to. */
    public record Taken(UUID messageId, UUID contactId, String recipient, MessageCategory category) {}

    /**
     * Why each of these messages may no longer go out, by message (one that may is not in the map): its contact was
     * erased, had its number changed, opted out, or withdrew its consent to the message's category since the message
     * was made. Each change withdraws the queued messages it sees; this catches one that a send made from the contact
     * as it read it before the change committed, which the withdrawal could not see. One read for them all.
     */
    public Map<UUID, String> refusedNow(Collection<Taken> taken) {
        Map<UUID, Contact> now = contacts.withoutDetails(taken.stream().map(Taken::contactId).toList());
        Map<UUID, String> refused = new HashMap<>();
        for (Taken message : taken) {
            String why = refusal(now.get(message.contactId()), message);
            if (why != null) {
                refused.put(message.messageId(), why);
            }
        }
        return refused;
    }

    /** Why the message may no longer go to its contact as it is now ({@code null}: erased), or null when it may. */
    private static String refusal(Contact contact, Taken message) {
        if (contact == null) {
            return PersonalData.ERASED;
        }
        if (!contact.phone().equals(message.recipient())) {
            return NUMBER_CHANGED;
        }
        if (message.category() == null) {
            // A free-form text answers the contact, inside its window: only an opt-out stops it.
            return contact.optedOut() ? OPTED_OUT : null;
        }
        return blockedReason(contact, message.category());
    }

    /** Why an opted-out contact's message is blocked (or withdrawn, when it opted out while the message was queued). */
    public static final String OPTED_OUT = "opted out: the contact opted out of all messages";

    /** Why a message of this category is blocked, or withdrawn, when its contact has not (or no longer) agreed to it. */
    public static String noConsent(MessageCategory category) {
        return "no consent: the contact has not agreed to " + category.wireName() + " messages";
    }

    /** Why a contact may not get a message of this category, or null when it may. */
    public static String blockedReason(Contact contact, MessageCategory category) {
        if (contact.optedOut()) {
            return OPTED_OUT;
        }
        if (!contact.consent().allows(category)) {
            return noConsent(category);
        }
        return null;
    }

    /** The category a send names, required because consent is given per category. */
    public static MessageCategory category(String text) {
        if (text == null || text.isBlank()) {
            throw ApiException.invalidField("category", "is required (" + MessageCategory.allowedValues()
                    + "): consent is checked per category");
        }
        Optional<MessageCategory> category = MessageCategory.parse(text);
        return category.orElseThrow(() -> ApiException.invalidField("category", "must be one of " + MessageCategory.allowedValues()));
    }

    private static boolean blank(String text) {
        return text == null || text.isBlank();
    }
}
