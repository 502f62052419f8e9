package io.reach.messaging.whatsapp;

import io.reach.contact.Contact;
import io.reach.contact.Contacts;
import io.reach.contact.PhoneNumbers;
import io.reach.messaging.Channel;
import io.reach.messaging.InboundMessage;
import io.reach.messaging.InboundMessages;
import io.reach.messaging.InboxProcessor;
import io.reach.messaging.MessageStatus;
import io.reach.messaging.Messages;
import io.reach.messaging.StatusReport;
import io.reach.messaging.WebhookInbox;
import io.reach.sender.Senders;
import io.reach.sender.WhatsAppAccount;
import io.reach.shared.DatabaseOutage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Processes stored WhatsApp webhooks: status events go to the status model, inbound messages are stored against
 * their contact and the message they answer. Each payload is applied in one transaction with its "processed"
 * mark (with other payloads that are waiting too, each message's in order), so a crash half-way re-applies it
 * whole, and the status model ignores what it already has.
 */
@Component
class WhatsAppWebhookProcessor extends InboxProcessor {

    private static final Logger log = LoggerFactory.getLogger(WhatsAppWebhookProcessor.class);

    private final Messages messages;
    private final InboundMessages inbound;
    private final Contacts contacts;
    private final Senders senders;
    private final JsonMapper json;
    private final WhatsAppSettings settings;
    private final Clock clock;
    private final AccountUpdates accountUpdates;
    private final MarketingPreferences marketingPreferences;
    private final WhatsAppUserIds userIds;

    WhatsAppWebhookProcessor(WebhookInbox inbox, Messages messages, InboundMessages inbound, Contacts contacts,
                             Senders senders, JsonMapper json, TransactionTemplate transactions,
                             WhatsAppSettings settings, Clock clock, AccountUpdates accountUpdates,
                             MarketingPreferences marketingPreferences, WhatsAppUserIds userIds, DatabaseOutage outage) {
        super("whatsapp-webhooks", WhatsAppWebhookController.SOURCE, inbox, transactions, settings.pollInterval(),
                settings.lease(), clock, outage);
        this.messages = messages;
        this.inbound = inbound;
        this.contacts = contacts;
        this.senders = senders;
        this.json = json;
        this.accountUpdates = accountUpdates;
        this.marketingPreferences = marketingPreferences;
        this.userIds = userIds;
        this.settings = settings;
        this.clock = clock;
    }

    /**
     * The WhatsApp message the payload is about (its statuses' id, or the id its replies answer), so that one
     * message's events keep their order; null for a payload about several messages (Meta batches under load), which
     * puts it in the one group that is applied in order, so that no two batches lock the same messages at once.
     */
    @Override
    protected String orderingKey(WebhookInbox.Entry entry) {
        try {
            Set<String> keys = new HashSet<>();
            for (JsonNode change : iterate(json.readTree(entry.body()).path("entry"), "changes")) {
                JsonNode value = change.path("value");
                for (JsonNode status : value.path("statuses")) {
                    keys.add(status.path("id").asString(""));
                }
                // A reply waits behind the statuses of the message it answers.
                for (JsonNode message : value.path("messages")) {
                    String context = message.path("context").path("id").asString(null);
                    keys.add(context != null ? context
                            : message.path("from").asString(message.path("from_user_id").asString("")));
                }
            }
            return keys.size() == 1 ? keys.iterator().next() : null;
        } catch (RuntimeException unreadable) {
            return null;
        }
    }

    @Override
    protected Duration retryDelay(WebhookInbox.Entry entry, RuntimeException failure) {
        return settings.backoff(entry.attempt(), null);
    }

    @Override
    protected void process(WebhookInbox.Entry entry) {
        processAll(List.of(entry));
    }

    /**
     * Statuses first, all of the payloads' at once and in their order (Meta batches them under load, and the inbox
     * hands over a group's payloads together); then the inbound messages; then what Meta says of the account (its
     * messaging limit, its templates' reviews).
     */
    @Override
    protected void processAll(List<WebhookInbox.Entry> entries) {
        Map<UUID, List<Status>> statuses = new LinkedHashMap<>();
        List<Runnable> inboundMessages = new ArrayList<>();
        List<JsonNode> payloads = new ArrayList<>();
        for (WebhookInbox.Entry entry : entries) {
            JsonNode root = json.readTree(entry.body());
            payloads.add(root);
            collect(entry, root, statuses, inboundMessages);
        }
        statuses.forEach(this::applyStatuses);
        inboundMessages.forEach(Runnable::run);
        payloads.forEach(accountUpdates::apply);
    }

    private void collect(WebhookInbox.Entry entry, JsonNode root, Map<UUID, List<Status>> statuses,
                         List<Runnable> inboundMessages) {
        for (JsonNode change : iterate(root.path("entry"), "changes")) {
            if (!"messages".equals(change.path("field").asString("messages"))) {
                continue;
            }
            JsonNode value = change.path("value");
            String phoneNumberId = value.path("metadata").path("phone_number_id").asString(null);
            Optional<WhatsAppAccount> account = phoneNumberId == null ? Optional.empty() : senders.byPhoneNumberId(phoneNumberId);
            UUID senderId = account.map(a -> a.sender().id()).orElse(entry.senderId());
            for (JsonNode status : value.path("statuses")) {
                incoming(status).ifPresent(s -> statuses.computeIfAbsent(senderId, k -> new ArrayList<>())
                        .add(new Status(s, status.path("recipient_user_id").asString(null))));
            }
            for (JsonNode message : value.path("messages")) {
                inboundMessages.add(() -> recordInbound(senderId, message, value.path("contacts")));
            }
        }
    }

    private Optional<Messages.IncomingStatus> incoming(JsonNode status) {
        Optional<MessageStatus> kind = MessageStatus.parse(status.path("status").asString(null))
                .filter(s -> s == MessageStatus.SENT || s == MessageStatus.DELIVERED || s == MessageStatus.READ
                        || s == MessageStatus.FAILED);
        String providerId = status.path("id").asString(null);
        if (kind.isEmpty() || providerId == null) {
            log.debug("Ignoring a WhatsApp status Reach does not track: {}", status.path("status").asString("?"));
            return Optional.empty();
        }
        if (providerId.length() > Messages.LONGEST_PROVIDER_ID) {
            // It names none of Reach's messages, and kept among the unmatched it would fail its whole webhook.
            log.warn("Ignoring a WhatsApp status whose message id has more than {} characters", Messages.LONGEST_PROVIDER_ID);
            return Optional.empty();
        }
        JsonNode error = status.path("errors").path(0);
        Integer code = error.path("code").canConvertToInt() ? error.path("code").asInt() : null;
        String title = code == null ? null : MetaErrors.describe(code, error.path("title").asString(null));
        String details = error.isMissingNode() ? null : error.path("error_data").path("details")
                .asString(error.path("message").asString(null));
        StatusReport report = new StatusReport(kind.get(), timestamp(status), providerId, code, title, details, pricing(status));
        UUID hint = uuid(status.path("biz_opaque_callback_data").asString(null));
        return Optional.of(new Messages.IncomingStatus(report, hint, json.writeValueAsString(status)));
    }

    /** A status as Meta reported it, and the business-scoped id of the user the message went to, if it names one. */
    private record Status(Messages.IncomingStatus incoming, String recipientUserId) {}

    private void applyStatuses(UUID senderId, List<Status> statuses) {
        List<Messages.StatusApplied> applied = messages.applyStatuses(Channel.WHATSAPP, senderId,
                statuses.stream().map(Status::incoming).toList());
        List<UUID> notOnWhatsApp = new ArrayList<>();
        Map<String, WhatsAppUserIds.Seen> learned = new LinkedHashMap<>();
        for (int i = 0; i < statuses.size(); i++) {
            if (statuses.get(i).recipientUserId() != null && applied.get(i).contactId() != null) {
                // The message went to the contact's number: the id Meta names its user by is the contact's.
                learned.put(statuses.get(i).recipientUserId(),
                        new WhatsAppUserIds.Seen(applied.get(i).contactId(), applied.get(i).recipient()));
            }
            Integer code = statuses.get(i).incoming().report().errorCode();
            if (applied.get(i).outcome() != Messages.Applied.APPLIED || code == null || applied.get(i).contactId() == null) {
                continue;
            }
            if (code == MetaErrors.NOT_ON_WHATSAPP) {
                notOnWhatsApp.add(applied.get(i).contactId());
            } else if (code == MarketingPreferences.STOPPED) {
                // In the transaction that fails the message: the journey's fallback, taken after it, finds the consent gone.
                marketingPreferences.follow(applied.get(i).contactId(), false, "Meta's error " + code);
            }
        }
        contacts.markNotOnWhatsApp(notOnWhatsApp);
        userIds.learn(learned);
    }

    private void recordInbound(UUID senderId, JsonNode message, JsonNode contactsNode) {
        String providerId = message.path("id").asString(null);
        String type = message.path("type").asString("unknown");
        String context = type.equals("reaction") ? message.path("reaction").path("message_id").asString(null)
                : message.path("context").path("id").asString(null);
        String from = message.path("from").asString(null);
        String userId = userIdOf(message, contactsNode);
        if (providerId == null || senderId == null) {
            log.warn("Ignoring an inbound WhatsApp message without id or sender");
            return;
        }
        String e164;
        if (from != null) {
            PhoneNumbers.Result phone = contacts.phoneNumbers().normalise(from.startsWith("+") ? from : "+" + from);
            e164 = phone.isValid() ? phone.e164() : "+" + from.replaceAll("[^0-9]", "");
        } else {
            // Meta withholds the number of a user who took a username: a message is the contact's whose user id it
            // carries, if Reach learned that id beside the contact's number, or else the contact's of the message it
            // quotes (a quick-reply button's always quotes one).
            e164 = Optional.ofNullable(userId).flatMap(userIds::contactOf)
                    .or(() -> inbound.quoted(context, senderId).flatMap(messages::contactOf))
                    .flatMap(contacts::find).map(Contact::phone).orElse(null);
            if (e164 == null) {
                // The user id is not logged: it is personal data that no erasure reaches in a log.
                log.warn("Ignoring inbound WhatsApp message {}: it carries no number (Meta withholds that of a user who"
                        + " took a username), {}, and it quotes none of the messages Reach sent to a contact", providerId,
                        userId == null ? "nor a user id" : "its user id is none Reach learned with a contact's number");
                return;
            }
        }
        String text = null;
        String payload = null;
        switch (type) {
            case "text" -> text = message.path("text").path("body").asString(null);
            case "button" -> {
                text = message.path("button").path("text").asString(null);
                payload = message.path("button").path("payload").asString(null);
            }
            case "interactive" -> {
                JsonNode interactive = message.path("interactive");
                String kind = interactive.path("type").asString("");
                JsonNode reply = interactive.path(kind);
                type = kind.isEmpty() ? "interactive" : kind;
                text = reply.path("title").asString(null);
                payload = reply.path("id").asString(null);
            }
            case "reaction" -> {
                // An emoji on one of our messages (none when the contact took it back): kept with that message's replies.
                String emoji = message.path("reaction").path("emoji").asString("");
                text = emoji.isEmpty() ? null : emoji;
            }
            // Meta's notice that the user changed its number or its user id, in Meta's words.
            case InboundMessage.SYSTEM -> text = message.path("system").path("body").asString(null);
            default -> text = message.path(type).path("caption").asString(null);
        }
        Optional<UUID> contactId = inbound.record(new InboundMessage(null, Channel.WHATSAPP, senderId, null, e164,
                        providerId, type, text, payload, context, null, timestamp(message), null),
                json.writeValueAsString(message)).map(InboundMessage::contactId);
        if (userId != null && contactId.isPresent()) {
            userIds.learn(Map.of(userId, new WhatsAppUserIds.Seen(contactId.get(), e164)));
        }
    }

    /**
     * The business-scoped id of the user who wrote {@code message} ({@code from_user_id}), or else that of the payload's
     * one profile ({@code contacts[].user_id}); null when Meta gives none.
     */
    private static String userIdOf(JsonNode message, JsonNode contactsNode) {
        String userId = message.path("from_user_id").asString(null);
        if (userId == null && contactsNode.size() == 1) {
            userId = contactsNode.path(0).path("user_id").asString(null);
        }
        return userId;
    }

    private Instant timestamp(JsonNode node) {
        String seconds = node.path("timestamp").asString(null);
        try {
            return seconds == null ? clock.instant() : Instant.ofEpochSecond(Long.parseLong(seconds));
        } catch (NumberFormatException e) {
            return clock.instant();
        }
    }

    private String pricing(JsonNode status) {
        if (!status.has("pricing") && !status.has("conversation")) {
            return null;
        }
        var node = json.createObjectNode();
        if (status.has("pricing")) {
            node.set("pricing", status.get("pricing"));
        }
        if (status.has("conversation")) {
            node.set("conversation", status.get("conversation"));
        }
        return json.writeValueAsString(node);
    }

    private static UUID uuid(String text) {
        try {
            return text == null ? null : UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static List<JsonNode> iterate(JsonNode entries, String field) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode entry : entries) {
            for (JsonNode item : entry.path(field)) {
                out.add(item);
            }
        }
        return out;
    }
}
