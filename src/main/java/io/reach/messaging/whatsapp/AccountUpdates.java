package io.reach.messaging.whatsapp;

import io.reach.messaging.Messages;
import io.reach.sender.Sender;
import io.reach.sender.Senders;
import io.reach.template.Template;
import io.reach.template.Templates;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;

/**
 * What Meta's webhooks say of a WhatsApp Business Account rather than of a message, applied with the payload's
 * messages: the business portfolio's messaging limit ({@code business_capability_update}), which its numbers follow,
 * and a template's review ({@code message_template_status_update}), which the registered template follows, so that
 * a paused or disabled template is refused (blocked) before Meta refuses it, its queued messages too.
 */
@Component
class AccountUpdates {

    private static final Logger log = LoggerFactory.getLogger(AccountUpdates.class);

    /** Meta's template events, as the template statuses Reach keeps; the others (FLAGGED, LOCKED, …) change none. */
    private static final Map<String, String> TEMPLATE_STATUSES = Map.of(
            "APPROVED", Template.APPROVED, "UNARCHIVED", Template.APPROVED, "REINSTATED", Template.APPROVED,
            "PENDING", "PENDING", "IN_APPEAL", "PENDING", "REJECTED", "REJECTED", "PAUSED", "PAUSED",
            "DISABLED", "DISABLED", "ARCHIVED", "DISABLED", "PENDING_DELETION", "DISABLED");

    private final Senders senders;
    private final Templates templates;
    private final Messages messages;

    AccountUpdates(Senders senders, Templates templates, Messages messages) {
        this.senders = senders;
        this.templates = templates;
        this.messages = messages;
    }

    void apply(JsonNode root) {
        for (JsonNode entry : root.path("entry")) {
            String wabaId = entry.path("id").asString(null);
            for (JsonNode change : entry.path("changes")) {
                switch (change.path("field").asString("")) {
                    case "business_capability_update" -> followMessagingLimit(wabaId, change.path("value"));
                    case "message_template_status_update" -> followTemplateReview(change.path("value"));
                    default -> { }
                }
            }
        }
    }

    private void followMessagingLimit(String wabaId, JsonNode value) {
        // The per-phone field is the one Meta sent before the portfolio's; either is the portfolio's limit.
        JsonNode limit = value.has("max_daily_conversations_per_business")
                ? value.path("max_daily_conversations_per_business") : value.path("max_daily_conversation_per_phone");
        if (wabaId == null || !limit.canConvertToInt() && !limit.asString("").matches("-?\\d{1,9}")) {
            return;
        }
        int portfolioLimit = limit.isNumber() ? limit.asInt() : Integer.parseInt(limit.asString());
        for (Sender number : senders.followMessagingLimit(wabaId, portfolioLimit)) {
            log.info("Meta set the messaging limit of WhatsApp Business Account {} to {}: sender {} now has {}",
                    wabaId, portfolioLimit < 0 ? "unlimited" : portfolioLimit, number.name(),
                    number.messagingLimit() == null ? "no limit" : number.messagingLimit());
        }
    }

    private void followTemplateReview(JsonNode value) {
        String status = TEMPLATE_STATUSES.get(value.path("event").asString("").toUpperCase(Locale.ROOT));
        String name = value.path("message_template_name").asString(null);
        String language = value.path("message_template_language").asString(null);
        if (status == null || name == null || language == null) {
            return;
        }
        Optional<Template> template = templates.find(name, language);
        if (template.isEmpty() || template.get().status().equals(status)) {
            return;
        }
        templates.changeStatus(template.get().id(), status);
        // Its messages still queued would each be refused by Meta: they are withdrawn, as new ones are blocked.
        int withdrawn = status.equals(Template.APPROVED) ? 0 : messages.withdraw(messages.queuedWithTemplate(name, language),
                "template not approved: " + name + " (" + language + ") is " + status).size();
        log.info("Meta's review of template {} ({}): {} ({}), so it is now {}{}", name, language,
                value.path("event").asString(), value.path("reason").asString("no reason given"), status,
                withdrawn == 0 ? "" : "; " + withdrawn + " of its queued messages withdrawn");
    }
}
