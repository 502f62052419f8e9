package io.reach.messaging.whatsapp;

import io.reach.messaging.Messages;
import io.reach.template.Template;
import org.springframework.stereotype.Component;

/** The queued messages of a template that is no longer approved, withdrawn: Meta would refuse each of them. */
@Component
class QueuedTemplateMessages {

    private final Messages messages;

    QueuedTemplateMessages(Messages messages) {
        this.messages = messages;
    }

    /** Withdraws the queued messages of the template unless it is approved; returns how many. */
    int withdrawUnlessApproved(Template template) {
        if (template.isApproved()) {
            return 0;
        }
        return messages.withdraw(messages.queuedWithTemplate(template.name(), template.language()),
                "template not approved: " + template.name() + " (" + template.language() + ") is " + template.status()).size();
    }
}
