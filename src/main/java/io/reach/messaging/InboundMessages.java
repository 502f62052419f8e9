package io.reach.messaging;

import io.reach.contact.Contacts;
import io.reach.shared.ApiException;
import io.reach.shared.Dialect;
import io.reach.shared.Ids;
import io.reach.shared.NewestFirst;
import io.reach.shared.OldestFirst;
import io.reach.shared.Texts;
import io.reach.shared.Times;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

/** Messages contacts send us, stored once each against the contact and the message they answer. */
@Service
public class InboundMessages {

    private static final Logger log = LoggerFactory.getLogger(InboundMessages.class);

    private static final String COLUMNS = "id, channel, sender_id, contact_id, from_phone, provider_message_id, type, text,"
            + " reply_payload, context_provider_message_id, replied_to_message_id, occurred_at, received_at";
    // The columns' sizes (V1): a contact's phone, a message's type, a quick reply's payload.
    private static final int LONGEST_NUMBER = 20;
    private static final int LONGEST_TYPE = 32;
    private static final int LONGEST_PAYLOAD = 1000;

    private final JdbcClient jdbc;
    private final Dialect dialect;
    private final Clock clock;
    private final ApplicationEventPublisher events;
    private final Contacts contacts;

    InboundMessages(JdbcClient jdbc, Dialect dialect, Clock clock, ApplicationEventPublisher events,
                    Contacts contacts) {
        this.jdbc = jdbc;
        this.contacts = contacts;
        this.dialect = dialect;
        this.clock = clock;
        this.events = events;
    }

    /**
     * Why an inbound message from {@code from} with the provider's id {@code providerMessageId} cannot be kept — no
     * number, a number longer than a phone number, an id longer than a provider's, the NUL character in either — or
     * empty when it can. A callback that
     * carries one is applied without it (the caller logs it and goes on): retried, it would fail again and hold back
     * the statuses of the same callback, forever.
     */
    private static Optional<String> unkeepable(String from, String providerMessageId) {
        if (from == null || from.isBlank()) {
            return Optional.of("it names no number");
        }
        if (from.length() > LONGEST_NUMBER) {
            return Optional.of("its number has more than " + LONGEST_NUMBER + " characters");
        }
        if (providerMessageId.length() > Messages.LONGEST_PROVIDER_ID) {
            return Optional.of("its id has more than " + Messages.LONGEST_PROVIDER_ID + " characters");
        }
        if (providerMessageId.indexOf('\u0000') >= 0 || from.indexOf('\u0000') >= 0) {
            return Optional.of("its id or number holds the NUL character");
        }
        return Optional.empty();
    }

    /**
     * Stores an inbound message unless its provider id was stored before (providers redeliver), against the contact
     * with its number (created without consent when there is none; the candidate's contact is not read). The message
     * it answers is found from the provider's context id. Returns the stored message, or empty for a duplicate and
     * for one Reach cannot keep ({@link #unkeepable}: left out with a WARN line, so that the rest of its callback
     * applies); a type or a quick reply's payload longer than Reach keeps is cut short, a context id longer than a
     * provider's names none of Reach's messages, and the NUL character is left out of its texts.
     */
    public Optional<InboundMessage> record(InboundMessage candidate, String raw) {
        return record(candidate, raw, null);
    }

    /**
     * The message of Reach's that a reply's context id (the provider's id of the message it quotes) names, preferring
     * the sender's; empty for none, and for an id no message of Reach's could have (too long, or with NUL).
     */
    public Optional<UUID> quoted(String contextProviderMessageId, UUID senderId) {
        return keepable(contextProviderMessageId)
                ? Messages.idByProviderId(jdbc, contextProviderMessageId, senderId) : Optional.empty();
    }

    private static boolean keepable(String providerMessageId) {
        return providerMessageId != null && providerMessageId.length() <= Messages.LONGEST_PROVIDER_ID
                && providerMessageId.indexOf('\u0000') < 0;
    }

    /** {@link #record(InboundMessage, String)}, of a message its provider read as an opt-out or opt-in keyword (or null). */
    public Optional<InboundMessage> record(InboundMessage candidate, String raw, InboundMessageReceived.Keyword providerKeyword) {
        Optional<String> unkeepable = unkeepable(candidate.from(), candidate.providerMessageId());
        if (unkeepable.isPresent()) {
            log.warn("Ignoring an inbound {} message: {}", candidate.channel(), unkeepable.get());
            return Optional.empty();
        }
        // An SMS from an alphanumeric sender (a bank's, an operator's notices) is no one to answer: kept without a contact.
        UUID contactId = isPhoneNumber(candidate.from()) ? contacts.idForInbound(candidate.from()) : null;
        String context = keepable(candidate.contextProviderMessageId()) ? candidate.contextProviderMessageId() : null;
        UUID repliedTo = quoted(context, candidate.senderId()).orElse(null);
        InboundMessage message = new InboundMessage(Ids.newId(), candidate.channel(), candidate.senderId(),
                contactId, candidate.from(), candidate.providerMessageId(),
                Texts.clip(Texts.withoutNul(candidate.type()), LONGEST_TYPE), Texts.withoutNul(candidate.text()),
                Texts.clip(Texts.withoutNul(candidate.replyPayload()), LONGEST_PAYLOAD), context, repliedTo,
                candidate.occurredAt(), clock.instant());
        boolean stored = dialect.insertUnlessDuplicate(jdbc, "INSERT INTO inbound_messages (" + COLUMNS + ", raw)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "provider_message_id",
                message.id(), message.channel().name(), message.senderId(), message.contactId(), message.from(),
                message.providerMessageId(), message.type(), message.text(), message.replyPayload(),
                message.contextProviderMessageId(), message.repliedToMessageId(), Times.utc(message.occurredAt()),
                Times.utc(message.receivedAt()), raw);
        if (!stored) {
            return Optional.empty();
        }
        if (message.contactId() != null && message.writtenByTheContact()) {
            // Before the event: its listeners lock the contact's row too, and this takes it first, as they would.
            contacts.wrote(message.contactId(), message.occurredAt());
        }
        events.publishEvent(new InboundMessageReceived(message, providerKeyword));
        return Optional.of(message);
    }

    /**
     * Empties the messages the contact wrote of its number, their texts and their payloads as they came; their types,
     * quick replies' payloads (the business's own), times and the messages they answer stay. How many.
     */
    int eraseOf(UUID contactId) {
        return jdbc.sql("UPDATE inbound_messages SET from_phone = NULL, text = NULL, raw = NULL WHERE contact_id = ?")
                .param(contactId).update();
    }

    /** Whether an inbound message's sender is a phone number ("+" and digits), which a contact can have. */
    static boolean isPhoneNumber(String from) {
        return from != null && from.length() > 1 && from.charAt(0) == '+' && from.chars().skip(1).allMatch(c -> c >= '0' && c <= '9');
    }

    /**
     * What a contact wrote to one sender, newest first (by when it was written, then id), after {@code after} (null:
     * from the newest), at most {@code limit}.
     */
    public List<InboundMessage> latestFrom(UUID contactId, UUID senderId, OldestFirst.After after,
                                           int limit) {
        NewestFirst page = NewestFirst.of("SELECT " + COLUMNS + " FROM inbound_messages",
                "occurred_at", NewestFirst.equal("contact_id", contactId, "sender_id", senderId), after,
                limit, 0);
        return jdbc.sql(page.sql()).params(page.params()).query(this::row).list();
    }

    /** The message {@code id} if the contact wrote it to that sender. */
    public Optional<InboundMessage> findFrom(UUID id, UUID contactId, UUID senderId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM inbound_messages WHERE id = ? AND contact_id = ? AND sender_id = ?")
                .params(id, contactId, senderId).query(this::row).optional();
    }

    /** Of the inbound messages, those the contact wrote: Meta's notices about the user open no window. */
    private static final String WRITTEN = " AND type <> '" + InboundMessage.SYSTEM + "'";

    /** When the contact last wrote to this sender; empty if it never did. */
    public Optional<Instant> lastWrittenAt(UUID contactId, UUID senderId) {
        return jdbc.sql("SELECT MAX(occurred_at) FROM inbound_messages WHERE contact_id = ? AND sender_id = ?" + WRITTEN)
                .params(contactId, senderId).query(OffsetDateTime.class).optional()
                .map(OffsetDateTime::toInstant);
    }

    /** Whether the contact wrote to this sender within the last {@code window} (WhatsApp's customer-service window). */
    public boolean wroteWithin(UUID contactId, UUID senderId, Duration window) {
        return jdbc.sql("SELECT COUNT(*) FROM inbound_messages WHERE contact_id = ? AND sender_id = ? AND occurred_at >= ?" + WRITTEN)
                .params(contactId, senderId, Times.utc(clock.instant().minus(window))).query(Long.class).single() > 0;
    }

    /** A message ({@code m}) with the moment its provider took it ({@code e.occurred_at}): only one a provider took. */
    private static final String HANDED_OVER = "messages m JOIN message_events e ON e.message_id = m.id AND e.status = 'SUBMITTED'";

    /**
     * Of a message {@code m} handed over at {@code e.occurred_at}, given a text written at {@code writtenAt}: no later
     * question (a message a flow waits for a reply to) went out in the same conversation before the text was written.
     * A text typed without quoting answers the newest question the contact had been sent, not every earlier one.
     */
    private static String noLaterQuestionBefore(String writtenAt) {
        return " AND NOT EXISTS (SELECT 1 FROM messages q JOIN message_events qe ON qe.message_id = q.id AND qe.status = 'SUBMITTED'"
                + " WHERE q.contact_id = m.contact_id AND q.channel = m.channel AND q.sender_id = m.sender_id"
                + " AND q.asks_for_reply = TRUE AND q.id <> m.id AND qe.occurred_at > e.occurred_at"
                + " AND qe.occurred_at - INTERVAL '1' SECOND <= " + writtenAt + ")";
    }

    /** The replies that quote a message (a quick reply, a swipe to reply), oldest first. */
    public List<InboundMessage> quoting(UUID messageId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM inbound_messages WHERE replied_to_message_id = ? ORDER BY occurred_at, id")
                .param(messageId).query(this::row).list();
    }

    /**
     * The replies to a message, oldest first: those that quote it, and those of its contact that quote no message of
     * Reach's (a text typed without swiping to reply, as most are), written in the same conversation (the channel
     * and the sender the message went out on) once it was sent: once its provider took it (its timeline's
     * {@code submitted}), not when it was queued, since a contact who writes while the message waits in the queue
     * has not seen it; and before a later question went out in that conversation (a message a flow waits for a reply
     * to), which a text typed after it answers instead. WhatsApp gives its times in whole seconds, so "once it was
     * sent" counts from the second before. See {@link #answers}, which says the same of one reply.
     */
    public List<InboundMessage> repliesTo(UUID messageId, UUID contactId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM inbound_messages WHERE replied_to_message_id = ?"
                        + " UNION ALL SELECT " + COLUMNS + " FROM inbound_messages WHERE contact_id = ? AND replied_to_message_id IS NULL"
                        + " AND EXISTS (SELECT 1 FROM " + HANDED_OVER + " WHERE m.id = ? AND m.channel = inbound_messages.channel"
                        + " AND m.sender_id = inbound_messages.sender_id"
                        + " AND inbound_messages.occurred_at >= e.occurred_at - INTERVAL '1' SECOND"
                        + noLaterQuestionBefore("inbound_messages.occurred_at") + ")"
                        + " ORDER BY occurred_at, id")
                .params(messageId, contactId, messageId).query(this::row).list();
    }

    /**
     * Whether a reply answers a message: it quotes it, or it quotes no message and was written in the message's
     * conversation (its channel and sender) once it was sent and before a later question went out there (see
     * {@link #repliesTo}). A text typed to the SMS number answers no WhatsApp message, nor one of another WhatsApp
     * number: the contact wrote in another thread.
     */
    public boolean answers(InboundMessage reply, UUID messageId) {
        if (reply.repliedToMessageId() != null) {
            return reply.repliedToMessageId().equals(messageId);
        }
        return reply.senderId() != null && jdbc.sql("SELECT COUNT(*) FROM " + HANDED_OVER + " WHERE m.id = ? AND m.channel = ?"
                        + " AND m.sender_id = ?"
                        + " AND e.occurred_at - INTERVAL '1' SECOND <= ?" + noLaterQuestionBefore("?"))
                .params(messageId, reply.channel().name(), reply.senderId(), Times.utc(reply.occurredAt()),
                        Times.utc(reply.occurredAt()))
                .query(Long.class).single() > 0;
    }

    /**
     * Inbound messages, newest first: a contact's in the order they were written, or all of them in the order Reach
     * received them; after the message {@code after} when it is given (the next page).
     */
    public List<InboundMessage> list(UUID contactId, UUID after, int limit) {
        OldestFirst.After cursor = null;
        if (after != null) {
            InboundMessage message = jdbc.sql("SELECT " + COLUMNS + " FROM inbound_messages WHERE id = ?").param(after)
                    .query(this::row).optional().filter(m -> contactId == null || contactId.equals(m.contactId()))
                    .orElseThrow(() -> ApiException.invalidField("after", "no inbound message " + after
                            + (contactId == null ? "" : " of this contact")));
            cursor = new OldestFirst.After(contactId == null ? message.receivedAt() : message.occurredAt(),
                    message.id());
        }
        NewestFirst page = NewestFirst.of("SELECT " + COLUMNS + " FROM inbound_messages",
                contactId == null ? "received_at" : "occurred_at",
                contactId == null ? Map.of() : Map.of("contact_id", contactId), cursor, limit, 0);
        return jdbc.sql(page.sql()).params(page.params()).query(this::row).list();
    }

    private InboundMessage row(ResultSet rs, int rowNum) throws SQLException {
        return new InboundMessage(rs.getObject("id", UUID.class), Channel.valueOf(rs.getString("channel")),
                rs.getObject("sender_id", UUID.class), rs.getObject("contact_id", UUID.class), rs.getString("from_phone"),
                rs.getString("provider_message_id"), rs.getString("type"), rs.getString("text"),
                rs.getString("reply_payload"), rs.getString("context_provider_message_id"),
                rs.getObject("replied_to_message_id", UUID.class), Times.instant(rs, "occurred_at"),
                Times.instant(rs, "received_at"));
    }
}
