package io.reach.messaging;

import io.reach.shared.Dialect;
import io.reach.shared.SqlLists;
import io.reach.shared.Texts;
import io.reach.shared.Times;
import io.reach.shared.UnansweredClaims;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.jdbc.support.KeyHolder;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Provider callbacks (webhooks, SMPP receipts, Twilio callbacks), kept per source ("WHATSAPP", "SMPP", "TWILIO"),
 * stored as they came before the provider gets its answer: applied in the transaction that stores them when they can
 * be ({@link InboxProcessor#receive}), otherwise handed to processors afterwards under a lease. A crash in between
 * loses nothing; it only delays the processing.
 */
@Service
public class WebhookInbox {

    private static final Logger log = LoggerFactory.getLogger(WebhookInbox.class);

    private final JdbcClient jdbc;
    private final JdbcTemplate claims;
    private final Dialect dialect;
    private final Clock clock;
    private final TransactionTemplate transactions;
    private final UnansweredClaims<Long> unansweredClaims;

    WebhookInbox(JdbcClient jdbc, JdbcTemplate claims, Dialect dialect,
                 Clock clock, TransactionTemplate transactions) {
        this.jdbc = jdbc;
        this.claims = claims;
        this.dialect = dialect;
        this.clock = clock;
        this.transactions = transactions;
        this.unansweredClaims = new UnansweredClaims<>(clock, this::releaseIfLeasedUntil);
    }

    /** One stored callback, claimed for processing. */
    public record Entry(long id, UUID senderId, String body, int attempt) {}

    /**
     * How long a stored callback that failed holds back later ones about the same message ({@link #claim}): long
     * enough for the retries of a passing failure (an SMPP receipt that outran the record of its submit_sm_resp, a
     * deadlock), short enough that one that keeps failing holds its message's later callbacks up for a minute at most.
     */
    public static final Duration ORDER_HOLD = Duration.ofMinutes(1);

    /** Stores a callback about no message in particular, for the processors (it waits behind no other). */
    public void store(String source, UUID senderId, String body) {
        store(source, senderId, body, null);
    }

    /**
     * Stores a callback for the processors; {@code orderingKey} names what it is about (its message; null: nothing
     * in particular), and it is applied after the callbacks about the same that came before it (see {@link #claim}).
     */
    public void store(String source, UUID senderId, String body, String orderingKey) {
        OffsetDateTime now = Times.now(clock);
        // A transaction of its own, though one statement: its commit returns once H2's file has it (DurableCommits), as
        // the provider is answered next and will not send it again; a statement committed on its own would not wait,
        // and a Reach killed within H2's half second lost a callback it had acknowledged.
        transactions.executeWithoutResult(tx -> jdbc.sql("INSERT INTO webhook_inbox (channel, sender_id, received_at, body,"
                        + " next_attempt_at, ordering_key) VALUES (?, ?, ?, ?, ?, ?)")
                .params(source, senderId, now, body, now, Texts.clip(orderingKey, 200)).update());
    }

    /**
     * Stores a callback as processed and returns its id; for the caller's transaction, which applies it too (when
     * that transaction rolls back, nothing of it stays and the caller {@link #store stores} it for later).
     */
    public long storeProcessed(String source, UUID senderId, String body) {
        OffsetDateTime now = Times.now(clock);
        KeyHolder key = new GeneratedKeyHolder();
        jdbc.sql("INSERT INTO webhook_inbox (channel, sender_id, received_at, body, processed_at, attempts, next_attempt_at)"
                        + " VALUES (?, ?, ?, ?, ?, 1, ?)")
                .params(source, senderId, now, body, now, now).update(key, "id");
        return key.getKeyAs(Number.class).longValue();
    }

    /**
     * Claims up to {@code limit} stored callbacks of a source that are due, oldest first, for {@code lease}; those of a
     * claim whose commit failed are given back before the next claim (see {@link UnansweredClaims}).
     * A callback about a message (its ordering key) is not taken while an earlier one about the same message waits for
     * its retry or is in another claim's hands, unless that one came more than {@link #ORDER_HOLD} ago: a message's
     * callbacks are applied in the order they came, even when the first of them fails for a while.
     */
    public List<Entry> claim(String source, int limit, Duration lease) {
        unansweredClaims.giveBack();
        Instant leaseUntil = clock.instant().plus(lease);
        return unansweredClaims.claim(leaseUntil, leasing -> transactions.execute(tx -> {
            OffsetDateTime now = Times.now(clock);
            // "channel, processed_at, next_attempt_at, id": the order of the webhook_inbox_due index, read from the source's
            // unprocessed entries; by id alone, a claim read every processed callback still kept, or sorted every waiting one.
            // An earlier one about the same message that is due and free is in this claim, before it (or, past the
            // claim's limit, the next one's): they are applied in order. Only callbacks not applied yet hold a key,
            // and the check names no other column an index leads with: it is a lookup in webhook_inbox_waiting_by_key
            // per row the claim reads, where PostgreSQL without statistics walked the waiting callbacks of the source
            // (webhook_inbox_due) for each; and "OFFSET 0" keeps it one, where PostgreSQL would plan a join that reads
            // every waiting callback at each claim (2 ms with 20,000 waiting, against 0.005 ms a row).
            List<Entry> entries = dialect.claimAndSet(claims, "webhook_inbox", "id, sender_id, body, attempts, processed_at,"
                            + " next_attempt_at, lease_until", "channel = ? AND processed_at IS NULL AND next_attempt_at <= ?"
                            + " AND (lease_until IS NULL OR lease_until <= ?) AND NOT EXISTS (SELECT 1 FROM webhook_inbox earlier"
                            + " WHERE earlier.ordering_key = webhook_inbox.ordering_key AND earlier.id < webhook_inbox.id"
                            + " AND earlier.received_at > ? AND (earlier.next_attempt_at > ? OR earlier.lease_until > ?) OFFSET 0)",
                    List.of(source, now, now, Times.utc(now.toInstant().minus(ORDER_HOLD)), now, now),
                    "channel, processed_at, next_attempt_at, id", limit, "lease_until = ?, attempts = attempts + 1",
                    List.of(Times.utc(leaseUntil)), rs -> {
                        OffsetDateTime leased = rs.getObject("lease_until", OffsetDateTime.class);
                        return rs.getObject("processed_at") == null
                                && !rs.getObject("next_attempt_at", OffsetDateTime.class).isAfter(now)
                                && (leased == null || !leased.isAfter(now));
                    }, rs -> new Entry(rs.getLong("id"), rs.getObject("sender_id", UUID.class), rs.getString("body"),
                            rs.getInt("attempts")));
            entries.forEach(entry -> leasing.add(entry.id()));
            // In the order they came: the processor applies the callbacks about one message in their batch's order.
            return entries.stream().sorted(Comparator.comparingLong(Entry::id)).toList();
        }));
    }

    /**
     * Gives back, their attempts not counted, those of {@code ids} not processed whose lease still ends at
     * {@code leaseUntil}, a failed claim's own (none if it did not commit; a lease another claim took since ends otherwise).
     */
    private void releaseIfLeasedUntil(List<Long> ids, Instant leaseUntil) {
        jdbc.sql("UPDATE webhook_inbox SET lease_until = NULL, attempts = attempts - 1 WHERE lease_until = ?"
                        + " AND processed_at IS NULL AND id IN (" + SqlLists.placeholders(ids.size()) + ")")
                .params(SqlLists.valueThen(Times.utc(leaseUntil), ids)).update();
    }

    /** Marks an entry processed; call it inside the transaction that applied the entry. */
    public void markProcessed(long id) {
        markProcessed(List.of(id));
    }

    public void markProcessed(List<Long> ids) {
        jdbc.sql("UPDATE webhook_inbox SET processed_at = ?, lease_until = NULL, last_error = NULL, ordering_key = NULL"
                        + " WHERE id IN (" + SqlLists.placeholders(ids.size()) + ")")
                .params(SqlLists.valueThen(Times.now(clock), ids)).update();
    }

    /**
     * Gives claimed entries back untried, their attempt not counted: they wait behind an earlier one about the same
     * message that failed in the same claim, which the next claim sees.
     */
    public void giveBack(List<Long> ids) {
        jdbc.sql("UPDATE webhook_inbox SET lease_until = NULL, attempts = attempts - 1 WHERE processed_at IS NULL AND id IN ("
                        + SqlLists.placeholders(ids.size()) + ")")
                .params(ids.toArray()).update();
    }

    public void markFailed(long id, String error, Instant retryAt) {
        jdbc.sql("UPDATE webhook_inbox SET lease_until = NULL, next_attempt_at = ?, last_error = ? WHERE id = ?")
                .params(Times.utc(retryAt), Texts.clip(error, 2000), id)
                .update();
    }

    /**
     * Stored callbacks not applied whose last attempt failed, by id, after {@code after} (null: from the first), of one
     * source or of all ({@code source} null); or, {@code discarded}, those given up instead.
     */
    public List<FailingCallback> failing(String source, boolean discarded, Long after, int limit) {
        long from = after == null ? 0L : after;
        return jdbc.sql("SELECT id, channel, sender_id, received_at, attempts, next_attempt_at, last_error, body, discarded_at"
                        + " FROM webhook_inbox WHERE " + (discarded ? "discarded_at IS NOT NULL"
                        : "processed_at IS NULL AND last_error IS NOT NULL") + " AND id > ?"
                        + (source == null ? "" : " AND channel = ?") + " ORDER BY id LIMIT ?")
                .params(source == null ? List.of(from, limit) : List.of(from, source, limit))
                .query((rs, n) -> new FailingCallback(rs.getLong("id"), rs.getString("channel").toLowerCase(Locale.ROOT),
                        rs.getObject("sender_id", UUID.class), Times.instant(rs, "received_at"), rs.getInt("attempts"),
                        discarded ? null : Times.instant(rs, "next_attempt_at"), rs.getString("last_error"), rs.getString("body"),
                        Times.instant(rs, "discarded_at")))
                .list();
    }

    /** How many stored callbacks of a source are not applied and failed at their last attempt. */
    public long failingCount(String source) {
        return jdbc.sql("SELECT COUNT(*) FROM webhook_inbox WHERE channel = ? AND processed_at IS NULL AND last_error IS NOT NULL")
                .param(source).query(Long.class).single();
    }

    /** What became of a request about a failing callback (to discard it, to try it again now). */
    public enum Handled { DONE, NOT_FAILING, BEING_APPLIED }

    /**
     * Gives up a stored callback that failed at its last attempt: it is no longer tried, and holds back no later
     * callback about its message. It stays in the inbox as a processed one would, its error kept (an applied callback
     * keeps none) and the time it was given up, and is deleted with them. Refused while a processor has it in hand.
     */
    public Handled discard(long id) {
        return onFailing(id, false, (failing, now) -> {
            jdbc.sql("UPDATE webhook_inbox SET processed_at = ?, discarded_at = ?, ordering_key = NULL WHERE id = ?")
                    .params(now, now, id).update();
            log.info("{} callback {} was discarded through the API after {} failed attempts (the last: {})",
                    failing.source(), id, failing.attempts(), failing.lastError());
        });
    }

    /**
     * Makes a stored callback that failed at its last attempt due now, instead of at the end of its backoff (up to 5
     * minutes): for when what made it fail was put right. One given up comes back, due now, and is tried as it was
     * before (it holds back no later callback about its message: those were applied meanwhile). Refused while a
     * processor has it in hand.
     */
    public Handled retryNow(long id) {
        return onFailing(id, true, (failing, now) -> {
            jdbc.sql("UPDATE webhook_inbox SET next_attempt_at = ?, processed_at = NULL, discarded_at = NULL WHERE id = ?")
                    .params(now, id).update();
            if (failing.discarded()) {
                log.info("{} callback {}, discarded, was brought back through the API to be tried again", failing.source(), id);
            }
        });
    }

    private record Failing(String source, int attempts, String lastError, OffsetDateTime leaseUntil, boolean discarded) {}

    /**
     * Does {@code action} to a stored callback that failed at its last attempt, or was given up when
     * {@code orDiscarded}, and that no processor has in hand.
     */
    private Handled onFailing(long id, boolean orDiscarded, BiConsumer<Failing, OffsetDateTime> action) {
        return transactions.execute(tx -> {
            OffsetDateTime now = Times.now(clock);
            // Locked, so that no claim takes it meanwhile (a claim skips a locked row).
            Optional<Failing> failing = jdbc.sql("SELECT channel, attempts, last_error, lease_until, discarded_at"
                            + " FROM webhook_inbox WHERE id = ? AND (processed_at IS NULL AND last_error IS NOT NULL"
                            + (orDiscarded ? " OR discarded_at IS NOT NULL" : "") + ") FOR UPDATE")
                    .param(id).query((rs, n) -> new Failing(rs.getString("channel"), rs.getInt("attempts"),
                            rs.getString("last_error"), rs.getObject("lease_until", OffsetDateTime.class),
                            rs.getObject("discarded_at") != null)).optional();
            if (failing.isEmpty()) {
                return Handled.NOT_FAILING;
            }
            if (failing.get().leaseUntil() != null && failing.get().leaseUntil().isAfter(now)) {
                return Handled.BEING_APPLIED;
            }
            action.accept(failing.get(), now);
            return Handled.DONE;
        });
    }

    /**
     * Deletes up to {@code limit} callbacks processed before {@code before}, oldest first; returns how many. Callbacks
     * not processed yet are never deleted.
     */
    public int deleteProcessedBefore(Instant before, int limit) {
        return jdbc.sql("DELETE FROM webhook_inbox WHERE id IN (SELECT id FROM webhook_inbox WHERE processed_at < ?"
                        + " ORDER BY processed_at LIMIT ?)")
                .params(Times.utc(before), limit).update();
    }

    /** How many callbacks from a source wait to be processed (stored but not processed yet). */
    public long pending(String source) {
        return jdbc.sql("SELECT COUNT(*) FROM webhook_inbox WHERE channel = ? AND processed_at IS NULL")
                .param(source).query(Long.class).single();
    }

    public long stored(String source) {
        return jdbc.sql("SELECT COUNT(*) FROM webhook_inbox WHERE channel = ?").param(source).query(Long.class).single();
    }
}
