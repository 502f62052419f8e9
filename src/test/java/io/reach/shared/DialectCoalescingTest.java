package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Consecutive single-row inserts into the same columns go to the database as one multi-row insert. */
class DialectCoalescingTest {

    private static final String INSERT_STEP = "INSERT INTO journey_steps (journey_id, seq, step_id) VALUES (?, ?, ?)";

    @Test
    void consecutiveSingleRowInsertsOfTheSameColumnsBecomeOneMultiRowInsertWithTheirParametersInOrder() {
        List<Dialect.Coalesced> run = Dialect.Coalesced.of(List.of(
                statement(INSERT_STEP, "j", 1, "send"),
                statement(INSERT_STEP, "j", 2, "branch"),
                statement(INSERT_STEP, "j", 3, null)));

        assertThat(run).hasSize(1);
        assertThat(run.getFirst().rows()).isEqualTo(3);
        assertThat(run.getFirst().statement().sql()).isEqualTo(INSERT_STEP + ", (?, ?, ?), (?, ?, ?)");
        assertThat(run.getFirst().statement().params()).containsExactly("j", 1, "send", "j", 2, "branch", "j", 3, null);
    }

    @Test
    void statementsInBetweenOtherColumnsAndInsertsThatAreMoreThanOneRowStayAsTheyAre() {
        String update = "UPDATE journeys SET visits = ? WHERE id = ?";
        String otherColumns = "INSERT INTO journey_steps (journey_id, seq) VALUES (?, ?)";
        String unlessDuplicate = INSERT_STEP + " ON CONFLICT (journey_id, seq) DO NOTHING";
        String fromSelect = "INSERT INTO journey_steps (journey_id, seq, step_id) SELECT ?, ?, ? WHERE EXISTS (SELECT 1)";
        List<Dialect.SqlStatement> statements = List.of(
                statement(INSERT_STEP, "j", 1, "a"),
                statement(update, 2, "j"),
                statement(INSERT_STEP, "j", 2, "b"),
                statement(otherColumns, "j", 3),
                statement(unlessDuplicate, "j", 4, "c"),
                statement(unlessDuplicate, "j", 5, "d"),
                statement(fromSelect, "j", 6, "e"),
                statement(fromSelect, "j", 7, "f"));

        List<Dialect.Coalesced> run = Dialect.Coalesced.of(statements);

        assertThat(run).extracting(Dialect.Coalesced::statement).containsExactlyElementsOf(statements);
        assertThat(run).allMatch(coalesced -> coalesced.rows() == 1);
    }

    @Test
    void eachInsertStandsForItsRowsInTheCountsAndTheOthersKeepTheirOwn() {
        List<Dialect.Coalesced> run = Dialect.Coalesced.of(List.of(
                statement("UPDATE journeys SET visits = 1 WHERE id = ?", "j"),
                statement(INSERT_STEP, "j", 1, "a"),
                statement(INSERT_STEP, "j", 2, "b"),
                statement("SELECT 1 FROM journeys WHERE id = ?", "j"),
                statement("DELETE FROM journey_steps WHERE journey_id = ?", "k")));

        assertThat(run).extracting(Dialect.Coalesced::rows).containsExactly(1, 2, 1, 1);
        assertThat(Dialect.Coalesced.expand(run, new int[] {1, 2, -1, 0})).containsExactly(1, 1, 1, -1, 0);
    }

    @Test
    void aMultiRowInsertStaysUnderTheParametersAStatementMayHave() {
        List<Dialect.SqlStatement> rows = new ArrayList<>();
        for (int i = 0; i < 25_000; i++) {
            rows.add(statement(INSERT_STEP, "j", i, "s"));
        }

        List<Dialect.Coalesced> run = Dialect.Coalesced.of(rows);

        assertThat(run).extracting(Dialect.Coalesced::rows).containsExactly(10_000, 10_000, 5_000);
        assertThat(run).allMatch(coalesced -> coalesced.statement().params().size() <= 30_000);
        assertThat(run.get(2).statement().params().subList(0, 3)).containsExactly("j", 20_000, "s");
    }

    private static Dialect.SqlStatement statement(String sql, Object... params) {
        return new Dialect.SqlStatement(sql, Arrays.asList(params));
    }
}
