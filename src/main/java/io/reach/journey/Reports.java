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

    /** One report row. */
    public record Row(Instant time, String messageFrom, String messageTo, String status, String description,
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

    public List<Row> ofVersions(List<UUID> versionIds, int limit, int offset) {
        if (versionIds.isEmpty()) {
            return List.of();
        }
        String in = io.reach.shared.SqlLists.placeholders(versionIds.size());
        java.util.List<Object> params = new java.util.ArrayList<>(versionIds);
        params.add(limit);
        params.add(offset);
        return jdbc.sql("SELECT occurred_at, message_from, message_to, status, description, journey_id, step_id FROM report_rows"
                        + " WHERE flow_version_id IN (" + in + ") ORDER BY occurred_at, id LIMIT ? OFFSET ?")
                .params(params)
                .query((rs, n) -> new Row(Times.instant(rs, "occurred_at"), rs.getString("message_from"),
                        rs.getString("message_to"), rs.getString("status"), rs.getString("description"),
                        rs.getObject("journey_id", UUID.class), rs.getString("step_id")))
                .list();
    }
}
