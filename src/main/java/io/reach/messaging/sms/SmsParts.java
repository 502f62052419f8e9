package io.reach.messaging.sms;

import io.reach.messaging.MessageStatus;
import io.reach.messaging.UnrecordedAnswers;
import io.reach.shared.PassingFailures;
import io.reach.shared.Times;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The parts of SMS sent over SMPP: which the SMSC accepted (with its id) and what each part's receipt said. */
@Repository
class SmsParts {

    private static final Logger log = LoggerFactory.getLogger(SmsParts.class);

    /** One part's row. */
    record Part(UUID messageId, int number, int total, String providerPartId, MessageStatus status) {}

    private final JdbcClient jdbc;
    private final Clock clock;
    private final UnrecordedAnswers unrecorded;

    SmsParts(JdbcClient jdbc, Clock clock, UnrecordedAnswers unrecorded) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.unrecorded = unrecorded;
        unrecorded.recordWith(true, answer -> {
            record(answer.messageId(), answer.part(), answer.providerId(), answer.at());
            List<Part> parts = of(answer.messageId());
            if (parts.stream().allMatch(part -> part.providerPartId() != null)) {
                // Every part taken: the message was submitted, with its first part's id, as its dispatcher records it.
                unrecorded.recordNow(new UnrecordedAnswers.Answer(answer.messageId(), 0,
                        parts.getFirst().providerPartId(), null, answer.at()));
            }
        });
    }

    /**
     * The parts of a message, created (none accepted yet) when it has none. {@code firstAttempt}: the message was
     * never claimed before, so no attempt can have created them and there is nothing to read first.
     */
    List<Part> ensure(UUID messageId, int total, boolean firstAttempt) {
        if (!firstAttempt) {
            List<Part> parts = of(messageId);
            if (!parts.isEmpty()) {
                return parts;
            }
        }
        List<Part> parts = new ArrayList<>(total);
        for (int number = 1; number <= total; number++) {
            jdbc.sql("INSERT INTO sms_parts (message_id, part_number, total_parts, status, updated_at) VALUES (?, ?, ?, ?, ?)")
                    .params(messageId, number, total, MessageStatus.QUEUED.name(), Times.now(clock)).update();
            parts.add(new Part(messageId, number, total, null, MessageStatus.QUEUED));
        }
        return parts;
    }

    List<Part> of(UUID messageId) {
        return jdbc.sql("SELECT message_id, part_number, total_parts, provider_part_id, status FROM sms_parts"
                        + " WHERE message_id = ? ORDER BY part_number")
                .param(messageId).query((rs, n) -> new Part(rs.getObject("message_id", UUID.class), rs.getInt("part_number"),
                        rs.getInt("total_parts"), rs.getString("provider_part_id"), MessageStatus.valueOf(rs.getString("status"))))
                .list();
    }

    /** The SMSC took a part and gave it this id: recorded, or the part would be submitted again (see Messages). */
    void accepted(UUID messageId, int number, String providerPartId) {
        UnrecordedAnswers.Answer answer =
                new UnrecordedAnswers.Answer(messageId, number, providerPartId, null, clock.instant());
        try {
            unrecorded.record(answer, () -> record(messageId, number, providerPartId, answer.at()));
        } catch (RuntimeException e) {
            log.error("Part {} of message {} was taken by the SMSC (its id {}), but recording that failed: {} The failure: {}",
                    number, messageId, providerPartId, unrecorded.whatComesOf(answer), PassingFailures.cause(e));
            throw e;
        }
    }

    private void record(UUID messageId, int number, String providerPartId, Instant at) {
        jdbc.sql("UPDATE sms_parts SET provider_part_id = ?, status = ?, submitted_at = ?, updated_at = ? WHERE message_id = ?"
                        + " AND part_number = ? AND provider_part_id IS NULL")
                .params(providerPartId, MessageStatus.SUBMITTED.name(), Times.utc(at), Times.now(clock), messageId, number)
                .update();
    }

    /** Locks the parts of a message, so that receipts of its parts processed at once (by several nodes) serialise. */
    List<Part> lock(UUID messageId) {
        return jdbc.sql("SELECT message_id, part_number, total_parts, provider_part_id, status FROM sms_parts"
                        + " WHERE message_id = ? ORDER BY part_number FOR UPDATE")
                .param(messageId).query((rs, n) -> new Part(rs.getObject("message_id", UUID.class), rs.getInt("part_number"),
                        rs.getInt("total_parts"), rs.getString("provider_part_id"), MessageStatus.valueOf(rs.getString("status"))))
                .list();
    }

    /**
     * The part an SMSC message id belongs to: among the messages of the sender whose session got the receipt first,
     * then among all (an SMSC may hand a receipt to another session bound with the same system_id).
     */
    Optional<Part> byProviderId(UUID senderId, List<String> candidates) {
        return byProviderId(senderId, candidates, " AND m.sender_id = ?")
                .or(() -> byProviderId(null, candidates, ""));
    }

    private Optional<Part> byProviderId(UUID senderId, List<String> candidates, String senderFilter) {
        for (String candidate : candidates) {
            Optional<Part> part = jdbc.sql("SELECT p.message_id, p.part_number, p.total_parts, p.provider_part_id, p.status"
                            + " FROM sms_parts p JOIN messages m ON m.id = p.message_id"
                            + " WHERE p.provider_part_id = ?" + senderFilter
                            // An SMSC may hand out an id again: it belongs to the part it was given to last (a message
                            // created before another may get its id after it, when its send was tried again).
                            + " ORDER BY p.submitted_at DESC, m.id DESC LIMIT 1")
                    .params(senderId == null ? new Object[] {candidate} : new Object[] {candidate, senderId})
                    .query((rs, n) -> new Part(rs.getObject(1, UUID.class), rs.getInt(2), rs.getInt(3), rs.getString(4),
                            MessageStatus.valueOf(rs.getString(5))))
                    .optional();
            if (part.isPresent()) {
                return part;
            }
        }
        return Optional.empty();
    }

    void updateStatus(UUID messageId, int number, MessageStatus status, String errorCode) {
        jdbc.sql("UPDATE sms_parts SET status = ?, error_code = ?, updated_at = ? WHERE message_id = ? AND part_number = ?")
                .params(status.name(), errorCode, Times.now(clock), messageId, number).update();
    }
}
