package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reach.support.ReachIntegrationTest;
import java.util.Arrays;
import java.util.List;
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
        List<Dialect.SqlStatement> statements = new java.util.ArrayList<>();
        for (int i = 0; i < 250; i++) {
            statements.add(insert(first + i, "row " + i));
        }
        statements.add(new Dialect.SqlStatement("UPDATE webhook_inbox SET attempts = 7 WHERE id BETWEEN ? AND ?",
                List.of(first, first + 249)));

        int[] counts = transactions.execute(tx -> dialect.runTogether(jdbc, statements));

        assertThat(counts).hasSize(251);
        assertThat(java.util.Arrays.stream(counts, 0, 250)).allMatch(count -> count == 1);
        assertThat(counts[250]).as("the last statement saw every row the ones before it inserted").isEqualTo(250);
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
        return 1_000_000_000L + java.util.concurrent.ThreadLocalRandom.current().nextLong(1_000_000_000L);
    }
}
