package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.support.ReachIntegrationTest;
import io.reach.support.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The claims of the dispatchers and of the callback processors read only the rows they take,
 * however many wait behind them and whatever plan PostgreSQL made for want of statistics: the backlog is written and
 * claimed in one transaction that is rolled back (no other claim sees it), and the claim planned then, with generic
 * plans forced, as PostgreSQL settles on them after a few runs and keeps them on each connection; this machine's
 * PostgreSQL, without autovacuum, never analyzes the test tables.
 */
class ClaimsWithABacklogIT extends ReachIntegrationTest {

    private static final int BACKLOG = 30_000;
    private static final int LIMIT = 20;
    // A template request's or a webhook's size: how many rows a page holds sways the plan made without statistics.
    private static final String BODY = "RPAD('{}', 400)";

    @Autowired
    Messages messages;

    @Autowired
    WebhookInbox inbox;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    TransactionTemplate transactions;

    @Autowired
    MessagingMetrics metrics;

    @BeforeEach
    void onPostgreSqlOnly() {
        Assumptions.assumeTrue(TestDatabase.postgres(), "PostgreSQL only");
    }

    @Test
    void aDispatchersClaimReadsOnlyTheMessagesItTakesFromABroadcastsBacklog() {
        // A broadcast's messages, all queued and due: at this size PostgreSQL plans the claim, for want of statistics,
        // as a bitmap scan of them all and a sort rather than the messages_due_by_channel index read in order.
        long rowsRead = rowsReadBehind("messages", () -> queued(sender("WHATSAPP"), "WHATSAPP", BACKLOG, "1 minute"),
                () -> assertThat(messages.claimDue(Channel.WHATSAPP, LIMIT, Duration.ofMinutes(1), 8)).hasSize(LIMIT));

        assertThat(rowsRead).as("messages the claim read, by a scan of the table or through an index").isLessThan(5 * LIMIT);
    }

    @Test
    void anSmsClaimReadsOnlyTheMessagesItTakesBehindAWhatsAppBroadcastsBacklog() {
        long rowsRead = rowsReadBehind("messages", () -> {
            // A broadcast's messages wait their sender's turns, due since before the fallback SMS were queued.
            queued(sender("WHATSAPP"), "WHATSAPP", BACKLOG, "2 minutes");
            queued(sender("SMS"), "SMS", LIMIT, "1 minute");
        }, () -> assertThat(messages.claimDue(Channel.SMS, LIMIT, Duration.ofMinutes(1), 8)).hasSize(LIMIT));

        assertThat(rowsRead).as("messages the SMS claim read, by a scan of the table or through an index").isLessThan(5 * LIMIT);
    }

    @Test
    void aClaimOfStoredCallbacksReadsOnlyThoseItTakesWhateverIsKeptProcessedOrWaitsForAnotherSource() {
        long rowsRead = rowsReadBehind("webhook_inbox", () -> {
            // Callbacks applied and kept (30 days by default), another source's backlog, and this source's own.
            storedCallbacks("BACKLOG_A", BACKLOG, true);
            storedCallbacks("BACKLOG_B", BACKLOG / 3, false);
            storedCallbacks("BACKLOG_A", BACKLOG / 3, false);
        }, () -> assertThat(inbox.claim("BACKLOG_A", LIMIT, Duration.ofMinutes(1))).hasSize(LIMIT)
                .isSortedAccordingTo(Comparator.comparingLong(WebhookInbox.Entry::id)));

        assertThat(rowsRead).as("callbacks the claim read, by a scan of the table or through an index").isLessThan(5 * LIMIT);
    }

    @Test
    void theBacklogsMetricsReadOneEntryOfEachBacklogWhateverElseWaits() {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        List<Optional<Instant>> oldest = transactions.execute(tx -> {
            tx.setRollbackOnly();
            // A broadcast's messages due since yesterday, callbacks applied and kept, and callbacks stored for later.
            queued(sender("WHATSAPP"), "WHATSAPP", BACKLOG, "1 day");
            storedCallbacks("TWILIO", BACKLOG, true);
            storedCallbacks("WHATSAPP", BACKLOG / 3, false);
            forceGenericPlans();
            long messagesBefore = rowsRead("messages");
            long callbacksBefore = rowsRead("webhook_inbox");
            // The metrics' reads, in this transaction, which alone sees its rows (a scrape makes them apart).
            List<Optional<Instant>> read = List.of(metrics.oldestDueMessage(Channel.WHATSAPP, now),
                    metrics.oldestDueMessage(Channel.SMS, now), metrics.oldestDueMessage(Channel.VOICE, now),
                    metrics.oldestDueCallback("WHATSAPP", now), metrics.oldestDueCallback("TWILIO", now),
                    metrics.oldestDueCallback("SMPP", now));
            assertThat(rowsRead("messages") - messagesBefore).as("messages the three channels' lags read").isLessThan(10);
            assertThat(rowsRead("webhook_inbox") - callbacksBefore).as("callbacks the three sources' lags read")
                    .isLessThan(10);
            return read;
        });

        assertThat(oldest.get(0)).as("the broadcast's oldest message, a day before").hasValueSatisfying(due ->
                assertThat(Duration.between(due, now.toInstant())).isBetween(Duration.ofHours(23),
                        Duration.ofHours(25)));
        assertThat(oldest.get(3)).as("the oldest callback stored for later, a minute before").hasValueSatisfying(due ->
                assertThat(Duration.between(due, now.toInstant())).isBetween(Duration.ofSeconds(30),
                        Duration.ofMinutes(10)));
    }

    /**
     * Rows of {@code table} that {@code claim} read behind the {@code backlog} it writes first, in one transaction
     * that is rolled back, with generic plans forced (see the class).
     */
    private long rowsReadBehind(String table, Runnable backlog, Runnable claim) {
        return transactions.execute(tx -> {
            tx.setRollbackOnly();
            backlog.run();
            forceGenericPlans();
            long before = rowsRead(table);
            claim.run();
            return rowsRead(table) - before;
        });
    }

    /** A sender of a channel that only this (rolled back) transaction sees. */
    private UUID sender(String channel) {
        UUID id = UUID.randomUUID();
        jdbc.sql("INSERT INTO senders (id, name, channel, throughput_per_second, created_at, updated_at)"
                        + " VALUES (?, ?, ?, 80, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
                .params(id, "backlog-" + id, channel).update();
        return id;
    }

    /** {@code count} queued messages of a sender, due since {@code dueFor} (an SQL interval) ago. */
    private void queued(UUID sender, String channel, int count, String dueFor) {
        jdbc.sql("INSERT INTO messages (id, channel, sender_id, recipient, request_body, status, next_attempt_at, created_at,"
                        + " updated_at) SELECT gen_random_uuid(), ?, ?, '+3161234' || LPAD(n::text, 5, '0'), " + BODY + ","
                        + " 'QUEUED', CURRENT_TIMESTAMP - INTERVAL '" + dueFor + "', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP"
                        + " FROM generate_series(1, ?) n")
                .params(channel, sender, count).update();
    }

    private void storedCallbacks(String source, int count, boolean processed) {
        // Those waiting are each about a message of their own (their ordering key), as callbacks stored for later are.
        jdbc.sql("INSERT INTO webhook_inbox (channel, received_at, body, next_attempt_at, processed_at, ordering_key) SELECT ?,"
                        + " CURRENT_TIMESTAMP, " + BODY + ", CURRENT_TIMESTAMP - INTERVAL '1 minute', "
                        + (processed ? "CURRENT_TIMESTAMP, NULL" : "NULL, 'wamid.' || ? || g") + " FROM generate_series(1, ?) g")
                .params(processed ? List.of(source, count) : List.of(source, source, count)).update();
    }

    /**
     * For the rest of the transaction, each statement planned anew for the tables as they are now, and once for any
     * parameters, as a kept plan is (the connection's plans from before, made for nearly empty tables, are dropped).
     */
    private void forceGenericPlans() {
        jdbc.sql("DISCARD PLANS").update();
        jdbc.sql("SET LOCAL plan_cache_mode = force_generic_plan").update();
    }

    /** Rows of a table read in this transaction so far, by sequential scans and through indexes. */
    private long rowsRead(String table) {
        return jdbc.sql("SELECT seq_tup_read + COALESCE(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables"
                        + " WHERE relname = ? AND schemaname = current_schema()")
                .param(table).query(Long.class).single();
    }
}
