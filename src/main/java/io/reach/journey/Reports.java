package io.reach.journey;

import io.reach.shared.Dialect;
import io.reach.shared.Times;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Report rows written by journeys, in the classic columns: Time, Message_From, Message_To, Status, Description. */
@Repository
public class Reports {

    /** One report row; {@code id} orders rows written at the same time, and is the cursor of the next page. */
    public record Row(long id, Instant time, String messageFrom, String messageTo, String status, String description,
                      UUID journeyId, String step) {}

    private final JdbcClient jdbc;
    private final Dialect dialect;
    private final Clock clock;

    Reports(JdbcClient jdbc, Dialect dialect, Clock clock) {
        this.jdbc = jdbc;
        this.dialect = dialect;
        this.clock = clock;
    }

    /** Adds a row once per journey step visit: a step executed again after a crash adds nothing. */
    void add(UUID versionId, UUID journeyId, String step, int seq, UUID contactId, String from, String to, String status,
             String description) {
        dialect.insertUnlessDuplicate(jdbc, "INSERT INTO report_rows (flow_version_id, journey_id, step_id, seq, contact_id,"
                        + " occurred_at, message_from, message_to, status, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                "journey_id, seq", versionId, journeyId, step, seq, contactId, Times.now(clock), from, to, status, description);
    }

    /**
     * A page of the rows of these versions, oldest first, those after the row {@code after} (null: from the first),
     * read as {@link io.reach.shared.OldestFirst} says.
     */
    public List<Row> ofVersions(List<UUID> versionIds, Long after, int limit, int offset) {
        if (versionIds.isEmpty()) {
            return List.of();
        }
        Instant afterTime = null;
        if (after != null) {
            afterTime = jdbc.sql("SELECT occurred_at FROM report_rows WHERE id = ? AND flow_version_id IN ("
                            + io.reach.shared.SqlLists.placeholders(versionIds.size()) + ")")
                    .params(io.reach.shared.SqlLists.valueThen(after, versionIds))
                    .query((rs, n) -> Times.instant(rs, "occurred_at")).optional()
                    .orElseThrow(() -> io.reach.shared.ApiException.invalidField("after", "no report row " + after + " in this flow"));
        }
        io.reach.shared.OldestFirst page = io.reach.shared.OldestFirst.ofVersions("SELECT id, occurred_at, message_from,"
                        + " message_to, status, description, journey_id, step_id FROM report_rows", "occurred_at", versionIds, "",
                List.of(), after == null ? null : new io.reach.shared.OldestFirst.After(afterTime, after), limit, offset);
        return jdbc.sql(page.sql())
                .params(page.params())
                .query((rs, n) -> new Row(rs.getLong("id"), Times.instant(rs, "occurred_at"), rs.getString("message_from"),
                        rs.getString("message_to"), rs.getString("status"), rs.getString("description"),
                        rs.getObject("journey_id", UUID.class), rs.getString("step_id")))
                .list();
    }
}
