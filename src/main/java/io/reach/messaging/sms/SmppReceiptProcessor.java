package io.reach.messaging.sms;

import io.reach.contact.Contacts;
import io.reach.contact.PhoneNumbers;
import io.reach.messaging.Channel;
import io.reach.messaging.InboundMessage;
import io.reach.messaging.InboundMessages;
import io.reach.messaging.InboxProcessor;
import io.reach.messaging.MessageError;
import io.reach.messaging.MessageStatus;
import io.reach.messaging.Messages;
import io.reach.messaging.MessagingSettings;
import io.reach.messaging.StatusReport;
import io.reach.messaging.WebhookInbox;
import io.reach.shared.DatabaseOutage;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Applies stored SMPP deliver_sm: a receipt updates its part, and the message follows its parts (delivered when
 * every part is, failed as soon as one fails); an incoming SMS is stored as an inbound message.
 */
@Component
class SmppReceiptProcessor extends InboxProcessor {

    private static final TypeReference<Map<String, String>> ENTRY = new TypeReference<>() {};
    // SMPP's type of number (TON) of a source address.
    private static final byte TON_UNKNOWN = 0;
    private static final byte TON_INTERNATIONAL = 1;
    private static final byte TON_ALPHANUMERIC = 5;

    private final SmsParts parts;
    private final Messages messages;
    private final InboundMessages inbound;
    private final Contacts contacts;
    private final JsonMapper json;
    private final MessagingSettings settings;
    private final Clock clock;

    SmppReceiptProcessor(WebhookInbox inbox, SmsParts parts, Messages messages, InboundMessages inbound, Contacts contacts,
                         JsonMapper json, TransactionTemplate transactions, MessagingSettings settings, Clock clock,
                         DatabaseOutage outage) {
        super("smpp-receipts", SmppLinks.SOURCE, inbox, transactions, settings.pollInterval(), settings.lease(), clock,
                outage);
        this.parts = parts;
        this.messages = messages;
        this.inbound = inbound;
        this.contacts = contacts;
        this.json = json;
        this.settings = settings;
        this.clock = clock;
    }

    @Override
    protected Duration retryDelay(WebhookInbox.Entry entry, RuntimeException failure) {
        // A receipt that outran the bookkeeping of its submit_sm_resp is tried again shortly.
        return failure instanceof PartNotYetKnown ? Duration.ofMillis(Math.min(5_000, 100L * entry.attempt()))
                : settings.backoff(entry.attempt());
    }

    @Override
    protected boolean worthWarning(RuntimeException failure) {
        return !(failure instanceof PartNotYetKnown);
    }

    /** The SMSC message id (one part): its receipts (ENROUTE, then the final one) keep their order. */
    @Override
    protected String orderingKey(WebhookInbox.Entry entry) {
        try {
            return json.readTree(entry.body()).path("id").asString(null);
        } catch (RuntimeException unreadable) {
            return null;
        }
    }

    /** A receipt for a part whose SMSC id Reach has not recorded yet. */
    static final class PartNotYetKnown extends RuntimeException {
        PartNotYetKnown(String id) {
            super("no SMS part with SMSC id " + id + " yet");
        }
    }

    /**
     * The number an inbound SMS came from, in E.164 when it is a phone number, so that it finds its contact (a STOP
     * opts out the contact who wrote it). SMSCs write the source address international (TON 1, its country code
     * without a "+"), national (TON 2, as dialled in the SMSC's country: read in {@code reach.contacts.default-region}),
     * alphanumeric (TON 5), or say nothing of it (TON 0: international, else national). An address none of those reads
     * is kept as the SMSC wrote it (with a "+" unless alphanumeric). {@code ton} is null for what was stored before
     * the type was kept: {@code address} has its "+" already.
     */
    static String inboundNumber(String address, String ton, PhoneNumbers numbers) {
        if (address == null) {
            return null;
        }
        if (ton == null) {
            PhoneNumbers.Result phone = numbers.normalise(address);
            return phone.isValid() ? phone.e164() : address;
        }
        byte type;
        try {
            type = Byte.parseByte(ton);
        } catch (NumberFormatException e) {
            type = TON_UNKNOWN;
        }
        if (type == TON_ALPHANUMERIC) {
            return address;
        }
        String international = address.startsWith("+") ? address : "+" + address;
        List<String> readings = type == TON_INTERNATIONAL ? List.of(international)
                : type == TON_UNKNOWN ? List.of(international, address) : List.of(address, international);
        for (String reading : readings) {
            PhoneNumbers.Result phone = numbers.normalise(reading);
            if (phone.isValid()) {
                return phone.e164();
            }
        }
        return international;
    }

    @Override
    protected void process(WebhookInbox.Entry entry) {
        Map<String, String> fields = json.readValue(entry.body(), ENTRY);
        if ("inbound".equals(fields.get("_kind"))) {
            String e164 = inboundNumber(fields.get("from"), fields.get("fromTon"), contacts.phoneNumbers());
            inbound.record(new InboundMessage(null, Channel.SMS, entry.senderId(), null, e164,
                    "smpp-" + entry.id(), "text", fields.get("text"), null, null, null, clock.instant(), null), entry.body());
            return;
        }
        String id = fields.get("id");
        SmsParts.Part part = parts.byProviderId(entry.senderId(), SmppReceipts.candidates(id))
                .orElseThrow(() -> new PartNotYetKnown(id));
        List<SmsParts.Part> all = parts.lock(part.messageId());
        String stat = fields.get("stat");
        MessageStatus partStatus = SmppReceipts.status(stat);
        SmsParts.Part current = all.stream().filter(p -> p.number() == part.number()).findFirst().orElseThrow();
        if (partStatus.rank() > current.status().rank()) {
            parts.updateStatus(part.messageId(), part.number(), partStatus, fields.get("err"));
        }
        long delivered = all.stream().filter(p -> p.status() == MessageStatus.DELIVERED
                || p.number() == part.number() && partStatus == MessageStatus.DELIVERED).count();
        MessageStatus messageStatus = switch (partStatus) {
            case FAILED -> MessageStatus.FAILED;
            case DELIVERED -> delivered == all.size() ? MessageStatus.DELIVERED : MessageStatus.SENT;
            default -> MessageStatus.SENT;
        };
        MessageError error = messageStatus == MessageStatus.FAILED ? SmppReceipts.error(stat, fields.get("err")) : null;
        String details = all.size() > 1 ? "part " + part.number() + " of " + all.size() + ": " + stat : stat;
        messages.applyToMessage(part.messageId(), new StatusReport(messageStatus, clock.instant(), null,
                error == null ? null : error.code(), error == null ? null : error.title(), details, null));
    }
}
