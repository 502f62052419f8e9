package io.reach.messaging.whatsapp;

import io.reach.sender.Sender;
import io.reach.sender.Senders;
import io.reach.shared.MessageCategory;
import io.reach.template.Template;
import io.reach.template.Templates;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;

/**
 * What Meta's webhooks say of a WhatsApp Business Account rather than of a message, applied with the payload's
 * messages: the business portfolio's messaging limit ({@code business_capability_update}, and
 * {@code phone_number_quality_update}), which its numbers follow, a number's throughput upgrade, a template's review
 * ({@code message_template_status_update}), which the registered template follows, so that a paused or disabled
 * template is refused (blocked) before Meta refuses it, its queued messages too, and a template's new category
 * ({@code template_category_update}), so that it goes only to contacts who agreed to that category; and what a
 * WhatsApp user says of the account's marketing messages ({@code user_preferences}), which its contact's marketing
 * consent follows.
 */
@Component
class AccountUpdates {

    private static final Logger log = LoggerFactory.getLogger(AccountUpdates.class);

    private final Senders senders;
    private final Templates templates;
    private final QueuedTemplateMessages queued;
    private final TemplateSync sync;
    private final MarketingPreferences marketingPreferences;

    AccountUpdates(Senders senders, Templates templates, QueuedTemplateMessages queued, TemplateSync sync,
                   MarketingPreferences marketingPreferences) {
        this.marketingPreferences = marketingPreferences;
        this.senders = senders;
        this.templates = templates;
        this.queued = queued;
        this.sync = sync;
    }

    void apply(JsonNode root) {
        for (JsonNode entry : root.path("entry")) {
            String wabaId = entry.path("id").asString(null);
            for (JsonNode change : entry.path("changes")) {
                switch (change.path("field").asString("")) {
                    case "business_capability_update" -> followMessagingLimit(wabaId, change.path("value"));
                    case "phone_number_quality_update" -> followQualityUpdate(wabaId, change.path("value"));
                    case "message_template_status_update" -> followTemplateReview(wabaId, change.path("value"));
                    case "template_category_update" -> followTemplateCategory(wabaId, change.path("value"));
                    case "message_template_components_update" -> followTemplateEdit(wabaId, change.path("value"));
                    case "user_preferences" -> followMarketingPreferences(change.path("value"));
                    default -> { }
                }
            }
        }
    }

    /**
     * A {@code user_preferences} change: a WhatsApp user stopped the business's marketing messages, or resumed them
     * (see {@link MarketingPreferences}).
     */
    private void followMarketingPreferences(JsonNode value) {
        for (JsonNode preference : value.path("user_preferences")) {
            String waId = preference.path("wa_id").asString(null);
            String userId = preference.path("user_id").asString(null);
            String choice = preference.path("value").asString("").toLowerCase(Locale.ROOT);
            if (!"marketing_messages".equals(preference.path("category").asString(""))
                    || !"stop".equals(choice) && !"resume".equals(choice)) {
                log.info("Meta's user_preferences webhook: {} {} is not a marketing stop or resume; left alone",
                        preference.path("category").asString("(no category)"), preference.path("value").asString("(no value)"));
                continue;
            }
            if (waId == null && userId == null) {
                log.info("Meta's user_preferences webhook: a marketing {} of a user it names neither by number nor by"
                        + " user id: Reach cannot tell whose it is; a stop is followed when Meta fails the user's next"
                        + " promotion with 131050", choice);
                continue;
            }
            marketingPreferences.followUser(waId, userId, "resume".equals(choice), "Meta's user_preferences webhook");
        }
    }

    private void followMessagingLimit(String wabaId, JsonNode value) {
        // The per-phone field is the one Meta sent before the portfolio's; either is the portfolio's limit.
        JsonNode limit = value.has("max_daily_conversations_per_business")
                ? value.path("max_daily_conversations_per_business") : value.path("max_daily_conversation_per_phone");
        portfolioLimit(limit).ifPresent(portfolioLimit -> followMessagingLimit(wabaId, portfolioLimit));
    }

    /**
     * A {@code phone_number_quality_update}: the portfolio's messaging limit as a tier ({@code TIER_2K}), which the
     * account's numbers follow as they do a {@code business_capability_update}; and {@code THROUGHPUT_UPGRADE}, Meta
     * raising one number from its default 80 messages a second to 1,000, which that number follows unless its
     * throughput was set to something else than the default (a choice of the user's, kept).
     */
    private void followQualityUpdate(String wabaId, JsonNode value) {
        portfolioLimit(value.path("max_daily_conversations_per_business"))
                .ifPresent(portfolioLimit -> followMessagingLimit(wabaId, portfolioLimit));
        String number = value.path("display_phone_number").asString(null);
        if (wabaId == null || number == null || !"THROUGHPUT_UPGRADE".equalsIgnoreCase(value.path("event").asString(""))) {
            return;
        }
        for (Senders.ThroughputUpgrade upgrade : senders.followThroughputUpgrade(wabaId, number, UPGRADED_THROUGHPUT)) {
            if (upgrade.raised()) {
                log.info("Meta raised the throughput of WhatsApp number {} (sender {}) to {} messages a second; Reach now "
                        + "sends it that fast", number, upgrade.sender().name(), UPGRADED_THROUGHPUT);
            } else {
                log.info("Meta raised the throughput of WhatsApp number {} (sender {}) to {} messages a second; its "
                        + "throughputPerSecond stays {}, as it was set", number, upgrade.sender().name(), UPGRADED_THROUGHPUT,
                        upgrade.sender().throughputPerSecond());
            }
        }
    }

    /** A number's throughput once Meta has raised it (THROUGHPUT_UPGRADE): its "higher throughput". */
    static final int UPGRADED_THROUGHPUT = 1000;

    /**
     * The portfolio's messaging limit as Meta writes it: a number, its digits, or a tier ({@code TIER_250},
     * {@code TIER_2K}, {@code TIER_UNLIMITED}); -1 for unlimited; empty when absent or not set yet.
     */
    static Optional<Integer> portfolioLimit(JsonNode limit) {
        if (limit.isNumber() && limit.canConvertToInt()) {
            return Optional.of(limit.asInt());
        }
        String text = limit.asString("").trim().toUpperCase(Locale.ROOT);
        if (text.matches("-?\\d{1,9}")) {
            return Optional.of(Integer.parseInt(text));
        }
        if (text.equals("TIER_UNLIMITED")) {
            return Optional.of(-1);
        }
        Matcher tier = TIER.matcher(text);
        return tier.matches() ? Optional.of(Integer.parseInt(tier.group(1)) * (tier.group(2).isEmpty() ? 1 : 1000))
                : Optional.empty();
    }

    private static final Pattern TIER = Pattern.compile("TIER_(\\d{1,6})(K?)");

    private void followMessagingLimit(String wabaId, int portfolioLimit) {
        if (wabaId == null) {
            return;
        }
        for (Sender number : senders.followMessagingLimit(wabaId, portfolioLimit)) {
            log.info("Meta set the messaging limit of WhatsApp Business Account {} to {}: sender {} now has {}",
                    wabaId, portfolioLimit < 0 ? "unlimited" : portfolioLimit, number.name(),
                    number.messagingLimit() == null ? "no limit" : number.messagingLimit());
        }
    }

    /**
     * Meta's change of a template's category ({@code template_category_update}): once done ({@code previous_category}
     * and {@code new_category}), the registered template takes the new one, so that a send is checked against
     * consent to it, and its queued messages to contacts who have not agreed to it are withdrawn; announced
     * ({@code correct_category}, with when it will be done), it is logged and changes nothing yet.
     */
    private void followTemplateCategory(String wabaId, JsonNode value) {
        String name = value.path("message_template_name").asString(null);
        String language = value.path("message_template_language").asString(null);
        Optional<Template> template = name == null || language == null ? Optional.empty()
                : templates.ofAccount(wabaId, name, language);
        if (template.isEmpty()) {
            return;
        }
        if (!value.has("previous_category")) {
            MessageCategory.parse(value.path("correct_category").asString(null)).ifPresent(coming -> log.info(
                    "Meta will change the category of template {} ({}) to {} (at {} s after the epoch): from then on it is"
                            + " sent only to contacts who agreed to {} messages", name, language, coming.wireName(),
                    value.path("category_update_timestamp").asString("a time not given"), coming.wireName()));
            return;
        }
        Optional<MessageCategory> now = MessageCategory.parse(value.path("new_category").asString(null));
        if (now.isEmpty() || now.get() == template.get().category()) {
            return;
        }
        Template changed = templates.changeCategory(template.get().id(), now.get());
        int withdrawn = queued.withdrawWithoutConsent(changed);
        log.info("Meta changed the category of template {} ({}) from {} to {}: it is sent only to contacts who agreed to {}"
                        + " messages{}", name, language, template.get().category().wireName(), now.get().wireName(),
                now.get().wireName(), withdrawn == 0 ? "" : "; " + withdrawn + " of its queued messages to contacts who did"
                        + " not were withdrawn");
    }

    /**
     * Meta's news that a template was edited ({@code message_template_components_update}): the account's templates
     * are taken again in the background, so that a registered one sends (and renders, and is checked against) its new
     * components without a sync asked for by hand. Its payload is a summary of the texts, not Meta's components.
     */
    private void followTemplateEdit(String wabaId, JsonNode value) {
        String name = value.path("message_template_name").asString(null);
        String language = value.path("message_template_language").asString(null);
        if (name != null && language != null && templates.ofAccount(wabaId, name, language).isPresent()) {
            sync.syncSoon(wabaId, "Meta says template " + name + " (" + language + ") was edited");
        }
    }

    private void followTemplateReview(String wabaId, JsonNode value) {
        String status = MetaTemplates.status(value.path("event").asString(null)).orElse(null);
        String name = value.path("message_template_name").asString(null);
        String language = value.path("message_template_language").asString(null);
        if (status == null || name == null || language == null) {
            return;
        }
        Optional<Template> template = templates.ofAccount(wabaId, name, language);
        if (template.isEmpty() && Template.APPROVED.equals(status)) {
            // A template made in WhatsApp Manager and now approved: its components come only with the account's list.
            sync.syncSoon(wabaId, "Meta approved template " + name + " (" + language + "), which Reach does not have");
            return;
        }
        if (template.isEmpty() || template.get().status().equals(status)) {
            return;
        }
        // Its messages still queued would each be refused by Meta: they are withdrawn (QueuedTemplateMessages), as new
        // ones are blocked.
        templates.changeStatus(template.get().id(), status);
        log.info("Meta's review of template {} ({}): {} ({}), so it is now {}", name, language,
                value.path("event").asString(), value.path("reason").asString("no reason given"), status);
    }
}
