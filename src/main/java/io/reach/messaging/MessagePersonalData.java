package io.reach.messaging;

import io.reach.contact.PersonalData;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * A contact's messages and the messages it wrote, erased with it: those still queued are withdrawn, then every one is
 * emptied of its number and its texts (see {@link Messages#eraseOf}, {@link InboundMessages#eraseOf}). After the
 * journeys' part, whose cancellations withdraw their own messages first.
 */
@Order(2)
@Component
class MessagePersonalData implements PersonalData {

    private final Messages messages;
    private final InboundMessages inboundMessages;

    MessagePersonalData(Messages messages, InboundMessages inboundMessages) {
        this.messages = messages;
        this.inboundMessages = inboundMessages;
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
