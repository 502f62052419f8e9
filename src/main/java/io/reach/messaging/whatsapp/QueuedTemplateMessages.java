package io.reach.messaging.whatsapp;

import io.reach.contact.Contacts;
import io.reach.messaging.Messages;
import io.reach.messaging.Recipients;
import io.reach.sender.Senders;
import io.reach.template.Template;
import io.reach.template.TemplateStatusChanged;
import io.reach.template.Templates;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The queued messages of a template that Meta (or a person, through the API) changed: withdrawn when it is no longer
 * approved (Meta would refuse each of them), and when Meta recategorized it, those to contacts who have not agreed to
 * its new category.
 */
@Component
class QueuedTemplateMessages {

    private static final Logger log = LoggerFactory.getLogger(QueuedTemplateMessages.class);

    private final Messages messages;
    private final Contacts contacts;
    private final Templates templates;
    private final Senders senders;

    QueuedTemplateMessages(Messages messages, Contacts contacts, Templates templates, Senders senders) {
        this.messages = messages;
        this.contacts = contacts;
        this.templates = templates;
        this.senders = senders;
    }

    /**
     * After a template took a new category: withdraws its queued messages to contacts who have not agreed to that
     * category (their consent was for the one before, as a new send would now be blocked), and records the others'
     * new category. Returns how many it withdrew.
     */
    int withdrawWithoutConsent(Template template) {
        List<Messages.QueuedMessage> queued = queuedWith(template);
        Set<UUID> without = contacts.withoutConsent(queued.stream().map(Messages.QueuedMessage::contactId)
                .filter(Objects::nonNull).toList(), template.category());
        int withdrawn = without.isEmpty() ? 0 : messages.withdraw(queued.stream().filter(m -> without.contains(m.contactId()))
                .map(Messages.QueuedMessage::id).toList(), Recipients.noConsent(template.category())
                + " (template " + template.name() + " (" + template.language() + ") is now " + template.category().wireName()
                + ")").size();
        List<UUID> kept = queued.stream().filter(m -> !without.contains(m.contactId())).map(Messages.QueuedMessage::id).toList();
        if (!kept.isEmpty()) {
            messages.recategorizeQueued(kept, template.category());
        }
        return withdrawn;
    }

    /**
     * A template whose status changed, by Meta's review or by hand: its queued messages are withdrawn unless it is
     * approved now, in the transaction that changed it.
     */
    @EventListener
    void onStatusChanged(TemplateStatusChanged changed) {
        int withdrawn = withdrawUnlessApproved(changed.now());
        if (withdrawn > 0) {
            log.info("Template {} ({}) is {} now: {} of its queued messages withdrawn", changed.now().name(),
                    changed.now().language(), changed.now().status(), withdrawn);
        }
    }

    /** Withdraws the queued messages of the template unless it is approved; returns how many. */
    int withdrawUnlessApproved(Template template) {
        if (template.isApproved()) {
            return 0;
        }
        return messages.withdraw(queuedWith(template).stream().map(Messages.QueuedMessage::id).toList(),
                "template not approved: " + template.name() + " (" + template.language() + ") is " + template.status()).size();
    }

    /**
     * The queued messages made with this very template: of its name and language, from the senders that send it (its
     * account's, or, for one registered without an account, those of accounts without one of their own).
     */
    private List<Messages.QueuedMessage> queuedWith(Template template) {
        Map<UUID, Boolean> sendsIt = new HashMap<>();
        return messages.queuedWithTemplate(template.name(), template.language()).stream()
                .filter(message -> sendsIt.computeIfAbsent(message.senderId(), sender -> templates.find(
                                senders.account(sender).sender().wabaId(), template.name(), template.language())
                        .map(Template::id).filter(template.id()::equals).isPresent()))
                .toList();
    }
}
