package io.reach.messaging.whatsapp;

import io.reach.contact.Contacts;
import io.reach.messaging.Messages;
import io.reach.messaging.Recipients;
import io.reach.template.Template;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.springframework.stereotype.Component;

/**
 * The queued messages of a template that Meta changed: withdrawn when it is no longer approved (Meta would refuse each
 * of them), and when Meta recategorized it, those to contacts who have not agreed to its new category.
 */
@Component
class QueuedTemplateMessages {

    private final Messages messages;
    private final Contacts contacts;

    QueuedTemplateMessages(Messages messages, Contacts contacts) {
        this.messages = messages;
        this.contacts = contacts;
    }

    /**
     * After a template took a new category: withdraws its queued messages to contacts who have not agreed to that
     * category (their consent was for the one before, as a new send would now be blocked), and records the others'
     * new category. Returns how many it withdrew.
     */
    int withdrawWithoutConsent(Template template) {
        List<Messages.QueuedMessage> queued = messages.queuedWithTemplate(template.name(), template.language());
        Set<UUID> without = contacts.withoutConsent(queued.stream().map(Messages.QueuedMessage::contactId)
                .filter(Objects::nonNull).toList(), template.category());
        int withdrawn = without.isEmpty() ? 0 : messages.withdraw(queued.stream().filter(m -> without.contains(m.contactId()))
                .map(Messages.QueuedMessage::id).toList(), Recipients.noConsent(template.category())
                + " (template " + template.name() + " (" + template.language() + ") is now " + template.category().wireName()
                + ")").size();
        messages.recategorizeQueued(template.name(), template.language(), template.category());
        return withdrawn;
    }

    /** Withdraws the queued messages of the template unless it is approved; returns how many. */
    int withdrawUnlessApproved(Template template) {
        if (template.isApproved()) {
            return 0;
        }
        return messages.withdraw(messages.queuedWithTemplate(template.name(), template.language()).stream()
                        .map(Messages.QueuedMessage::id).toList(),
                "template not approved: " + template.name() + " (" + template.language() + ") is " + template.status()).size();
    }
}
