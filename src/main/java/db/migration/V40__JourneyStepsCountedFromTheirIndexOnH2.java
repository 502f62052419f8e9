package db.migration;

import io.reach.shared.Dialect;
import java.sql.Statement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * On H2, a version's counts read journey_steps' index alone: its branch joins the index they group by. PostgreSQL keeps
 * its index as it was.
 *
 * <p>The counts (JourneyStore.counts) group a version's step rows by step and branch. H2 found them through
 * journey_steps_by_version (flow_version_id, step_id) and then fetched each row from the table for its branch, in the
 * order of the rows' keys, a journey's random id: 40 s for the six million rows of a million journeys
 * (docs/PERFORMANCE.md). With branch in the index it reads the index alone: 3–5 s. PostgreSQL counts them by reading
 * the table, about a second, and cannot take branch into a B-tree: a branch is a quick-reply payload of up to 1,000
 * characters, up to 4,000 bytes, and an entry of PostgreSQL's B-tree holds at most 2,704; such a journey's step would
 * fail (StepTypesIT). Java, not SQL, for a migration that one of the two databases skips. H2 builds the index as Reach
 * starts, once: 26 s for six million rows.
 */
public class V40__JourneyStepsCountedFromTheirIndexOnH2 extends BaseJavaMigration {

    @Override
    public void migrate(Context context) throws Exception {
        if (Dialect.of(context.getConnection()) != Dialect.H2) {
            return;
        }
        try (Statement statement = context.getConnection().createStatement()) {
            statement.execute("CREATE INDEX journey_steps_by_version_step_branch"
                    + " ON journey_steps (flow_version_id, step_id, branch)");
            statement.execute("DROP INDEX journey_steps_by_version");
        }
    }
}
