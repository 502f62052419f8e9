package io.reach.messaging;

import io.reach.contact.PersonalData;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * A contact's messages and the messages it wrote, exported and erased with it. Erased: those still queued are
 * withdrawn, then every one is emptied of its number and its texts (see {@link Messages#eraseOf},
 * {@link InboundMessages#eraseOf}); after the journeys' part, whose cancellations withdraw their own messages first.
 */
@Order(2)
@Component
class MessagePersonalData implements PersonalData {

    /** Messages read at a time for an export. */
    static final int PAGE = 100;

    private final Messages messages;
    private final InboundMessages inboundMessages;

    MessagePersonalData(Messages messages, InboundMessages inboundMessages) {
        this.messages = messages;
        this.inboundMessages = inboundMessages;
    }

    /** The contact's messages, then those it wrote, newest first, each with its timeline and the replies quoting it. */
    @Override
    public void export(UUID contactId, Export export) {
        export.section("messages");
        List<Message> page;
        UUID after = null;
        do {
            page = messages.list(contactId, null, null, after, PAGE, 0);
            page.forEach(message -> export.item(messages.withTimeline(message)));
            after = page.isEmpty() ? null : page.getLast().id();
        } while (page.size() == PAGE);
        export.section("inboundMessages");
        List<InboundMessage> written;
        after = null;
        do {
            written = inboundMessages.list(contactId, after, PAGE);
            written.forEach(export::item);
            after = written.isEmpty() ? null : written.getLast().id();
        } while (written.size() == PAGE);
    }

    @Override
    public Map<String, Integer> erase(UUID contactId, String phone) {
        Map<String, Integer> erased = new LinkedHashMap<>();
        erased.put("messagesWithdrawn", messages.withdraw(messages.queuedFor(contactId), ERASED).size());
        erased.put("messages", messages.eraseOf(contactId, phone, ERASED));
        erased.put("inboundMessages", inboundMessages.eraseOf(contactId));
        return erased;
    }
}
