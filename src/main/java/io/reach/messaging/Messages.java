package io.reach.messaging;

import io.reach.contact.PersonalData;
import io.reach.shared.ApiException;
import io.reach.shared.Dialect;
import io.reach.shared.FieldProblem;
import io.reach.shared.Ids;
import io.reach.shared.MessageCategory;
import io.reach.shared.NewestFirst;
import io.reach.shared.OldestFirst;
import io.reach.shared.PassingFailures;
import io.reach.shared.SqlLists;
import io.reach.shared.Texts;
import io.reach.shared.Times;
import io.reach.shared.UnansweredClaims;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The messaging feature's API: records outbound messages, hands due ones to their channel's dispatcher under a
 * lease, and applies every provider status to a message by the one status model.
 */
@Service
public class Messages {

    private static final Logger log = LoggerFactory.getLogger(Messages.class);

    private static final String COLUMNS = "id, channel, sender_id, contact_id, recipient, template_name, template_language,"
            + " campaign_id, rendered_text, status, blocked_reason, error_code, error_title, error_details,"
            + " provider_message_id, attempts, created_at, updated_at";

    private final JdbcClient jdbc;
    private final JdbcTemplate batches;
    private final Dialect dialect;
    private final Clock clock;
    private final TransactionTemplate transactions;
    private final ApplicationEventPublisher events;
    private final InboundMessages inbound;
    private final SendersAtWork sendersAtWork;
    private final UnrecordedAnswers unrecorded;
    private final Recipients recipients;
    private final UnansweredClaims<UUID> unansweredClaims;

    Messages(JdbcClient jdbc, JdbcTemplate batches, Dialect dialect, Clock clock,
             TransactionTemplate transactions, ApplicationEventPublisher events, InboundMessages inbound,
             SendersAtWork sendersAtWork, UnrecordedAnswers unrecorded, Recipients recipients) {
        this.sendersAtWork = sendersAtWork;
        this.recipients = recipients;
        this.unrecorded = unrecorded;
        unrecorded.recordWith(false, answer -> transactions.executeWithoutResult(tx ->
                recordSubmittedIn(answer.messageId(), answer.providerId(), answer.checkStatusAt(), answer.at())));
        this.jdbc = jdbc;
        this.batches = batches;
        this.dialect = dialect;
        this.clock = clock;
        this.transactions = transactions;
        this.events = events;
        this.inbound = inbound;
        this.unansweredClaims = new UnansweredClaims<>(clock, this::releaseIfLeasedUntil);
    }

    /** The outcome of recording a message: {@code replayed} when its idempotency key was seen before. */
    public record Created(Message message, boolean replayed) {

        /** A new message waiting for its dispatcher: not a replay of an earlier request, and not blocked. */
        public boolean awaitsDispatch() {
            return !replayed && message.blockedReason() == null;
        }
    }

    /** A message claimed for sending: the provider request as recorded, and how many attempts it has had. */
    public record Outbound(UUID id, UUID senderId, UUID contactId, String recipient, String requestBody, int attempt) {}

    /** How a status report was taken. */
    public enum Applied { APPLIED, DUPLICATE, UNMATCHED }

    /**
     * A provider's status report as it came: {@code hintedMessageId} is Reach's own id when the provider echoes it,
     * {@code rawPayload} what is kept if no message matches.
     */
    public record IncomingStatus(StatusReport report, UUID hintedMessageId, String rawPayload) {}

    /**
     * How one report of a batch was taken, and the message (its contact, and the number it went to) it was applied to,
     * if any.
     */
    public record StatusApplied(Applied outcome, UUID messageId, UUID contactId, String recipient) {}

    /**
     * How far ahead of marketing messages the others are in their sender's queue: a one-time code or an order's update
     * must not wait behind a broadcast that queued at the sender's throughput (100,000 at 80 a second: 21 minutes),
     * and time out there, to fall back to SMS while WhatsApp was fine.
     */
    static final Duration AHEAD_OF_MARKETING = Duration.ofDays(1);

    /** The longest id of a provider's that Reach keeps (its messages', its unmatched statuses' and inbound messages' column). */
    public static final int LONGEST_PROVIDER_ID = 200;

    /**
     * When a new message is first due: now for a marketing one (or one without a category), a day earlier for the
     * others, since the dispatchers take due messages oldest first. Only the first attempt's place: a retry waits its
     * backoff from the moment it is set.
     */
    static Instant firstDue(MessageCategory category, Instant now) {
        return category == null || category == MessageCategory.MARKETING ? now : now.minus(AHEAD_OF_MARKETING);
    }

    /**
     * Records a message, queued or blocked. The provider request is built from the new message's id (so that it can
     * carry it), and stored with it: what a retry sends is exactly what the first attempt sent.
     */
    public Created create(NewMessage message, Function<UUID, String> requestBody) {
        UUID id = Ids.newId();
        Instant now = clock.instant();
        MessageStatus status = message.blocked() ? MessageStatus.BLOCKED : MessageStatus.QUEUED;
        String body = message.blocked() ? null : requestBody.apply(id);
        // Reach's own words, but they may name many variables: kept to the column's size rather than refused.
        String blockedReason = Texts.clip(message.blockedReason(), 1000);
        Boolean inserted;
        try {
            inserted = insert(message, id, now, status, body, blockedReason);
        } catch (DataIntegrityViolationException refused) {
            if (dialect.isMissingReference(refused)) {
                // The sender came from this node's snapshot of the senders (up to 10 s old); another node deleted it
                // since. A contact is never deleted (an erasure keeps its row), so the sender is what is missing.
                throw new ApiException(HttpStatus.NOT_FOUND, "sender_not_found", "sender: the sender "
                        + message.senderId() + " was deleted just now", List.of(new FieldProblem("sender", "deleted")));
            }
            throw refused;
        }
        if (Boolean.TRUE.equals(inserted)) {
            // Built from what was just written: reading it back would cost three queries on every send.
            return new Created(new Message(id, message.channel(), message.senderId(), message.contactId(), message.recipient(),
                    message.templateName(), message.templateLanguage(), message.campaignId(), message.renderedText(), status,
                    blockedReason, null, null, 0, now, now,
                    List.of(new MessageEvent(status, now, now, null, null, null, null, false)), List.of()), false);
        }
        UUID existing = jdbc.sql("SELECT id FROM messages WHERE idempotency_key = ?").param(message.idempotencyKey())
                .query(UUID.class).single();
        Message earlier = get(existing);
        if (earlier.channel() != message.channel() || !Objects.equals(earlier.contactId(), message.contactId())
                || !Objects.equals(earlier.senderId(), message.senderId())) {
            // Answering with that message would drop this one without a word: a key reused by mistake, not a repeat.
            throw new ApiException(HttpStatus.CONFLICT, "key_reused", "idempotencyKey: message "
                    + existing + " was sent with this key, to another contact or on another channel or sender; a key names"
                    + " one message (a repeat of its request), so give this one a key of its own",
                    List.of(new FieldProblem("idempotencyKey", "names another message")));
        }
        return new Created(earlier, true);
    }

    /** Writes the message's row and its timeline's first entry; false when its idempotency key had one already. */
    private Boolean insert(NewMessage message, UUID id, Instant now, MessageStatus status, String body, String blockedReason) {
        return transactions.execute(tx -> {
            String sql = "INSERT INTO messages (id, channel, sender_id, contact_id, recipient, template_name,"
                    + " template_language, campaign_id, idempotency_key, request_body, rendered_text, status, blocked_reason,"
                    + " attempts, next_attempt_at, created_at, updated_at, recorded_statuses, category, asks_for_reply,"
                    + " answers_keyword) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)";
            List<Object> params = Arrays.asList(id, message.channel().name(), message.senderId(), message.contactId(),
                    message.recipient(), message.templateName(), message.templateLanguage(), message.campaignId(),
                    message.idempotencyKey(), body, message.renderedText(), status.name(), blockedReason,
                    Times.utc(firstDue(message.category(), now)), Times.utc(now), Times.utc(now), recordedStatuses(EnumSet.of(status)),
                    message.category() == null ? null : message.category().name(), message.asksForReply(),
                    message.answersKeyword());
            // The timeline's first entry goes with the message's row, in one round trip on PostgreSQL.
            Dialect.SqlStatement firstEvent = new Dialect.SqlStatement("INSERT INTO message_events (message_id, status, occurred_at,"
                    + " recorded_at, inferred) SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?)",
                    List.of(id, status.name(), Times.utc(now), Times.utc(now), false, id));
            boolean fresh = dialect.insertUnlessDuplicateThen(batches, new Dialect.SqlStatement(sql, params), "idempotency_key",
                    List.of(firstEvent));
            if (fresh) {
                events.publishEvent(new MessageStatusesReported(List.of(
                        new MessageStatusReported(id, message.channel(), status, false, now, null))));
            }
            return fresh;
        });
    }

    public Message get(UUID id) {
        return find(id).orElseThrow(() -> ApiException.notFound("Message", id));
    }

    /** The current status of each of these messages that exists, read in one statement (up to a page's worth). */
    public Map<UUID, MessageStatus> statusesOf(Collection<UUID> ids) {
        if (ids.isEmpty()) {
            return Map.of();
        }
        return jdbc.sql("SELECT id, status FROM messages WHERE id IN (" + SqlLists.placeholders(ids.size()) + ")")
                .params(List.copyOf(ids))
                .query((rs, n) -> Map.entry(rs.getObject("id", UUID.class), status(rs.getString("status"))))
                .list().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    public Optional<Message> find(UUID id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM messages WHERE id = ?").param(id).query(this::row).optional()
                .map(this::withTimeline);
    }

    /** A message as a list reads it, with its timeline and the replies that quote it, as {@link #find} gives it. */
    Message withTimeline(Message m) {
        return new Message(m.id(), m.channel(), m.senderId(), m.contactId(), m.recipient(), m.templateName(),
                m.templateLanguage(), m.campaignId(), m.renderedText(), m.status(), m.blockedReason(), m.error(),
                m.providerMessageId(), m.attempts(), m.createdAt(), m.updatedAt(), timeline(m.id()), inbound.quoting(m.id()));
    }

    /**
     * Messages, newest first, optionally of one contact or campaign and with one status now, after the message
     * {@code after} when it is given (a page that goes on from the last one, whatever came meanwhile); without timelines.
     */
    public List<Message> list(UUID contactId, String campaignId, MessageStatus status, UUID after, int limit, int offset) {
        OldestFirst.After cursor = null;
        if (after != null) {
            Message message = jdbc.sql("SELECT " + COLUMNS + " FROM messages WHERE id = ?").param(after).query(this::row)
                    .optional().filter(m -> (contactId == null || contactId.equals(m.contactId()))
                            && (campaignId == null || campaignId.equals(m.campaignId())))
                    .orElseThrow(() -> ApiException.invalidField("after", "no message " + after
                            + (contactId == null && campaignId == null ? "" : " in this list")));
            cursor = new OldestFirst.After(message.createdAt(), message.id());
        }
        // The campaign first when both are given: its index leads the read.
        Map<String, Object> equal = new LinkedHashMap<>();
        if (campaignId != null) {
            equal.put("campaign_id", campaignId);
        }
        if (contactId != null) {
            equal.put("contact_id", contactId);
        }
        if (status != null) {
            equal.put("status", status.name());
        }
        NewestFirst page = NewestFirst.of("SELECT " + COLUMNS + " FROM messages",
                "created_at", equal, cursor, limit, offset);
        return jdbc.sql(page.sql()).params(page.params()).query(this::row).list();
    }

    /**
     * A contact's messages from one sender, newest first (by creation, then id), those after {@code after} (null: from
     * the newest), at most {@code limit}; without timelines.
     */
    public List<Message> latestTo(UUID contactId, UUID senderId, OldestFirst.After after, int limit) {
        // The contact's index leads; the sender is one filter on the contact's few messages.
        NewestFirst page = NewestFirst.of("SELECT " + COLUMNS + " FROM messages",
                "created_at", NewestFirst.equal("contact_id", contactId, "sender_id", senderId), after,
                limit, 0);
        return jdbc.sql(page.sql()).params(page.params()).query(this::row).list();
    }

    /** The message {@code id} if it is the contact's from that sender, without its timeline. */
    public Optional<Message> findTo(UUID id, UUID contactId, UUID senderId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM messages WHERE id = ? AND contact_id = ? AND sender_id = ?")
                .params(id, contactId, senderId).query(this::row).optional();
    }

    /**
     * How far a message has got towards its provider: when one took it ({@code handedOverAt}, null while none has),
     * and whether it waits its turn behind others of its sender ({@code waitingItsTurn}): queued, refused by no
     * provider yet (a put-back at its sender's pace, an attempt a crash cut short, a provider asking to send more slowly
     * and a send whose answer was lost count none: see {@link PassingFailure}) or in a dispatcher's hands right now,
     * while a provider took a message of that sender within {@code moving} (as any node's dispatchers saw it, see
     * {@link SendersAtWork}). A message whose sender hands nothing over (its provider out of reach, its SMPP session
     * down), that Reach holds back at its messaging limit, or that a provider refused before, waiting to be tried
     * again, does not wait its turn.
     */
    public record Progress(Instant handedOverAt, boolean waitingItsTurn) {}

    /** See {@link Progress}; empty for an unknown message. */
    public Optional<Progress> progress(UUID messageId, Duration moving) {
        OffsetDateTime now = Times.now(clock);
        return jdbc.sql("SELECT m.status, m.error_code, m.passing_failure, m.lease_until, m.sender_id, e.occurred_at,"
                        + " t.handed_over_at"
                        + " FROM messages m LEFT JOIN message_events e ON e.message_id = m.id AND e.status = 'SUBMITTED'"
                        + " LEFT JOIN sender_turns t ON t.sender_id = m.sender_id WHERE m.id = ?")
                .param(messageId)
                .query((rs, n) -> {
                    OffsetDateTime lease = rs.getObject("lease_until", OffsetDateTime.class);
                    // A retry records the error that caused it; a put-back or a claim a crash cut short records none.
                    // A provider that asked to send more slowly refused the pace, not the message, and one whose answer
                    // was lost may have taken it.
                    String kind = rs.getString("passing_failure");
                    boolean refusedBefore = rs.getObject("error_code") != null
                            && (kind == null || PassingFailure.REFUSED.name().equals(kind));
                    boolean inHand = lease != null && lease.isAfter(now);
                    boolean waiting = "QUEUED".equals(rs.getString("status")) && (!refusedBefore || inHand)
                            && sendersAtWork.handedOverWithin(rs.getObject("sender_id", UUID.class),
                                    Times.instant(rs, "handed_over_at"), moving);
                    return new Progress(Times.instant(rs, "occurred_at"), waiting);
                })
                .optional();
    }

    public List<MessageEvent> timeline(UUID messageId) {
        return jdbc.sql("SELECT status, occurred_at, recorded_at, error_code, error_title, error_details, pricing, inferred"
                        + " FROM message_events WHERE message_id = ? ORDER BY id")
                .param(messageId)
                .query((rs, n) -> new MessageEvent(status(rs.getString("status")), Times.instant(rs, "occurred_at"),
                        Times.instant(rs, "recorded_at"), (Integer) rs.getObject("error_code"), rs.getString("error_title"),
                        rs.getString("error_details"), rs.getString("pricing"), rs.getBoolean("inferred")))
                .list();
    }

    /**
     * Takes the message's row lock, the lock every status report takes first: a status being applied at the same
     * moment is either in the timeline the caller reads next or applied after the caller's transaction.
     */
    public void lock(UUID messageId) {
        jdbc.sql("SELECT id FROM messages WHERE id = ? FOR UPDATE").param(messageId).query(UUID.class).optional()
                .orElseThrow(() -> ApiException.notFound("Message", messageId));
    }

    /**
     * Takes the message's row lock if no one holds it (false when someone does, e.g. a status being applied): for a
     * caller that holds other locks and must not wait.
     */
    public boolean lockIfFree(UUID messageId) {
        return jdbc.sql("SELECT id FROM messages WHERE id = ? FOR UPDATE SKIP LOCKED").param(messageId).query(UUID.class)
                .optional().isPresent();
    }

    /** The contact a message went to, if it is known (one column, not the whole message with its timeline). */
    public Optional<UUID> contactOf(UUID messageId) {
        return jdbc.sql("SELECT contact_id FROM messages WHERE id = ?").param(messageId).query(UUID.class).optional();
    }

    /**
     * The message a provider id belongs to: the newest that has it (an SMSC may hand out an id again), the newest of
     * {@code senderId}'s (which may be null: unknown) first.
     */
    public Optional<UUID> idByProviderId(String providerMessageId, UUID senderId) {
        return idByProviderId(jdbc, providerMessageId, senderId);
    }

    /** See {@link #idByProviderId(String, UUID)}; static for InboundMessages, which this class depends on. */
    static Optional<UUID> idByProviderId(JdbcClient jdbc, String providerMessageId, UUID senderId) {
        List<Object> params = new ArrayList<>(List.of(providerMessageId));
        return jdbc.sql("SELECT id FROM messages WHERE provider_message_id = ? ORDER BY " + preferred(senderId, params, " DESC")
                        + " LIMIT 1")
                .params(params).query(UUID.class).optional();
    }

    /**
     * The order of the messages that share a provider id, the preferred one last (or first, {@code direction}
     * {@code " DESC"}): {@code senderId}'s before the others' when it is known, the newest before older ones.
     */
    static String preferred(UUID senderId, List<Object> params, String direction) {
        if (senderId == null) {
            return "created_at" + direction + ", id" + direction;
        }
        params.add(senderId);
        return "CASE WHEN sender_id = ? THEN 1 ELSE 0 END" + direction + ", created_at" + direction + ", id" + direction;
    }

    /**
     * Claims up to {@code limit} queued messages of a channel that are due, for {@code lease}: no other dispatcher
     * (in this process or another node) takes them until the lease runs out.
     * <p>
     * A claim past {@code maxAttempts} is not handed out but failed: a message's tries end at {@code maxAttempts}
     * with a recorded answer, so such a message had its leases run out again and again with no answer recorded (a
     * node that crashes on it, a recording that keeps failing), and each new try could be one more copy in the
     * recipient's hands.
     */
    public List<Outbound> claimDue(Channel channel, int limit, Duration lease, int maxAttempts) {
        return claimDue(channel, null, limit, lease, maxAttempts);
    }

    /**
     * Like {@link #claimDue(Channel, int, Duration, int)}, only for messages of these senders (e.g. those whose SMPP
     * link is up): the others stay queued, untouched, until their sender can take them.
     */
    public List<Outbound> claimDue(Channel channel, Collection<UUID> senderIds, int limit, Duration lease,
                                   int maxAttempts) {
        unansweredClaims.giveBack();
        List<Claimed> claimed = claimDue(channel, senderIds, limit, lease);
        if (unrecorded.size() > 0) {
            // Sent before, its provider's answer kept while the database failed: recorded instead of sent again.
            claimed = claimed.stream().filter(claim -> !unrecorded.replay(claim.outbound().id())).toList();
        }
        Map<UUID, String> refused = refusedNow(claimed);
        if (refused.isEmpty()
                && claimed.stream().allMatch(c -> c.outbound().attempt() <= maxAttempts && c.withdrawalPending() == null)) {
            return claimed.stream().map(Claimed::outbound).toList();
        }
        List<Outbound> handedOut = new ArrayList<>();
        for (Claimed claim : claimed) {
            Outbound message = claim.outbound();
            if (claim.withdrawalPending() != null) {
                // Withdrawn while an attempt a crash (or a lease run out) cut short held it: it goes no further.
                refuseClaimed(message.id(), claim.withdrawalPending());
            } else if (refused.containsKey(message.id())) {
                withdrawTaken(claim, refused.get(message.id()));
            } else if (message.attempt() <= maxAttempts) {
                handedOut.add(message);
            } else {
                log.warn("Message {} was claimed for attempt {} of at most {}: its earlier attempts' leases ran out with no"
                        + " answer recorded; failed instead of sent again", message.id(), message.attempt(), maxAttempts);
                recordRejected(message.id(), new MessageError(0, "Gave up after " + (message.attempt() - 1)
                        + " attempts that ended with no answer recorded (the provider may have taken one of them)", null));
            }
        }
        return handedOut;
    }

    /** A claimed message, and the reason of a withdrawal that found it in an earlier attempt's hands, if any. */
    private record Claimed(Outbound outbound, String withdrawalPending, MessageCategory category,
                           boolean answersKeyword) {}

    /**
     * Of the messages just claimed, those whose contact may no longer get them, with why (see
     * {@link Recipients#refusedNow}): every one but an answer to the contact's own keyword, and one already being
     * withdrawn.
     */
    private Map<UUID, String> refusedNow(List<Claimed> claimed) {
        List<Recipients.Taken> taken = claimed.stream()
                .filter(c -> c.withdrawalPending() == null && !c.answersKeyword() && c.outbound().contactId() != null)
                .map(c -> new Recipients.Taken(c.outbound().id(), c.outbound().contactId(), c.outbound().recipient(),
                        c.category()))
                .toList();
        return taken.isEmpty() ? Map.of() : recipients.refusedNow(taken);
    }

    /**
     * Blocks a message claimed for a contact that may no longer get it; for an erased contact also empties it of the
     * number and texts, as the erasure did to the contact's other messages.
     */
    private void withdrawTaken(Claimed claim, String reason) {
        Outbound message = claim.outbound();
        log.info("Message {} withdrawn as its dispatcher took it: {}", message.id(), reason);
        refuseClaimed(message.id(), reason);
        if (PersonalData.ERASED.equals(reason) && message.recipient() != null) {
            PassingFailures.retry(() -> transactions.execute(tx ->
                    eraseOf(message.contactId(), message.recipient(), reason)), RECORDING_PATIENCE);
        }
    }

    private List<Claimed> claimDue(Channel channel, Collection<UUID> senderIds, int limit, Duration lease) {
        if (senderIds != null && senderIds.isEmpty()) {
            return List.of();
        }
        Instant leaseUntil = clock.instant().plus(lease);
        // A commit whose answer the connection lost may have gone through: its leases are given back before the next claim.
        return unansweredClaims.claim(leaseUntil, leasing -> transactions.execute(tx -> {
            OffsetDateTime now = Times.now(clock);
            String senders = senderIds == null ? ""
                    : " AND sender_id IN (" + SqlLists.placeholders(senderIds.size()) + ")";
            List<Object> params = new ArrayList<>(List.of(channel.name(), now, now));
            if (senderIds != null) {
                params.addAll(senderIds);
            }
            // "status, channel, next_attempt_at": the order of the messages_due_by_channel index, which H2 then reads in
            // order, the channel's due messages alone (a broadcast's backlog on another channel is not read). The claim
            // counts the attempt.
            List<Claimed> claimed = dialect.claimAndSet(batches, "messages",
                    "id, sender_id, contact_id, recipient, request_body, attempts, channel, status, next_attempt_at,"
                            + " lease_until, withdrawal_pending, category, answers_keyword",
                    "channel = ? AND status = 'QUEUED' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)"
                            + senders, params, "status, channel, next_attempt_at", limit,
                    "lease_until = ?, attempts = attempts + 1", List.of(Times.utc(leaseUntil)), rs -> {
                        OffsetDateTime leased = rs.getObject("lease_until", OffsetDateTime.class);
                        return channel.name().equals(rs.getString("channel")) && "QUEUED".equals(rs.getString("status"))
                                && !rs.getObject("next_attempt_at", OffsetDateTime.class).isAfter(now)
                                && (leased == null || !leased.isAfter(now));
                    }, rs -> new Claimed(outbound(rs), rs.getString("withdrawal_pending"),
                            rs.getString("category") == null ? null
                                    : MessageCategory.valueOf(rs.getString("category")),
                            rs.getBoolean("answers_keyword")));
            claimed.forEach(claim -> leasing.add(claim.outbound().id()));
            return claimed;
        }));
    }

    /**
     * Gives back the leases a claim whose commit failed may have taken, its attempts not counted: those of {@code ids}
     * still queued whose lease ends at {@code leaseUntil}, the claim's own (none if it did not commit; a lease another
     * claim took since ends otherwise).
     */
    private void releaseIfLeasedUntil(List<UUID> ids, Instant leaseUntil) {
        jdbc.sql("UPDATE messages SET lease_until = NULL, attempts = attempts - 1 WHERE lease_until = ? AND status = 'QUEUED'"
                        + " AND id IN (" + SqlLists.placeholders(ids.size()) + ")")
                .params(SqlLists.valueThen(Times.utc(leaseUntil), ids)).update();
    }

    /** A claimed message, as its claim left it (its attempt counted). */
    private static Outbound outbound(ResultSet rs) throws SQLException {
        return new Outbound(rs.getObject("id", UUID.class), rs.getObject("sender_id", UUID.class),
                rs.getObject("contact_id", UUID.class), rs.getString("recipient"), rs.getString("request_body"),
                rs.getInt("attempts"));
    }

    /**
     * Withdraws queued messages before they reach their provider: each one still queued and in no dispatcher's hands
     * (never tried yet, or waiting to be tried again) becomes {@code blocked} with {@code reason} and is never sent.
     * A message handed over already is left as it is. One being handed over at this moment is left to that attempt,
     * and withdrawn (with {@code reason}) if the attempt does not hand it over: it is never tried again. Returns the
     * ids withdrawn now.
     */
    public List<UUID> withdraw(Collection<UUID> messageIds, String reason) {
        // In chunks, in id order (the order their rows are locked in): a template Meta paused during a broadcast has
        // every message it still queues withdrawn, and PostgreSQL takes at most 65,535 parameters in a statement.
        List<UUID> withdrawn = new ArrayList<>();
        for (List<UUID> chunk : SqlLists.inChunks(messageIds.stream().distinct().sorted().toList())) {
            withdrawn.addAll(withdrawChunk(chunk, reason));
        }
        return withdrawn;
    }

    /** Withdraws messages in one statement, published as one event. */
    private List<UUID> withdrawChunk(List<UUID> messageIds, String reason) {
        Instant now = clock.instant();
        List<Object> params = new ArrayList<>(messageIds);
        String in = SqlLists.placeholders(params.size());
        Map<UUID, Withdrawn> recorded = new LinkedHashMap<>();
        List<UUID> inHand = new ArrayList<>();
        // SKIP LOCKED: a dispatcher claiming one right now holds its row, and is about to send it.
        jdbc.sql("SELECT id, channel, recorded_statuses, lease_until FROM messages WHERE id IN (" + in + ") AND status = 'QUEUED'"
                        + " ORDER BY id FOR UPDATE SKIP LOCKED")
                .params(params)
                .query(rs -> {
                    OffsetDateTime lease = rs.getObject("lease_until", OffsetDateTime.class);
                    if (lease != null && lease.toInstant().isAfter(now)) {
                        inHand.add(rs.getObject("id", UUID.class));
                    } else {
                        recorded.put(rs.getObject("id", UUID.class), withdrawn(rs));
                    }
                });
        if (!inHand.isEmpty()) {
            List<Object> pending = new ArrayList<>(List.of(Texts.clip(reason, 1000)));
            pending.addAll(inHand);
            jdbc.sql("UPDATE messages SET withdrawal_pending = ? WHERE id IN (" + SqlLists.placeholders(inHand.size()) + ")")
                    .params(pending).update();
        }
        if (recorded.isEmpty()) {
            return List.of();
        }
        block(recorded, reason, now);
        return List.copyOf(recorded.keySet());
    }

    /**
     * Withdraws a message that a withdrawal found in a dispatcher's hands, now that the attempt did not hand it over
     * (see {@link #withdraw}); nothing when none is pending.
     */
    private void withdrawPending(UUID messageId) {
        blockIfQueued(messageId, null);
    }

    /**
     * Refuses a message its dispatcher claimed, before it reaches its provider: it becomes {@code blocked} with
     * {@code reason} (e.g. its sender is over its messaging limit) and is never sent.
     */
    public void refuseClaimed(UUID messageId, String reason) {
        blockIfQueued(messageId, reason);
    }

    /**
     * Blocks the message if it is still queued: with {@code reason}, or, when that is null, with the reason of the
     * withdrawal pending on it (and not at all when none is).
     */
    private void blockIfQueued(UUID messageId, String reason) {
        Instant now = clock.instant();
        PassingFailures.retry(() -> transactions.executeWithoutResult(tx -> {
            Map<UUID, Withdrawn> recorded = new LinkedHashMap<>();
            String[] why = {reason};
            jdbc.sql("SELECT id, channel, recorded_statuses, withdrawal_pending FROM messages WHERE id = ? AND status = 'QUEUED'"
                            + (reason == null ? " AND withdrawal_pending IS NOT NULL" : "") + " FOR UPDATE")
                    .param(messageId)
                    .query(rs -> {
                        recorded.put(rs.getObject("id", UUID.class), withdrawn(rs));
                        if (why[0] == null) {
                            why[0] = rs.getString("withdrawal_pending");
                        }
                    });
            if (!recorded.isEmpty()) {
                block(recorded, why[0], now);
            }
        }), RECORDING_PATIENCE);
    }

    /** A queued message about to be withdrawn: its channel and its recorded statuses, as its row keeps them. */
    private record Withdrawn(Channel channel, String recordedStatuses) {}

    private static Withdrawn withdrawn(ResultSet rs) throws SQLException {
        return new Withdrawn(Channel.valueOf(rs.getString("channel")), rs.getString("recorded_statuses"));
    }

    /** Blocks queued messages the caller holds locked (their ids, channels and recorded statuses), with {@code reason}. */
    private void block(Map<UUID, Withdrawn> recorded, String reason, Instant now) {
        String why = Texts.clip(reason, 1000);
        // The messages' rows, then their timelines' new entries, written at once.
        List<Dialect.SqlStatement> writes = new ArrayList<>();
        List<Dialect.SqlStatement> timeline = new ArrayList<>();
        List<MessageStatusReported> reported = new ArrayList<>();
        recorded.forEach((id, message) -> {
            String stored = message.recordedStatuses();
            Set<MessageStatus> statuses = stored == null ? null : recordedStatuses(stored);
            if (statuses != null) {
                statuses.add(MessageStatus.BLOCKED);
            }
            writes.add(new Dialect.SqlStatement("UPDATE messages SET status = 'BLOCKED', blocked_reason = ?, lease_until = NULL,"
                    + " updated_at = ?, recorded_statuses = ? WHERE id = ?",
                    Arrays.asList(why, Times.utc(now), statuses == null ? null : recordedStatuses(statuses), id)));
            timeline.add(new Dialect.SqlStatement("INSERT INTO message_events (message_id, status, occurred_at, recorded_at,"
                    + " inferred) VALUES (?, ?, ?, ?, ?)",
                    List.of(id, MessageStatus.BLOCKED.name(), Times.utc(now), Times.utc(now), false)));
            reported.add(new MessageStatusReported(id, message.channel(), MessageStatus.BLOCKED, false, now, null));
        });
        writes.addAll(timeline);
        dialect.runTogether(batches, writes);
        events.publishEvent(new MessageStatusesReported(List.copyOf(reported)));
    }

    /** A queued message, its contact and its sender. */
    public record QueuedMessage(UUID id, UUID contactId, UUID senderId) {}

    /** The WhatsApp messages of a template (name and language) still queued, with their contacts. */
    public List<QueuedMessage> queuedWithTemplate(String name, String language) {
        return jdbc.sql("SELECT id, contact_id, sender_id FROM messages WHERE status = 'QUEUED' AND channel = 'WHATSAPP'"
                        + " AND template_name = ? AND template_language = ?")
                .params(name, language)
                .query((rs, n) -> new QueuedMessage(rs.getObject("id", UUID.class), rs.getObject("contact_id", UUID.class),
                        rs.getObject("sender_id", UUID.class)))
                .list();
    }

    /**
     * Records the category of a template's queued messages (by id) as the template's now (Meta recategorized it), so
     * that a contact who withdraws consent to that category has them withdrawn.
     */
    public void recategorizeQueued(List<UUID> messageIds, MessageCategory category) {
        for (List<UUID> batch : SqlLists.inChunks(messageIds)) {
            jdbc.sql("UPDATE messages SET category = ? WHERE status = 'QUEUED' AND id IN (" + SqlLists.placeholders(batch.size()) + ")")
                    .params(SqlLists.valueThen(category.name(), batch)).update();
        }
    }


    /** The contact's messages still queued (not yet handed to a provider, or waiting to be tried again). */
    List<UUID> queuedFor(UUID contactId) {
        return jdbc.sql("SELECT id FROM messages WHERE contact_id = ? AND status = 'QUEUED'").param(contactId)
                .query(UUID.class).list();
    }

    /**
     * Empties the contact's messages of its number {@code phone} and their texts (what was asked of the provider, the
     * text as sent, the idempotency key its sender chose), and of the number wherever a provider's error names it (as
     * Twilio's do: "The 'To' number +1555… is not …"), in their timelines too; and the statuses kept as they came for
     * them of their payloads. Their statuses, times, errors otherwise and category stay, as do their counts. Every one
     * still queued has a withdrawal pending first ({@code reason}): one a dispatcher is taking at this moment is sent,
     * and never tried again. How many messages were emptied.
     */
    int eraseOf(UUID contactId, String phone, String reason) {
        jdbc.sql("UPDATE messages SET withdrawal_pending = ? WHERE contact_id = ? AND status = 'QUEUED'"
                        + " AND withdrawal_pending IS NULL")
                .params(Texts.clip(reason, 1000), contactId).update();
        jdbc.sql("UPDATE unmatched_statuses SET payload = '' WHERE provider_message_id IN (SELECT provider_message_id"
                        + " FROM messages WHERE contact_id = ? AND provider_message_id IS NOT NULL)")
                .param(contactId).update();
        // The number as E.164, then its digits alone (as an SMSC or a provider may write it).
        String digits = phone.substring(1);
        String withoutNumber = "REPLACE(REPLACE(%1$s, ?, '" + ERASED_NUMBER + "'), ?, '" + ERASED_NUMBER + "')";
        String errors = "error_title = " + withoutNumber.formatted("error_title") + ", error_details = "
                + withoutNumber.formatted("error_details");
        jdbc.sql("UPDATE message_events SET " + errors + " WHERE message_id IN (SELECT id FROM messages WHERE contact_id = ?)"
                        + " AND (error_title IS NOT NULL OR error_details IS NOT NULL)")
                .params(phone, digits, phone, digits, contactId).update();
        return jdbc.sql("UPDATE messages SET recipient = NULL, request_body = NULL, rendered_text = NULL, idempotency_key = NULL, "
                        + errors + " WHERE contact_id = ?")
                .params(phone, digits, phone, digits, contactId).update();
    }

    /** What an erased contact's number is replaced with in the errors its providers gave. */
    static final String ERASED_NUMBER = "(erased number)";

    /** The contact's messages of this category still queued. */
    List<UUID> queuedFor(UUID contactId, MessageCategory category) {
        return jdbc.sql("SELECT id FROM messages WHERE contact_id = ? AND status = 'QUEUED' AND category = ?")
                .params(contactId, category.name()).query(UUID.class).list();
    }

    /**
     * How long the recording of a provider's answer is tried again while the database fails (a restart, a failover),
     * the answer kept on the node's disk meanwhile and after ({@link UnrecordedAnswers}): an accepted send that is not
     * recorded would be sent again when its lease ends. Longer than the lease, since nothing can send it again
     * meanwhile: another node's claim needs the database too (and the row, which the recording locks once it can),
     * and this node does not send twice what it has in hand ({@code BackgroundWorker.InFlight}). Bounded so that a
     * failure that only looks passing does not hold a sender's slot for ever.
     */
    public static final Duration RECORDING_PATIENCE = Duration.ofMinutes(10);

    /**
     * How long a claimed message is tried to be put back untried (or due later) on connections the database had
     * dropped (a restart, a failover): given up, it waits for its lease to end (a minute) before it is claimed again.
     */
    private static final Duration PUTTING_BACK_PATIENCE = Duration.ofSeconds(5);
    /** When a message put back because a read before its send failed is due again. */
    private static final Duration AFTER_A_FAILED_READ = Duration.ofSeconds(1);

    /** The provider accepted the message and gave it this id. */
    public void recordSubmitted(UUID messageId, String providerMessageId) {
        recordSubmitted(messageId, providerMessageId, null);
    }

    /**
     * The provider accepted the message and gave it this id; with {@code checkStatusAt}, Reach asks the provider for the
     * message's status then, unless a callback brings a final one first: Twilio does not try a callback again that
     * found Reach down or restarting, and a journey would then wait for its timeout (and take its fallback) for a
     * message that was delivered.
     */
    public void recordSubmitted(UUID messageId, String providerMessageId, Instant checkStatusAt) {
        Instant now = clock.instant();
        UnrecordedAnswers.Answer answer = new UnrecordedAnswers.Answer(messageId, 0, providerMessageId, checkStatusAt, now);
        try {
            unrecorded.record(answer, () -> transactions.executeWithoutResult(tx ->
                    recordSubmittedIn(messageId, providerMessageId, checkStatusAt, now)));
        } catch (RuntimeException e) {
            // The one case where Reach itself may send a message twice: say which, for whoever answers the customer.
            log.error("Message {} was taken by its provider (its id {}), but recording that failed: {} The failure: {}",
                    messageId, providerMessageId, unrecorded.whatComesOf(answer), PassingFailures.cause(e));
            throw e;
        }
    }

    private void recordSubmittedIn(UUID messageId, String providerMessageId, Instant checkStatusAt, Instant at) {
        // The status update also keeps the provider's id and ends the lease (or a status that came first did).
        applyLocked(messageId, new StatusReport(MessageStatus.SUBMITTED, at, providerMessageId, null, null, null, null), true);
        reconcile(messageId, providerMessageId);
        if (checkStatusAt != null) {
            // Unless a status that came first was final already.
            jdbc.sql("UPDATE messages SET status_check_at = ? WHERE id = ? AND status IN ('SUBMITTED', 'SENT')")
                    .params(Times.utc(checkStatusAt), messageId).update();
        }
    }

    /**
     * A message whose status Reach asks its provider for itself, since the callbacks that should tell it may have been
     * lost (see {@link #recordSubmitted(UUID, String, Instant)}).
     */
    public record StatusCheck(UUID id, Channel channel, UUID senderId, String providerMessageId, MessageStatus status,
                              int checks) {}

    /** Claims the status checks that are due; each one's time moves on by {@code lease}, so no other node makes it. */
    public List<StatusCheck> claimStatusChecks(int limit, Duration lease) {
        Instant now = clock.instant();
        return dialect.claimAndSet(batches, "messages",
                "id, channel, sender_id, provider_message_id, status, status_checks, status_check_at",
                "status_check_at <= ?", List.of(Times.utc(now)), "status_check_at", limit,
                "status_check_at = ?", List.of(Times.utc(now.plus(lease))),
                rs -> {
                    Instant due = Times.instant(rs, "status_check_at");
                    return due != null && !due.isAfter(now);
                },
                rs -> new StatusCheck(rs.getObject("id", UUID.class), Channel.valueOf(rs.getString("channel")),
                        rs.getObject("sender_id", UUID.class), rs.getString("provider_message_id"), status(rs.getString("status")),
                        rs.getInt("status_checks")));
    }

    /** A status check was made: the next one is due at {@code next}, or none is (null). */
    public void statusChecked(UUID messageId, Instant next) {
        jdbc.sql("UPDATE messages SET status_checks = status_checks + 1, status_check_at = ? WHERE id = ?")
                .params(next == null ? null : Times.utc(next), messageId).update();
    }

    /** The provider refused the message for good (e.g. Meta 131026 or a template error). */
    public void recordRejected(UUID messageId, MessageError error) {
        Instant now = clock.instant();
        PassingFailures.retry(() -> transactions.executeWithoutResult(tx -> {
            jdbc.sql("UPDATE messages SET lease_until = NULL WHERE id = ?").param(messageId).update();
            applyLocked(messageId, new StatusReport(MessageStatus.FAILED, now, null, error.code(), error.title(),
                    error.details(), null), false);
        }), RECORDING_PATIENCE);
    }

    /** A passing failure: the message stays queued and is tried again at {@code next}. */
    private void retryLater(UUID messageId, Instant next, MessageError lastError, PassingFailure kind) {
        PassingFailures.retryUndone(() -> retryLaterOnce(messageId, next, lastError, kind),
                PUTTING_BACK_PATIENCE);
    }

    private void retryLaterOnce(UUID messageId, Instant next, MessageError lastError, PassingFailure kind) {
        int retried = jdbc.sql("UPDATE messages SET next_attempt_at = ?, lease_until = NULL, error_code = ?, error_title = ?,"
                        + " error_details = ?, passing_failure = ?, updated_at = ? WHERE id = ? AND status = 'QUEUED'"
                        + " AND withdrawal_pending IS NULL")
                .params(Times.utc(next), lastError.code(), Texts.clip(lastError.title(), 500),
                        Texts.clip(lastError.details(), 2000), kind.name(), Times.now(clock), messageId)
                .update();
        if (retried == 0) {
            withdrawPending(messageId);
        }
    }

    /**
     * What a dispatcher reads before it hands a claimed message over (its sender, its messaging limit), or null when
     * that read failed on the database for a moment (a restart, a failover): nothing went out, so the message has been
     * put back untried, due again a second later rather than once its lease ends (a minute). Any other failure is
     * thrown, and the lease it is.
     */
    public <T> T beforeSending(Outbound message, Supplier<T> read) {
        try {
            return read.get();
        } catch (RuntimeException e) {
            if (!PassingFailures.isPassing(e)) {
                throw e;
            }
            log.warn("Could not prepare message {} for sending ({}); put back untried", message.id(),
                    PassingFailures.cause(e));
            putBack(message.id(), AFTER_A_FAILED_READ);
            return null;
        }
    }

    /**
     * Puts a claimed message back untried, due again after {@code delay} (its sender is at its rate, see
     * {@link SenderRates}): the claim's attempt is not counted, and whatever it recorded before stays.
     */
    public void putBack(UUID messageId, Duration delay) {
        PassingFailures.retryUndone(() -> putBackOnce(messageId, delay), PUTTING_BACK_PATIENCE);
    }

    private void putBackOnce(UUID messageId, Duration delay) {
        int putBack = jdbc.sql("UPDATE messages SET next_attempt_at = ?, lease_until = NULL, attempts = attempts - 1,"
                        + " updated_at = ? WHERE id = ? AND status = 'QUEUED' AND withdrawal_pending IS NULL")
                .params(Times.utc(clock.instant().plus(delay)), Times.now(clock), messageId)
                .update();
        if (putBack == 0) {
            withdrawPending(messageId);
        }
    }

    /**
     * Puts a claimed message back untried until {@code until}, held back by Reach itself (its sender is over its
     * messaging limit until then), with {@code why} as its error: the claim's attempt is not counted. Such a message
     * does not wait its turn behind others of its sender (see {@link Progress}): a journey that stops waiting for it
     * withdraws it.
     */
    public void holdBack(UUID messageId, Instant until, String why) {
        PassingFailures.retryUndone(() -> holdBackOnce(messageId, until, why), PUTTING_BACK_PATIENCE);
    }

    private void holdBackOnce(UUID messageId, Instant until, String why) {
        int held = jdbc.sql("UPDATE messages SET next_attempt_at = ?, lease_until = NULL, attempts = attempts - 1,"
                        + " error_code = 0, error_title = ?, error_details = NULL, passing_failure = NULL, updated_at = ?"
                        + " WHERE id = ? AND status = 'QUEUED' AND withdrawal_pending IS NULL")
                .params(Times.utc(until), Texts.clip(why, 500), Times.now(clock), messageId)
                .update();
        if (held == 0) {
            withdrawPending(messageId);
        }
    }

    /** What kind of passing failure kept a message from its provider, as a journey's timeout weighs it ({@link Progress}). */
    public enum PassingFailure {
        /** The provider refused the message this time (a 5xx, a short outage, an error worth another try). */
        REFUSED,
        /** The provider asked to send more slowly (its throughput or rate limit): it refused the pace, not the message. */
        SLOW_DOWN,
        /** The request went out and its answer never came: the provider may have taken the message. */
        ANSWER_LOST
    }

    /**
     * After a passing failure of the kind {@code kind}: the message is tried again after {@code backoff}, or, when it
     * has had its {@code maxAttempts}, failed for good with the last error.
     */
    public void retryOrFail(Outbound message, MessageError error, PassingFailure kind, Duration backoff, int maxAttempts) {
        if (message.attempt() >= maxAttempts) {
            recordRejected(message.id(), new MessageError(error.code(), error.title().replace("; retrying", "")
                    + " (gave up after " + message.attempt() + " attempts)", error.details()));
        } else {
            retryLater(message.id(), clock.instant().plus(backoff), error, kind);
        }
    }

    /**
     * Applies a provider's status report: to the message with that provider id, else to {@code hintedMessageId}
     * (Reach's own id, which Meta echoes back), else it is kept as unmatched for inspection and later matching.
     */
    public Applied applyStatus(Channel channel, UUID senderId, StatusReport report, UUID hintedMessageId, String rawPayload) {
        return applyStatuses(channel, senderId, List.of(new IncomingStatus(report, hintedMessageId, rawPayload))).getFirst().outcome();
    }

    /**
     * Applies a batch of status reports (e.g. one webhook's) in the caller's transaction, as {@link #applyStatus}
     * would one by one, in their order, but with a handful of statements for the whole batch: the messages are found
     * and locked at once (in id order, so that two batches never deadlock), their timelines read at once, the new
     * timeline entries inserted and the messages updated together ({@link Dialect#runTogether}).
     */
    public List<StatusApplied> applyStatuses(Channel channel, UUID senderId, List<IncomingStatus> statuses) {
        // Reach's own id, when the provider echoes it, finds the message by its key; the provider's id is the fallback.
        Map<UUID, String> providerIdOfHinted = new HashMap<>();
        List<UUID> hints = statuses.stream().map(IncomingStatus::hintedMessageId).filter(Objects::nonNull).distinct().toList();
        if (!hints.isEmpty()) {
            List<Object> params = new ArrayList<>(hints);
            params.add(channel.name());
            jdbc.sql("SELECT id, provider_message_id FROM messages WHERE id IN (" + SqlLists.placeholders(hints.size())
                            + ") AND channel = ?")
                    .params(params)
                    .query(rs -> {
                        providerIdOfHinted.put(rs.getObject("id", UUID.class), Objects.requireNonNullElse(
                                rs.getString("provider_message_id"), ""));
                    });
        }
        UUID[] found = new UUID[statuses.size()];
        List<String> byProviderId = new ArrayList<>();
        for (int i = 0; i < statuses.size(); i++) {
            IncomingStatus status = statuses.get(i);
            String known = status.hintedMessageId() == null ? null : providerIdOfHinted.get(status.hintedMessageId());
            if (known != null && (known.isEmpty() || known.equals(status.report().providerMessageId()))) {
                found[i] = status.hintedMessageId();
            } else if (status.report().providerMessageId() != null) {
                byProviderId.add(status.report().providerMessageId());
            }
        }
        Map<String, UUID> idOfProviderId = new HashMap<>();
        if (!byProviderId.isEmpty()) {
            List<String> distinct = byProviderId.stream().distinct().toList();
            List<Object> params = new ArrayList<>(distinct);
            // The preferred message of a repeated id comes last, and stays in the map.
            jdbc.sql("SELECT id, provider_message_id FROM messages WHERE provider_message_id IN ("
                            + SqlLists.placeholders(distinct.size()) + ") ORDER BY " + preferred(senderId, params, ""))
                    .params(params)
                    .query(rs -> {
                        idOfProviderId.put(rs.getString("provider_message_id"), rs.getObject("id", UUID.class));
                    });
        }
        List<UUID> targets = new ArrayList<>();
        List<StatusReport> reports = new ArrayList<>();
        for (int i = 0; i < statuses.size(); i++) {
            if (found[i] == null) {
                found[i] = idOfProviderId.get(statuses.get(i).report().providerMessageId());
            }
            if (found[i] != null) {
                targets.add(found[i]);
                reports.add(statuses.get(i).report());
            }
        }
        Batch applied = targets.isEmpty() ? new Batch(List.of(), Map.of()) : applyLocked(targets, reports, true);
        List<StatusApplied> results = new ArrayList<>(statuses.size());
        int next = 0;
        for (int i = 0; i < statuses.size(); i++) {
            if (found[i] == null) {
                StatusReport report = statuses.get(i).report();
                jdbc.sql("INSERT INTO unmatched_statuses (channel, sender_id, provider_message_id, status, occurred_at,"
                                + " received_at, error_code, error_title, error_details, pricing, payload)"
                                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                        .params(channel.name(), senderId, report.providerMessageId(), report.status().name(),
                                Times.utc(report.occurredAt()), Times.now(clock), report.errorCode(), report.errorTitle(),
                                report.errorDetails(), report.pricing(), statuses.get(i).rawPayload())
                        .update();
                results.add(new StatusApplied(Applied.UNMATCHED, null, null, null));
            } else {
                Message message = applied.messages().get(found[i]);
                results.add(new StatusApplied(applied.outcomes().get(next++), found[i],
                        message == null ? null : message.contactId(), message == null ? null : message.recipient()));
            }
        }
        return results;
    }

    /** Applies a provider's report to a message Reach identified itself (e.g. from the parts of an SMS). */
    public Applied applyToMessage(UUID messageId, StatusReport report) {
        return transactions.execute(tx -> applyLocked(messageId, report, true));
    }

    /** Statuses kept as unmatched, newest first, for inspection. */
    public List<UnmatchedStatus> unmatched(int limit) {
        return jdbc.sql("SELECT id, channel, provider_message_id, status, occurred_at, received_at, error_code,"
                        + " matched_message_id, payload FROM unmatched_statuses ORDER BY id DESC LIMIT ?")
                .param(limit)
                .query((rs, n) -> new UnmatchedStatus(rs.getLong("id"), rs.getString("channel").toLowerCase(),
                        rs.getString("provider_message_id"), status(rs.getString("status")), Times.instant(rs, "occurred_at"),
                        Times.instant(rs, "received_at"), (Integer) rs.getObject("error_code"),
                        rs.getObject("matched_message_id", UUID.class), rs.getString("payload")))
                .list();
    }

    /** Applies the unmatched statuses of a provider id (from a sender, when known) whose message Reach now knows. */
    public int reconcile(String providerMessageId, UUID senderId) {
        Optional<UUID> messageId = idByProviderId(providerMessageId, senderId);
        if (messageId.isEmpty()) {
            return 0;
        }
        Integer applied = transactions.execute(tx -> reconcile(messageId.get(), providerMessageId));
        return applied == null ? 0 : applied;
    }

    /** Applies to a message the unmatched statuses of its provider id; runs in the caller's transaction. */
    private int reconcile(UUID messageId, String providerMessageId) {
        List<Long> ids = jdbc.sql("SELECT id FROM unmatched_statuses WHERE provider_message_id = ?"
                        + " AND matched_message_id IS NULL ORDER BY id FOR UPDATE SKIP LOCKED")
                .param(providerMessageId).query(Long.class).list();
        for (Long unmatchedId : ids) {
            StatusReport report = jdbc.sql("SELECT status, occurred_at, error_code, error_title, error_details, pricing"
                            + " FROM unmatched_statuses WHERE id = ?")
                    .param(unmatchedId)
                    .query((rs, n) -> new StatusReport(status(rs.getString("status")), Times.instant(rs, "occurred_at"),
                            providerMessageId, (Integer) rs.getObject("error_code"), rs.getString("error_title"),
                            rs.getString("error_details"), rs.getString("pricing")))
                    .single();
            applyLocked(messageId, report, true);
            // A message without its number is an erased contact's: its status, come after the erasure, is kept
            // without the payload that names the number, as the erasure left those that came before.
            jdbc.sql("UPDATE unmatched_statuses SET matched_message_id = ?, payload = CASE WHEN EXISTS (SELECT 1 FROM"
                            + " messages WHERE id = ? AND recipient IS NULL) THEN '' ELSE payload END WHERE id = ?")
                    .params(messageId, messageId, unmatchedId).update();
        }
        return ids.size();
    }

    /**
     * How long after it came an unmatched status is looked at again for its message. A status of a message Reach sends
     * waits seconds for it (recording the provider's answer matches what came before it; this sweep catches the
     * status stored while that recording ran); those of messages Reach never sent (another app on the same number)
     * never match, and would otherwise be read again at every sweep, for ever.
     */
    public static final Duration UNMATCHED_SWEPT_FOR = Duration.ofHours(1);

    /** Matches unmatched statuses of the last hour whose messages have appeared since; returns how many were applied. */
    public int reconcilePending(int limit) {
        record Pending(String providerMessageId, UUID senderId) {}
        List<Pending> pending = jdbc.sql("SELECT DISTINCT u.provider_message_id, u.sender_id FROM unmatched_statuses u"
                        + " JOIN messages m ON m.provider_message_id = u.provider_message_id"
                        + " WHERE u.received_at >= ? AND u.matched_message_id IS NULL LIMIT ?")
                .params(Times.utc(clock.instant().minus(UNMATCHED_SWEPT_FOR)), limit)
                .query((rs, n) -> new Pending(rs.getString(1), rs.getObject(2, UUID.class))).list();
        return pending.stream().mapToInt(p -> reconcile(p.providerMessageId(), p.senderId())).sum();
    }

    /** The status model at work on one message, under its row lock so that concurrent reports serialise. */
    private Applied applyLocked(UUID messageId, StatusReport report, boolean acceptedByProvider) {
        return applyLocked(List.of(messageId), List.of(report), acceptedByProvider).outcomes().getFirst();
    }

    /** What a batch of reports did, in their order, and the contact of each message it touched. */
    private record Batch(List<Applied> outcomes, Map<UUID, Message> messages) {}

    /** A locked message as the batch's reports leave it. */
    private static final class Locked {
        final Message before;
        final Set<MessageStatus> recorded = EnumSet.noneOf(MessageStatus.class);
        MessageStatus status;
        Integer errorCode;
        String errorTitle;
        String errorDetails;
        String newProviderId;
        boolean applied;

        Locked(Message before) {
            this.before = before;
            this.status = before.status();
            if (before.error() != null) {
                errorCode = before.error().code();
                errorTitle = before.error().title();
                errorDetails = before.error().details();
            }
        }
    }

    /**
     * The status model at work on a batch of reports ({@code messageIds[i]} gets {@code reports[i]}, in order), under
     * the messages' row locks so that concurrent reports serialise: the rows are locked in one statement, in id
     * order, their timelines read in one, and what the reports change written together ({@link Dialect#runTogether}).
     */
    private Batch applyLocked(List<UUID> messageIds, List<StatusReport> reports, boolean acceptedByProvider) {
        List<UUID> distinct = messageIds.stream().distinct().sorted().toList();
        Map<UUID, Locked> locked = new HashMap<>();
        String in = SqlLists.placeholders(distinct.size());
        List<UUID> recordedUnknown = new ArrayList<>();
        jdbc.sql("SELECT " + COLUMNS + ", recorded_statuses FROM messages WHERE id IN (" + in + ") ORDER BY id FOR UPDATE")
                .params(new ArrayList<Object>(distinct))
                .query(rs -> {
                    Locked message = new Locked(row(rs, 0));
                    String recorded = rs.getString("recorded_statuses");
                    if (recorded == null) {
                        recordedUnknown.add(message.before.id());
                    } else {
                        message.recorded.addAll(recordedStatuses(recorded));
                    }
                    locked.put(message.before.id(), message);
                });
        if (locked.size() != distinct.size()) {
            throw new IllegalStateException("a message to apply a status to is gone: " + distinct);
        }
        if (!recordedUnknown.isEmpty()) {
            // Rows written before their statuses were kept with them: the timeline tells, read after the lock.
            jdbc.sql("SELECT message_id, status FROM message_events WHERE message_id IN ("
                            + SqlLists.placeholders(recordedUnknown.size()) + ")")
                    .params(new ArrayList<Object>(recordedUnknown))
                    .query(rs -> {
                        locked.get(rs.getObject("message_id", UUID.class)).recorded.add(status(rs.getString("status")));
                    });
        }
        Instant now = clock.instant();
        List<Object[]> newEvents = new ArrayList<>();
        List<MessageStatusReported> reported = new ArrayList<>();
        List<MessageStatusChanged> changed = new ArrayList<>();
        List<Applied> outcomes = new ArrayList<>(reports.size());
        for (int i = 0; i < reports.size(); i++) {
            Locked message = locked.get(messageIds.get(i));
            StatusReport report = reports.get(i);
            StatusModel.Decision decision = StatusModel.apply(message.status, message.recorded, report.status());
            // The provider's id is kept with the first report that names it (its answer to the send may come later).
            if (message.before.providerMessageId() == null && message.newProviderId == null) {
                message.newProviderId = report.providerMessageId();
            }
            if (!decision.record()) {
                outcomes.add(Applied.DUPLICATE);
                continue;
            }
            Instant occurredAt = report.occurredAt() == null ? now : report.occurredAt();
            // Any provider report proves the provider took the message, even if its answer to the send is still on its way.
            if (decision.inferSubmitted() && acceptedByProvider) {
                newEvents.add(event(message, MessageStatus.SUBMITTED, occurredAt, now, null, null, null, null, true, reported));
            }
            newEvents.add(event(message, report.status(), occurredAt, now, report.errorCode(), report.errorTitle(),
                    report.errorDetails(), report.pricing(), false, reported));
            if (decision.inferDelivered()) {
                newEvents.add(event(message, MessageStatus.DELIVERED, occurredAt, now, null, null, null, null, true, reported));
            }
            MessageStatus next = decision.current();
            // A message that is not (or no longer) failed keeps no error of its own: its timeline still has every failure.
            if (next == MessageStatus.FAILED && report.status() == MessageStatus.FAILED) {
                message.errorCode = report.errorCode();
                message.errorTitle = report.errorTitle();
                message.errorDetails = report.errorDetails();
            } else if (next != MessageStatus.FAILED) {
                message.errorCode = null;
                message.errorTitle = null;
                message.errorDetails = null;
            }
            if (next != message.status) {
                changed.add(new MessageStatusChanged(message.before.id(), message.before.channel(), message.before.contactId(),
                        message.before.campaignId(), message.status, next, report.occurredAt(),
                        next == MessageStatus.FAILED ? report.errorCode() : null));
            }
            message.status = next;
            message.applied = true;
            outcomes.add(Applied.APPLIED);
        }
        // The timeline's new entries and the messages' rows, written at once: their counts are not needed.
        List<Dialect.SqlStatement> writes = new ArrayList<>();
        for (Object[] event : newEvents) {
            writes.add(new Dialect.SqlStatement("INSERT INTO message_events (message_id, status, occurred_at, recorded_at,"
                    + " error_code, error_title, error_details, pricing, inferred) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    Arrays.asList(event)));
        }
        for (UUID id : distinct) {
            Locked message = locked.get(id);
            if (message.applied) {
                // A final status ends the checks that were to ask the provider for it (see recordSubmitted).
                writes.add(new Dialect.SqlStatement("UPDATE messages SET status = ?, error_code = ?, error_title = ?, error_details = ?,"
                        + " updated_at = ?, lease_until = CASE WHEN ? = 'QUEUED' THEN lease_until ELSE NULL END,"
                        + " status_check_at = CASE WHEN ? IN ('SUBMITTED', 'SENT') THEN status_check_at ELSE NULL END,"
                        + " provider_message_id = COALESCE(provider_message_id, ?), recorded_statuses = ? WHERE id = ?",
                        Arrays.asList(message.status.name(), message.errorCode, message.errorTitle, message.errorDetails,
                                Times.utc(now), message.status.name(), message.status.name(), message.newProviderId,
                                recordedStatuses(message.recorded), id)));
            } else if (message.newProviderId != null) {
                writes.add(new Dialect.SqlStatement("UPDATE messages SET provider_message_id = ? WHERE id = ?"
                        + " AND provider_message_id IS NULL", List.of(message.newProviderId, id)));
            }
        }
        dialect.runTogether(batches, writes);
        changed.forEach(events::publishEvent);
        if (!reported.isEmpty()) {
            events.publishEvent(new MessageStatusesReported(List.copyOf(reported)));
        }
        Map<UUID, Message> messages = new HashMap<>();
        locked.forEach((id, message) -> messages.put(id, message.before));
        return new Batch(outcomes, messages);
    }

    /** The row of a new timeline entry; the entry joins the message's recorded statuses and the batch's reports. */
    private static Object[] event(Locked message, MessageStatus status, Instant occurredAt, Instant now, Integer errorCode,
                                  String errorTitle, String errorDetails, String pricing, boolean inferred,
                                  List<MessageStatusReported> reported) {
        message.recorded.add(status);
        reported.add(new MessageStatusReported(message.before.id(), message.before.channel(), status, inferred, occurredAt,
                errorCode));
        return new Object[] {message.before.id(), status.name(), Times.utc(occurredAt), Times.utc(now), errorCode, errorTitle,
                errorDetails, pricing, inferred};
    }

    /** A message's recorded statuses as its row keeps them: their names, comma-separated, in the enum's order. */
    static String recordedStatuses(Set<MessageStatus> statuses) {
        return String.join(",", statuses.stream().map(MessageStatus::name).toList());
    }

    static Set<MessageStatus> recordedStatuses(String stored) {
        Set<MessageStatus> statuses = EnumSet.noneOf(MessageStatus.class);
        for (String name : stored.split(",")) {
            if (!name.isEmpty()) {
                statuses.add(status(name));
            }
        }
        return statuses;
    }

    private static MessageStatus status(String stored) {
        return MessageStatus.valueOf(stored);
    }

    private Message row(ResultSet rs, int rowNum) throws SQLException {
        Integer code = (Integer) rs.getObject("error_code");
        MessageError error = code == null && rs.getString("error_title") == null ? null
                : new MessageError(code == null ? 0 : code, rs.getString("error_title"), rs.getString("error_details"));
        return new Message(rs.getObject("id", UUID.class), Channel.valueOf(rs.getString("channel")),
                rs.getObject("sender_id", UUID.class), rs.getObject("contact_id", UUID.class), rs.getString("recipient"),
                rs.getString("template_name"), rs.getString("template_language"), rs.getString("campaign_id"),
                rs.getString("rendered_text"), status(rs.getString("status")), rs.getString("blocked_reason"), error,
                rs.getString("provider_message_id"), rs.getInt("attempts"), Times.instant(rs, "created_at"),
                Times.instant(rs, "updated_at"), null, null);
    }
}
