package io.reach.messaging.whatsapp;

import io.reach.messaging.InboundMessages;
import io.reach.messaging.MessageStatus;
import io.reach.messaging.MessageStatusReported;
import io.reach.messaging.MessageStatusesReported;
import io.reach.messaging.Messages;
import io.reach.sender.Sender;
import io.reach.sender.Senders;
import io.reach.shared.Dialect;
import io.reach.shared.SqlLists;
import io.reach.shared.Times;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Keeps each WhatsApp sender that has a {@code messagingLimit} within it, as Meta counts it: the unique numbers a
 * sender delivers to outside a customer-service window (the contact has not written to it in the last 24 hours) in a
 * moving 24 hours. A message to a number counted already, or inside its window, is free; one that would go past the
 * limit is refused before it reaches Meta, which would not deliver it either, so that a journey takes its fallback
 * at once instead of a day later.
 * <p>
 * The count is the database's, so that nodes sending from one number share it: a send that adds a number holds its
 * sender's row of {@code messaging_limit_counts} until it commits. A sender without a limit costs nothing, and a
 * message that fails gives its number back.
 */
@Component
class MessagingLimits {

    static final Duration WINDOW = Duration.ofHours(24);

    private final JdbcClient jdbc;
    private final Dialect dialect;
    private final Clock clock;
    private final TransactionTemplate transactions;
    private final InboundMessages inbound;
    private final Senders senders;

    MessagingLimits(JdbcClient jdbc, Dialect dialect, Clock clock, TransactionTemplate transactions,
                    InboundMessages inbound, Senders senders) {
        this.jdbc = jdbc;
        this.dialect = dialect;
        this.clock = clock;
        this.transactions = transactions;
        this.inbound = inbound;
        this.senders = senders;
    }

    /** Why a message may not go out now, and when its sender has room again (null when that is not known). */
    record Refusal(String reason, Instant roomAt) {}

    /**
     * Whether the claimed message may go out within its sender's messaging limit, counting its number when it opens
     * one of the sender's reaches; when not, why, and when the sender has room again.
     */
    Optional<Refusal> refusal(Messages.Outbound message, Sender sender) {
        Integer limit = sender.messagingLimit();
        if (limit == null) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        Instant windowStart = now.minus(WINDOW);
        if (counted(sender.id(), message.recipient(), windowStart)
                || message.contactId() != null && inbound.wroteWithin(message.contactId(), sender.id(), WINDOW)) {
            return Optional.empty();
        }
        return transactions.execute(tx -> {
            dialect.insertUnlessDuplicate(jdbc, "INSERT INTO messaging_limit_counts (sender_id, reached) VALUES (?, 0)",
                    "sender_id", sender.id());
            int reached = jdbc.sql("SELECT reached FROM messaging_limit_counts WHERE sender_id = ? FOR UPDATE")
                    .param(sender.id()).query(Integer.class).single();
            reached -= jdbc.sql("DELETE FROM messaging_limit_reaches WHERE sender_id = ? AND reached_at <= ?")
                    .params(sender.id(), Times.utc(windowStart)).update();
            // Another send to this number may have counted it while this one waited for the lock.
            boolean free = counted(sender.id(), message.recipient(), windowStart);
            if (!free && reached < limit) {
                jdbc.sql("INSERT INTO messaging_limit_reaches (sender_id, recipient, reached_at, message_id) VALUES (?, ?, ?, ?)")
                        .params(sender.id(), message.recipient(), Times.utc(now), message.id()).update();
                reached++;
                free = true;
            }
            jdbc.sql("UPDATE messaging_limit_counts SET reached = ? WHERE sender_id = ?").params(reached, sender.id()).update();
            return free ? Optional.<Refusal>empty() : Optional.of(overLimit(sender, limit, windowStart));
        });
    }

    /**
     * Gives back the numbers that messages which failed had counted: Meta counts the numbers it delivers to, so a
     * number not on WhatsApp, say, takes no room. In the transaction that recorded the failures; a message that was
     * delivered before a failure came (a multi-device user) keeps its number counted.
     */
    @EventListener
    void onStatuses(MessageStatusesReported reported) {
        List<UUID> failed = reported.statuses().stream().filter(s -> s.status() == MessageStatus.FAILED)
                .map(MessageStatusReported::messageId).distinct().sorted().toList();
        if (failed.isEmpty() || !senders.anyWithMessagingLimit()) {
            return;
        }
        Map<UUID, List<UUID>> bySender = new TreeMap<>();
        jdbc.sql("SELECT r.message_id, r.sender_id FROM messaging_limit_reaches r JOIN messages m ON m.id = r.message_id"
                        + " WHERE r.message_id IN (" + SqlLists.placeholders(failed.size()) + ") AND m.status = 'FAILED'")
                .params(new ArrayList<Object>(failed))
                .query(rs -> {
                    bySender.computeIfAbsent(rs.getObject("sender_id", UUID.class), id -> new ArrayList<>())
                            .add(rs.getObject("message_id", UUID.class));
                });
        bySender.forEach((senderId, messageIds) -> {
            jdbc.sql("SELECT reached FROM messaging_limit_counts WHERE sender_id = ? FOR UPDATE").param(senderId)
                    .query(Integer.class).optional();
            int released = jdbc.sql("DELETE FROM messaging_limit_reaches WHERE sender_id = ? AND message_id IN ("
                    + SqlLists.placeholders(messageIds.size()) + ")").params(SqlLists.valueThen(senderId, messageIds)).update();
            jdbc.sql("UPDATE messaging_limit_counts SET reached = reached - ? WHERE sender_id = ?").params(released, senderId)
                    .update();
        });
    }

    /**
     * How far a sender is into its messaging limit now: the numbers it reached outside a customer-service window in
     * the last 24 hours, and when the oldest of them stops counting (null when none does).
     */
    Usage usage(Sender sender) {
        Instant windowStart = clock.instant().minus(WINDOW);
        return jdbc.sql("SELECT COUNT(*) AS reached, MIN(reached_at) AS oldest FROM messaging_limit_reaches"
                        + " WHERE sender_id = ? AND reached_at > ?")
                .params(sender.id(), Times.utc(windowStart))
                .query((rs, row) -> {
                    Instant oldest = Times.instant(rs, "oldest");
                    int reached = rs.getInt("reached");
                    Integer limit = sender.messagingLimit();
                    return new Usage(sender.id(), sender.name(), limit, reached,
                            limit == null ? null : Math.max(0, limit - reached), oldest == null ? null : oldest.plus(WINDOW));
                }).single();
    }

    /**
     * A sender's messaging limit as it stands: {@code limit} (null: none), the numbers {@code reached} in the last 24
     * hours (counted only while a limit is set), the {@code room} left, and when the oldest of them stops counting.
     */
    @Schema(name = "MessagingLimitUsage")
    record Usage(UUID senderId, String sender, Integer limit, int reached, Integer room, Instant nextRoomAt) {}

    private boolean counted(UUID senderId, String recipient, Instant windowStart) {
        return jdbc.sql("SELECT COUNT(*) FROM messaging_limit_reaches WHERE sender_id = ? AND recipient = ? AND reached_at > ?")
                .params(senderId, recipient, Times.utc(windowStart)).query(Long.class).single() > 0;
    }

    private Refusal overLimit(Sender sender, int limit, Instant windowStart) {
        Instant oldest = jdbc.sql("SELECT MIN(reached_at) AS oldest FROM messaging_limit_reaches WHERE sender_id = ?"
                        + " AND reached_at > ?")
                .params(sender.id(), Times.utc(windowStart)).query((rs, row) -> Times.instant(rs, "oldest")).single();
        Instant roomAt = oldest == null ? null : oldest.plus(WINDOW).plusNanos(999_999_999).truncatedTo(ChronoUnit.SECONDS);
        return new Refusal("over the messaging limit: " + sender.name() + " has reached its " + limit
                + (limit == 1 ? " number" : " numbers") + " outside a customer-service window in the last 24 hours"
                + (roomAt == null ? "" : "; it has room again from " + DateTimeFormatter.ISO_INSTANT.format(roomAt)), roomAt);
    }
}
