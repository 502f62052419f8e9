package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reach.support.OpenTransactions;
import io.reach.support.ReachIntegrationTest;
import io.reach.support.TestDatabase;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

/** What differs between the databases, run on each: statements run together as if run one by one. */
class DialectIT extends ReachIntegrationTest {

    // A channel no processor reads, so the rows written here are left alone.
    private static final String CHANNEL = "DIALECT_IT";

    @Autowired
    Dialect dialect;

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    TransactionTemplate transactions;

    @Autowired
    Flyway flyway;

    @Test
    void migrationsBuildIndexesOnPostgreSqlConcurrentlyAndTheyComeOutValid() {
        assertThat(flyway.getConfiguration().getPlaceholders().get("concurrently"))
                .isEqualTo(TestDatabase.postgres() ? "CONCURRENTLY" : "");
        if (TestDatabase.postgres()) {
            // An index CREATE INDEX CONCURRENTLY could not finish stays behind, marked invalid.
            assertThat(jdbc.queryForList("SELECT c.relname || ' ' || i.indisvalid FROM pg_index i"
                    + " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                    + " WHERE n.nspname = current_schema() AND c.relname IN ('messages_by_creation', 'messages_by_campaign',"
                    + " 'inbound_messages_by_receipt', 'inbound_messages_by_contact_time', 'inbound_messages_by_contact',"
                    + " 'webhook_inbox_due', 'webhook_inbox_waiting_by_key') ORDER BY c.relname", String.class))
                    .containsExactly("inbound_messages_by_contact_time true", "inbound_messages_by_receipt true",
                            "messages_by_campaign true", "messages_by_creation true", "webhook_inbox_due true",
                            "webhook_inbox_waiting_by_key true");
            // Partial: only the callbacks that wait behind others are in it (V33).
            assertThat(jdbc.queryForObject("SELECT pg_get_indexdef('webhook_inbox_waiting_by_key'::regclass)", String.class))
                    .endsWith("WHERE (ordering_key IS NOT NULL)");
        }
    }

    @Test
    void statementsRunTogetherInOrderEachSeeingWhatTheOnesBeforeItWrote() {
        long id = freshId();

        int[] counts = transactions.execute(tx -> dialect.runTogether(jdbc, List.of(
                insert(id, "first"),
                new Dialect.SqlStatement("UPDATE webhook_inbox SET body = body || ? WHERE id = ?", List.of(", then second", id)),
                new Dialect.SqlStatement("SELECT body FROM webhook_inbox WHERE id = ?", List.of(id)),
                new Dialect.SqlStatement("UPDATE webhook_inbox SET last_error = ?, attempts = ? WHERE id = ?", Arrays.asList(null, 3, id)),
                new Dialect.SqlStatement("DELETE FROM webhook_inbox WHERE id = ?", List.of(id + 1)))));

        assertThat(counts).containsExactly(1, 1, -1, 1, 0);
        assertThat(jdbc.queryForObject("SELECT body || ' (' || attempts || ')' FROM webhook_inbox WHERE id = ?", String.class, id))
                .isEqualTo("first, then second (3)");
    }

    @Test
    void aStatementThatFailsFailsTheCallAsItWouldAloneAndItsTransactionWritesNothing() {
        long id = freshId();
        transactions.executeWithoutResult(tx -> dialect.runTogether(jdbc, List.of(insert(id, "kept"))));

        assertThatThrownBy(() -> transactions.executeWithoutResult(tx -> dialect.runTogether(jdbc, List.of(
                new Dialect.SqlStatement("UPDATE webhook_inbox SET body = ? WHERE id = ?", List.of("changed", id)),
                insert(id, "a duplicate key"),
                new Dialect.SqlStatement("UPDATE webhook_inbox SET attempts = 9 WHERE id = ?", List.of(id))))))
                .isInstanceOf(DuplicateKeyException.class);

        assertThat(jdbc.queryForObject("SELECT body || ' (' || attempts || ')' FROM webhook_inbox WHERE id = ?", String.class, id))
                .isEqualTo("kept (0)");
    }

    @Test
    void hundredsOfStatementsRunTogetherAllInOrder() {
        long first = freshId();
        List<Dialect.SqlStatement> statements = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            statements.add(insert(first + i, "row " + i));
        }
        statements.add(new Dialect.SqlStatement("UPDATE webhook_inbox SET attempts = 7 WHERE id BETWEEN ? AND ?",
                List.of(first, first + 249)));

        int[] counts = transactions.execute(tx -> dialect.runTogether(jdbc, statements));

        assertThat(counts).hasSize(251);
        assertThat(Arrays.stream(counts, 0, 250)).allMatch(count -> count == 1);
        assertThat(counts[250]).as("the last statement saw every row the ones before it inserted").isEqualTo(250);
    }

    @Test
    void aClaimThatSetsTakesUpToItsLimitOfTheDueRowsNoOneHoldsAndGivesThemAsItsChangeLeftThem() throws Exception {
        long first = freshId();
        String channel = "CLAIM_" + first; // rows of this test only
        for (int i = 0; i < 5; i++) {
            long id = first + i;
            transactions.executeWithoutResult(tx -> jdbc.update("INSERT INTO webhook_inbox (id, channel, received_at, body,"
                    + " next_attempt_at, attempts) VALUES (?, ?, CURRENT_TIMESTAMP, ?, CURRENT_TIMESTAMP, 0)", id, channel, "row " + id));
        }
        // Not due: already processed.
        jdbc.update("UPDATE webhook_inbox SET processed_at = CURRENT_TIMESTAMP WHERE id = ?", first + 4);

        OpenTransactions.Seen<List<Long>, List<String>> seen = OpenTransactions.whileOpen(
                transactions,
                // Another transaction holds the first row: the claim skips it.
                () -> jdbc.queryForList("SELECT id FROM webhook_inbox WHERE id = ? FOR UPDATE", Long.class, first),
                () -> transactions.execute(tx -> dialect.claimAndSet(jdbc, "webhook_inbox", "id, body, attempts, processed_at",
                        "channel = ? AND processed_at IS NULL", List.of(channel), "id", 2,
                        "attempts = attempts + 1, last_error = ?", List.of("claimed"),
                        rs -> rs.getObject("processed_at") == null,
                        rs -> rs.getString("body") + " (" + rs.getInt("attempts") + ")")));

        assertThat(seen.inside()).containsExactly(first);
        // PostgreSQL takes the next free due row instead of the held one; H2 locks the candidates it read, and drops
        // the held one (see Dialect.claim).
        List<String> expected = dialect == Dialect.POSTGRESQL
                ? List.of("row " + (first + 1) + " (1)", "row " + (first + 2) + " (1)") : List.of("row " + (first + 1) + " (1)");
        assertThat(seen.meanwhile()).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(jdbc.queryForList("SELECT 'row ' || id || ' (' || attempts || ')' FROM webhook_inbox WHERE channel = ?"
                + " AND last_error = 'claimed'", String.class, channel)).containsExactlyInAnyOrderElementsOf(expected);
    }

    /**
     * PostgreSQL keeps a plan for a statement the driver prepared, made for the table as it was then: a claim first
     * run on a nearly empty table must not keep a plan that reads the whole table once it has grown (the messages'
     * claims did until 2026-11-22, reading every message at each claim). Generic plans are forced,
     * as PostgreSQL settles on them after a few runs, and the rows are rolled back.
     */
    @Test
    void aClaimThatSetsReadsOnlyTheRowsItClaimsEvenWithAPlanMadeWhenTheTableWasSmall() {
        Assumptions.assumeTrue(TestDatabase.postgres(), "PostgreSQL only");
        String channel = "PLAN_" + freshId();
        Supplier<List<Long>> claim = () -> dialect.claimAndSet(jdbc, "webhook_inbox", "id",
                "channel = ? AND processed_at IS NULL AND next_attempt_at <= CURRENT_TIMESTAMP", List.of(channel),
                "processed_at, next_attempt_at", 5, "attempts = attempts + 1", List.of(), rs -> true, rs -> rs.getLong("id"));

        long[] rowsRead = transactions.execute(tx -> {
            tx.setRollbackOnly();
            jdbc.execute("SET LOCAL plan_cache_mode = force_generic_plan");
            // Past the driver's prepareThreshold (5): the statement is prepared on the server, and its plan kept.
            for (int i = 0; i < 8; i++) {
                assertThat(claim.get()).isEmpty();
            }
            jdbc.update("INSERT INTO webhook_inbox (channel, received_at, body, next_attempt_at, processed_at)"
                    + " SELECT ?, CURRENT_TIMESTAMP, 'processed', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM generate_series(1, 20000)", channel);
            jdbc.update("INSERT INTO webhook_inbox (channel, received_at, body, next_attempt_at)"
                    + " SELECT ?, CURRENT_TIMESTAMP, 'due', CURRENT_TIMESTAMP - INTERVAL '1 minute' FROM generate_series(1, 3)", channel);
            long before = sequentiallyRead();
            assertThat(claim.get()).hasSize(3);
            return new long[] {sequentiallyRead() - before};
        });

        assertThat(rowsRead[0]).as("rows of webhook_inbox the claim read by scanning the table").isLessThan(100);
    }

    /**
     * A claim on PostgreSQL is planned with bitmap scans and sorts off (so that it reads its index in order, see the
     * claim tests of JourneyClaimsIT and ClaimsWithABacklogIT), and for that statement alone: the rest of its
     * transaction (a launch's page of contacts, say) is planned as any other statement.
     */
    @Test
    void aClaimsPlanSettingsEndWithTheClaim() {
        Assumptions.assumeTrue(TestDatabase.postgres(), "PostgreSQL only");
        String settings = "SELECT current_setting('enable_bitmapscan') || ' ' || current_setting('enable_sort')";

        List<String> seen = transactions.execute(tx -> {
            List<String> each = new ArrayList<>();
            // Past the driver's prepareThreshold (5): the statements are then prepared on the server, the RESETs too.
            for (int i = 0; i < 8; i++) {
                dialect.claim(jdbc, "webhook_inbox", "id", "channel = ? AND processed_at IS NULL", List.of(CHANNEL),
                        "processed_at, next_attempt_at", 1, rs -> rs.getLong("id"));
                each.add(jdbc.queryForObject(settings, String.class));
                dialect.claimAndSet(jdbc, "webhook_inbox", "id", "channel = ? AND processed_at IS NULL", List.of(CHANNEL),
                        "processed_at, next_attempt_at", 1, "attempts = attempts", List.of(), rs -> true, rs -> rs.getLong("id"));
                each.add(jdbc.queryForObject(settings, String.class));
            }
            return each;
        });

        assertThat(seen).hasSize(16).containsOnly("on on");
    }

    /** Rows of webhook_inbox read by sequential scans in this transaction so far. */
    private long sequentiallyRead() {
        return jdbc.queryForObject("SELECT seq_tup_read FROM pg_stat_xact_user_tables WHERE relname = 'webhook_inbox'"
                + " AND schemaname = current_schema()", Long.class);
    }

    @Test
    void insertsSentAsOneKeepEachRowsValuesNullsIncludedAndADuplicateAmongThemFailsThemAll() {
        long first = freshId();
        String insert = "INSERT INTO webhook_inbox (id, channel, received_at, body, next_attempt_at, last_error, attempts)"
                + " VALUES (?, ?, CURRENT_TIMESTAMP, ?, CURRENT_TIMESTAMP, ?, ?)";

        int[] counts = transactions.execute(tx -> dialect.runTogether(jdbc, List.of(
                new Dialect.SqlStatement(insert, Arrays.asList(first, CHANNEL, "a", null, 1)),
                new Dialect.SqlStatement(insert, Arrays.asList(first + 1, CHANNEL, "b", "an error", 2)),
                new Dialect.SqlStatement(insert, Arrays.asList(first + 2, CHANNEL, "c", null, 3)))));

        assertThat(counts).containsExactly(1, 1, 1);
        assertThat(jdbc.queryForList("SELECT body || ' ' || COALESCE(last_error, '-') || ' ' || attempts FROM webhook_inbox"
                + " WHERE id BETWEEN ? AND ? ORDER BY id", String.class, first, first + 2))
                .containsExactly("a - 1", "b an error 2", "c - 3");

        assertThatThrownBy(() -> transactions.executeWithoutResult(tx -> dialect.runTogether(jdbc, List.of(
                new Dialect.SqlStatement(insert, Arrays.asList(first + 3, CHANNEL, "d", null, 4)),
                new Dialect.SqlStatement(insert, Arrays.asList(first + 1, CHANNEL, "a duplicate key", null, 5))))))
                .isInstanceOf(DuplicateKeyException.class);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM webhook_inbox WHERE id = ?", Long.class, first + 3)).isZero();
    }

    @Test
    void noStatementsIsNothingToRun() {
        assertThat(dialect.runTogether(jdbc, List.of())).isEmpty();
    }

    private Dialect.SqlStatement insert(long id, String body) {
        return new Dialect.SqlStatement("INSERT INTO webhook_inbox (id, channel, received_at, body, next_attempt_at)"
                + " VALUES (?, ?, CURRENT_TIMESTAMP, ?, CURRENT_TIMESTAMP)", List.of(id, CHANNEL, body));
    }

    private long freshId() {
        // Far above what the identity hands out in a test run.
        return 1_000_000_000L + ThreadLocalRandom.current().nextLong(1_000_000_000L);
    }
}
