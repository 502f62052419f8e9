package io.reach.messaging.twilio;

import io.reach.contact.Contacts;
import io.reach.contact.PhoneNumbers;
import io.reach.messaging.Channel;
import io.reach.messaging.InboundMessage;
import io.reach.messaging.InboundMessageReceived;
import io.reach.messaging.InboundMessages;
import io.reach.messaging.InboxProcessor;
import io.reach.messaging.Messages;
import io.reach.messaging.MessagingSettings;
import io.reach.messaging.StatusReport;
import io.reach.messaging.WebhookInbox;
import io.reach.shared.DatabaseOutage;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** Applies stored Twilio callbacks: call and message statuses to the status model, incoming SMS to inbound messages. */
@Component
class TwilioCallbackProcessor extends InboxProcessor {

    private static final Logger log = LoggerFactory.getLogger(TwilioCallbackProcessor.class);
    private static final TypeReference<Map<String, String>> FORM = new TypeReference<>() {};

    private final Messages messages;
    private final InboundMessages inbound;
    private final Contacts contacts;
    private final JsonMapper json;
    private final MessagingSettings settings;
    private final Clock clock;

    TwilioCallbackProcessor(WebhookInbox inbox, Messages messages, InboundMessages inbound, Contacts contacts,
                            JsonMapper json, TransactionTemplate transactions, MessagingSettings settings, Clock clock,
                            DatabaseOutage outage) {
        super("twilio-callbacks", TwilioWebhookController.SOURCE, inbox, transactions, settings.pollInterval(),
                settings.lease(), clock, outage);
        this.messages = messages;
        this.inbound = inbound;
        this.contacts = contacts;
        this.json = json;
        this.settings = settings;
        this.clock = clock;
    }

    @Override
    protected Duration retryDelay(WebhookInbox.Entry entry, RuntimeException failure) {
        return settings.backoff(entry.attempt());
    }

    /** The call or SMS the callback is about, so that its callbacks keep their order. */
    @Override
    protected String orderingKey(WebhookInbox.Entry entry) {
        try {
            Map<String, String> form = json.readValue(entry.body(), FORM);
            return form.getOrDefault("CallSid", form.getOrDefault("MessageSid", form.get("From")));
        } catch (RuntimeException unreadable) {
            return null;
        }
    }

    @Override
    protected void process(WebhookInbox.Entry entry) {
        Map<String, String> form = json.readValue(entry.body(), FORM);
        if ("inbound".equals(form.get("_kind"))) {
            recordInbound(entry, form);
            return;
        }
        Integer errorCode = number(form.get("ErrorCode"));
        UUID hint = uuid(form.get("_messageId"));
        if (form.containsKey("CallSid")) {
            TwilioStatuses.call(form.get("CallStatus"), errorCode).ifPresent(mapped -> messages.applyStatus(Channel.VOICE,
                    entry.senderId(), report(mapped, form.get("CallSid"), form), hint, entry.body()));
        } else if (form.containsKey("MessageSid")) {
            String status = form.getOrDefault("MessageStatus", form.get("SmsStatus"));
            TwilioStatuses.message(status, errorCode).ifPresent(mapped -> messages.applyStatus(Channel.SMS,
                    entry.senderId(), report(mapped, form.get("MessageSid"), form), hint, entry.body()));
        }
    }

    private StatusReport report(TwilioStatuses.Mapped mapped, String sid, Map<String, String> form) {
        String details = form.get("ErrorMessage") != null ? form.get("ErrorMessage")
                : form.containsKey("CallDuration") ? "call lasted " + form.get("CallDuration") + " s" : null;
        return new StatusReport(mapped.status(), clock.instant(), sid,
                mapped.error() == null ? null : mapped.error().code(),
                mapped.error() == null ? null : mapped.error().title(), details, null);
    }

    private void recordInbound(WebhookInbox.Entry entry, Map<String, String> form) {
        String from = form.get("From");
        String sid = Optional.ofNullable(form.get("MessageSid")).orElse(form.get("SmsSid"));
        if (from == null || sid == null) {
            log.warn("Ignoring an incoming Twilio message without From or MessageSid");
            return;
        }
        PhoneNumbers.Result phone = contacts.phoneNumbers().normalise(from);
        String e164 = phone.isValid() ? phone.e164() : from;
        inbound.record(new InboundMessage(null, Channel.SMS, entry.senderId(), null, e164, sid, "text",
                form.get("Body"), null, null, null, clock.instant(), null), entry.body(), keyword(form.get("OptOutType")));
    }

    /**
     * What Twilio's Advanced Opt-Out read the message as ({@code OptOutType}, sent on numbers of a Messaging Service
     * with it on): its STOP and START keywords are the business's own (in its customers' language); HELP changes nothing.
     */
    private static InboundMessageReceived.Keyword keyword(String optOutType) {
        if (optOutType == null) {
            return null;
        }
        return switch (optOutType.trim().toUpperCase(Locale.ROOT)) {
            case "STOP" -> InboundMessageReceived.Keyword.OPT_OUT;
            case "START" -> InboundMessageReceived.Keyword.OPT_IN;
            default -> null;
        };
    }

    private static UUID uuid(String text) {
        try {
            return text == null ? null : UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Integer number(String text) {
        try {
            return text == null || text.isBlank() ? null : Integer.valueOf(text.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
