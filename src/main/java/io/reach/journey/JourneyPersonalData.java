package io.reach.journey;

import io.reach.contact.PersonalData;
import io.reach.messaging.Messages;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * A contact's journeys, erased with it: those under way are cancelled (their queued messages withdrawn), then every
 * journey of it is emptied of what it kept of the contact. First of the features: a journey's turn takes its journey's
 * lock before its messages' and its contact's, and the erasure takes them in that order too.
 */
@Order(1)
@Component
class JourneyPersonalData implements PersonalData {

    private final JourneyStore store;
    private final Messages messages;

    JourneyPersonalData(JourneyStore store, Messages messages) {
        this.store = store;
        this.messages = messages;
    }

    @Override
    public Map<String, Integer> erase(UUID contactId, String phone) {
        List<UUID> cancelled = store.cancel(store.underWay(contactId, null), ERASED);
        int withdrawn = cancelled.isEmpty() ? 0 : messages.withdraw(store.messagesOf(cancelled), ERASED).size();
        JourneyStore.ErasedJourneys erased = store.eraseOf(contactId, ERASED);
        Map<String, Integer> counts = new java.util.LinkedHashMap<>();
        counts.put("journeysCancelled", cancelled.size());
        counts.put("journeys", erased.journeys());
        counts.put("reportRows", erased.reportRows());
        counts.put("messagesWithdrawn", withdrawn);
        return counts;
    }
}
