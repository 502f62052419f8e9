package io.reach.journey;

import io.reach.messaging.MessageStatus;
import io.reach.messaging.Messages;
import io.reach.shared.ApiException;
import io.reach.shared.Dialect;
import io.reach.shared.OldestFirst;
import io.reach.shared.SqlLists;
import io.reach.shared.Times;
import io.swagger.v3.oas.annotations.media.Schema;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * Report rows written by journeys, in the classic columns: Time, Message_From, Message_To, Status, Description; each
 * with the message it is about and that message's status as it is now.
 */
@Repository
public class Reports {

    /**
     * One report row; {@code id} orders rows written at the same time, and is the cursor of the next page.
     * {@code messageId} is the journey's last message when the row was added (none before its first send), and
     * {@code messageStatus} that message's status when the row is read: it follows later statuses, while
     * {@code status} keeps what the flow wrote.
     */
    @Schema(name = "ReportRow")
    public record Row(long id, Instant time, String messageFrom, String messageTo, String status, String description,
                      UUID journeyId, String step, UUID messageId, MessageStatus messageStatus) {}

    private final JdbcClient jdbc;
    private final Dialect dialect;
    private final Messages messages;
    private final Clock clock;

    Reports(JdbcClient jdbc, Dialect dialect, Messages messages, Clock clock) {
        this.jdbc = jdbc;
        this.dialect = dialect;
        this.messages = messages;
        this.clock = clock;
    }

    /** Adds a row once per journey step visit: a step executed again after a crash adds nothing. */
    void add(UUID versionId, UUID journeyId, String step, int seq, UUID contactId, String from, String to, String status,
             String description, UUID messageId) {
        dialect.insertUnlessDuplicate(jdbc, "INSERT INTO report_rows (flow_version_id, journey_id, step_id, seq, contact_id,"
                        + " occurred_at, message_from, message_to, status, description, message_id)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                "journey_id, seq", versionId, journeyId, step, seq, contactId, Times.now(clock), from, to, status, description,
                messageId);
    }

    /**
     * A page of the rows of these versions, oldest first, those after the row {@code after} (null: from the first),
     * read as {@link OldestFirst} says.
     */
    public List<Row> ofVersions(List<UUID> versionIds, Long after, int limit, int offset) {
        if (versionIds.isEmpty()) {
            return List.of();
        }
        Instant afterTime = null;
        if (after != null) {
            afterTime = jdbc.sql("SELECT occurred_at FROM report_rows WHERE id = ? AND flow_version_id IN ("
                            + SqlLists.placeholders(versionIds.size()) + ")")
                    .params(SqlLists.valueThen(after, versionIds))
                    .query((rs, n) -> Times.instant(rs, "occurred_at")).optional()
                    .orElseThrow(() -> ApiException.invalidField("after", "no report row " + after + " in this flow"));
        }
        OldestFirst page = OldestFirst.ofVersions("SELECT " + COLUMNS + " FROM report_rows",
                "occurred_at", versionIds, "", List.of(), after == null ? null : new OldestFirst.After(afterTime, after),
                limit, offset);
        return withMessageStatuses(jdbc.sql(page.sql()).params(page.params()).query(Reports::row).list());
    }

    /** The rows a journey added, in the order it added them (by its index: journey and visit). */
    List<Row> ofJourney(UUID journeyId) {
        return withMessageStatuses(jdbc.sql("SELECT " + COLUMNS + " FROM report_rows WHERE journey_id = ? ORDER BY seq")
                .param(journeyId).query(Reports::row).list());
    }

    private static final String COLUMNS = "id, occurred_at, message_from, message_to, status, description, journey_id,"
            + " step_id, message_id";

    /** A row as read, without its message's status. */
    private static Row row(ResultSet rs, int rowNum) throws SQLException {
        return new Row(rs.getLong("id"), Times.instant(rs, "occurred_at"), rs.getString("message_from"),
                rs.getString("message_to"), rs.getString("status"), rs.getString("description"),
                rs.getObject("journey_id", UUID.class), rs.getString("step_id"), rs.getObject("message_id", UUID.class), null);
    }

    /** The rows with their messages' statuses as they are now, read in one look-up for the page. */
    private List<Row> withMessageStatuses(List<Row> rows) {
        Set<UUID> ids = new HashSet<>();
        rows.forEach(row -> {
            if (row.messageId() != null) {
                ids.add(row.messageId());
            }
        });
        if (ids.isEmpty()) {
            return rows;
        }
        Map<UUID, MessageStatus> statuses = messages.statusesOf(ids);
        return rows.stream().map(row -> row.messageId() == null ? row : new Row(row.id(), row.time(), row.messageFrom(),
                row.messageTo(), row.status(), row.description(), row.journeyId(), row.step(), row.messageId(),
                statuses.get(row.messageId()))).toList();
    }
}
