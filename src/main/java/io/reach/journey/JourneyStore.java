package io.reach.journey;

import io.reach.shared.Dialect;
import io.reach.shared.SqlLists;
import io.reach.shared.Times;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** Rows of journeys and of the steps they took. Every change checks the journey's visit count, its version. */
@Repository
class JourneyStore {

    private static final TypeReference<LinkedHashMap<String, String>> VARIABLES = new TypeReference<>() {};
    private static final String COLUMNS = "id, flow_version_id, contact_id, state, current_step, visits, variables, wake_at,"
            + " waiting_kind, waiting_message_id, waiting_for, decision, decision_detail, error, started_at, updated_at, ended_at";

    /** A journey row with what only the engine needs (what it waits for, the decision's detail). */
    record Row(Journey journey, String waitingFor, String decisionDetail) {}

    private final JdbcClient jdbc;
    private final org.springframework.jdbc.core.JdbcTemplate batches;
    private final Dialect dialect;
    private final JsonMapper json;
    private final Clock clock;
    private final String node;

    JourneyStore(JdbcClient jdbc, org.springframework.jdbc.core.JdbcTemplate batches, Dialect dialect, JsonMapper json, Clock clock,
                 @org.springframework.beans.factory.annotation.Value("${reach.node-id:}") String node) {
        this.jdbc = jdbc;
        this.batches = batches;
        this.dialect = dialect;
        this.json = json;
        this.clock = clock;
        // Which Reach process entered each step: several nodes share the work, and this says who did what.
        this.node = node == null || node.isBlank() ? java.lang.management.ManagementFactory.getRuntimeMXBean().getName() : node;
    }

    /** Creates a journey at its start step, unless one with the same entry key exists. */
    Optional<UUID> insert(UUID versionId, UUID contactId, String entryKey, String startStep, Map<String, String> variables) {
        UUID id = io.reach.shared.Ids.newId();
        OffsetDateTime now = Times.now(clock);
        String sql = "INSERT INTO journeys (id, flow_version_id, contact_id, entry_key, state, current_step, visits, variables,"
                + " wake_at, started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)";
        Object[] params = {id, versionId, contactId, entryKey, Journey.RUNNING, startStep, json.writeValueAsString(variables),
                now, now, now};
        boolean created = entryKey == null ? jdbc.sql(sql).params(params).update() > 0
                : dialect.insertUnlessDuplicate(jdbc, sql, "entry_key", params);
        if (!created) {
            return Optional.empty();
        }
        jdbc.sql("INSERT INTO journey_steps (journey_id, seq, flow_version_id, step_id, entered_at, node) VALUES (?, 1, ?, ?, ?, ?)")
                .params(id, versionId, startStep, now, node).update();
        return Optional.of(id);
    }

    Optional<UUID> byEntryKey(String entryKey) {
        return entryKey == null ? Optional.empty()
                : jdbc.sql("SELECT id FROM journeys WHERE entry_key = ?").param(entryKey).query(UUID.class).optional();
    }

    /**
     * Claims journeys that can move now (running, or waiting and due) for {@code lease}, as they are now: the engine
     * takes what a step must lock first from them, and checks them again under the journey's lock.
     */
    List<Journey> claim(int limit, Duration lease) {
        OffsetDateTime now = Times.now(clock);
        List<Journey> claimed = jdbc.sql("SELECT " + COLUMNS + " FROM journeys WHERE state IN ('RUNNING', 'WAITING')"
                        + " AND wake_at <= ? AND (lease_until IS NULL OR lease_until <= ?) ORDER BY wake_at LIMIT ?"
                        + " FOR UPDATE SKIP LOCKED")
                .params(now, now, limit).query(this::row).list().stream().map(Row::journey).toList();
        if (!claimed.isEmpty()) {
            jdbc.sql("UPDATE journeys SET lease_until = ? WHERE id IN (" + SqlLists.placeholders(claimed.size()) + ")")
                    .params(SqlLists.valueThen(Times.utc(clock.instant().plus(lease)), claimed.stream().map(Journey::id).toList()))
                    .update();
        }
        return claimed;
    }

    void release(UUID id) {
        jdbc.sql("UPDATE journeys SET lease_until = NULL WHERE id = ?").param(id).update();
    }

    Optional<Row> lock(UUID id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM journeys WHERE id = ? FOR UPDATE").param(id).query(this::row).optional();
    }

    Optional<Journey> find(UUID id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM journeys WHERE id = ?").param(id).query(this::row).optional().map(Row::journey);
    }

    /** Leaves the current step by a branch and enters {@code target}. */
    void move(Journey journey, String branch, String outcome, UUID messageId, Map<String, String> variables, String target) {
        OffsetDateTime now = Times.now(clock);
        closeStep(journey, branch, outcome, messageId, now);
        int seq = journey.visits() + 1;
        jdbc.sql("UPDATE journeys SET state = ?, current_step = ?, visits = ?, variables = ?, wake_at = ?, waiting_kind = NULL,"
                        + " waiting_message_id = NULL, waiting_for = NULL, decision = NULL, decision_detail = NULL, updated_at = ?"
                        + " WHERE id = ? AND visits = ?")
                .params(Journey.RUNNING, target, seq, json.writeValueAsString(variables), now, now, journey.id(), journey.visits())
                .update();
        jdbc.sql("INSERT INTO journey_steps (journey_id, seq, flow_version_id, step_id, entered_at, node) VALUES (?, ?, ?, ?, ?, ?)")
                .params(journey.id(), seq, journey.flowVersionId(), target, now, node).update();
    }

    /** Waits at the current step until a decision comes or {@code wakeAt} (null: no timeout) passes; ends the lease. */
    void await(Journey journey, String kind, Instant wakeAt, UUID messageId, String waitingFor, Map<String, String> variables,
               UUID sentMessageId, String outcome) {
        jdbc.sql("UPDATE journeys SET state = ?, wake_at = ?, waiting_kind = ?, waiting_message_id = ?, waiting_for = ?,"
                        + " decision = NULL, decision_detail = NULL, variables = ?, updated_at = ?, lease_until = NULL"
                        + " WHERE id = ? AND visits = ?")
                .params(Journey.WAITING, Times.utc(wakeAt == null ? Instant.parse("9999-12-31T00:00:00Z") : wakeAt), kind,
                        messageId, waitingFor, json.writeValueAsString(variables), Times.now(clock), journey.id(), journey.visits())
                .update();
        if (outcome != null || sentMessageId != null) {
            jdbc.sql("UPDATE journey_steps SET outcome = ?, message_id = ? WHERE journey_id = ? AND seq = ?")
                    .params(outcome, sentMessageId, journey.id(), journey.visits()).update();
        }
    }

    /** Ends the journey (ended or failed) and its lease. */
    void finish(Journey journey, String state, String branch, String outcome, UUID messageId, String error,
                Map<String, String> variables) {
        OffsetDateTime now = Times.now(clock);
        closeStep(journey, branch, outcome, messageId, now);
        jdbc.sql("UPDATE journeys SET state = ?, error = ?, variables = ?, wake_at = NULL, waiting_kind = NULL,"
                        + " waiting_message_id = NULL, updated_at = ?, ended_at = ?, lease_until = NULL WHERE id = ? AND visits = ?")
                .params(state, error, json.writeValueAsString(variables), now, now, journey.id(), journey.visits()).update();
    }

    private void closeStep(Journey journey, String branch, String outcome, UUID messageId, OffsetDateTime now) {
        jdbc.sql("UPDATE journey_steps SET left_at = ?, branch = ?, outcome = COALESCE(?, outcome),"
                        + " message_id = COALESCE(?, message_id) WHERE journey_id = ? AND seq = ?")
                .params(now, branch, outcome, messageId, journey.id(), journey.visits()).update();
    }

    /** Journeys waiting on these messages' statuses, with the keys they wait for. */
    List<Row> waitingOnMessages(List<UUID> messageIds, String kind) {
        List<Object> params = new java.util.ArrayList<>(messageIds);
        params.add(kind);
        return jdbc.sql("SELECT " + COLUMNS + " FROM journeys WHERE waiting_message_id IN (" + SqlLists.placeholders(messageIds.size())
                        + ") AND state = 'WAITING' AND waiting_kind = ? AND decision IS NULL")
                .params(params).query(this::row).list();
    }

    List<Row> waitingForReply(UUID contactId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM journeys WHERE contact_id = ? AND state = 'WAITING'"
                        + " AND waiting_kind = 'REPLY' AND decision IS NULL")
                .param(contactId).query(this::row).list();
    }

    /**
     * Records the decision a waiting journey was waiting for, once: the first decisive event wins. The journey stays
     * waiting, due now, and leaves its step by the decided branch when the engine takes it.
     */
    boolean decide(UUID journeyId, String decision, String detail) {
        // Due an hour back: the engine takes due journeys oldest first, and a decided one (e.g. a failed message
        // waiting for its fallback) should not queue behind every journey that started in the meantime.
        return jdbc.sql("UPDATE journeys SET decision = ?, decision_detail = ?, wake_at = ?, updated_at = ?"
                        + " WHERE id = ? AND state = 'WAITING' AND decision IS NULL")
                .params(decision, detail, Times.utc(clock.instant().minus(Duration.ofHours(1))), Times.now(clock), journeyId)
                .update() > 0;
    }

    /** {@link #decide} for several journeys (journey id → decision) in one JDBC batch; returns how many were decided. */
    int decideAll(Map<UUID, String> decisions) {
        if (decisions.isEmpty()) {
            return 0;
        }
        OffsetDateTime dueAt = Times.utc(clock.instant().minus(Duration.ofHours(1)));
        OffsetDateTime now = Times.now(clock);
        List<Object[]> rows = decisions.entrySet().stream()
                .map(d -> new Object[] {d.getValue(), dueAt, now, d.getKey()}).toList();
        int decided = 0;
        for (int count : batches.batchUpdate("UPDATE journeys SET decision = ?, decision_detail = NULL, wake_at = ?, updated_at = ?"
                + " WHERE id = ? AND state = 'WAITING' AND decision IS NULL", rows)) {
            decided += count > 0 || count == java.sql.Statement.SUCCESS_NO_INFO ? 1 : 0;
        }
        return decided;
    }

    List<JourneyStep> path(UUID journeyId) {
        return jdbc.sql("SELECT seq, step_id, entered_at, left_at, branch, outcome, message_id FROM journey_steps"
                        + " WHERE journey_id = ? ORDER BY seq")
                .param(journeyId)
                .query((rs, n) -> new JourneyStep(rs.getInt("seq"), rs.getString("step_id"), Times.instant(rs, "entered_at"),
                        Times.instant(rs, "left_at"), rs.getString("branch"), rs.getString("outcome"),
                        rs.getObject("message_id", UUID.class)))
                .list();
    }

    List<Journey> ofVersions(List<UUID> versionIds, String state, int limit, int offset) {
        if (versionIds.isEmpty()) {
            return List.of();
        }
        String in = SqlLists.placeholders(versionIds.size());
        java.util.List<Object> params = new java.util.ArrayList<>(versionIds);
        String filter = "";
        if (state != null) {
            filter = " AND state = ?";
            params.add(state.toUpperCase(java.util.Locale.ROOT));
        }
        params.add(limit);
        params.add(offset);
        return jdbc.sql("SELECT " + COLUMNS + " FROM journeys WHERE flow_version_id IN (" + in + ")" + filter
                        + " ORDER BY started_at, id LIMIT ? OFFSET ?")
                .params(params).query(this::row).list().stream().map(Row::journey).toList();
    }

    FlowCounts counts(UUID versionId) {
        Map<String, FlowCounts.StepCounts> steps = new java.util.TreeMap<>();
        Map<String, Long> entered = new java.util.HashMap<>();
        jdbc.sql("SELECT step_id, COUNT(*) AS n FROM journey_steps WHERE flow_version_id = ? GROUP BY step_id")
                .param(versionId).query(rs -> {
                    entered.put(rs.getString("step_id"), rs.getLong("n"));
                });
        Map<String, Map<String, Long>> branches = new java.util.HashMap<>();
        jdbc.sql("SELECT step_id, branch, COUNT(*) AS n FROM journey_steps WHERE flow_version_id = ? AND branch IS NOT NULL"
                        + " GROUP BY step_id, branch")
                .param(versionId).query(rs -> {
                    branches.computeIfAbsent(rs.getString("step_id"), k -> new java.util.TreeMap<>())
                            .put(rs.getString("branch"), rs.getLong("n"));
                });
        Map<String, Long> waiting = new java.util.HashMap<>();
        Map<String, Long> states = new java.util.HashMap<>();
        jdbc.sql("SELECT state, current_step, COUNT(*) AS n FROM journeys WHERE flow_version_id = ? GROUP BY state, current_step")
                .param(versionId).query(rs -> {
                    states.merge(rs.getString("state"), rs.getLong("n"), Long::sum);
                    if (Journey.WAITING.equals(rs.getString("state"))) {
                        waiting.put(rs.getString("current_step"), rs.getLong("n"));
                    }
                });
        entered.forEach((step, n) -> steps.put(step, new FlowCounts.StepCounts(n, waiting.getOrDefault(step, 0L),
                branches.getOrDefault(step, Map.of()))));
        return new FlowCounts(versionId, steps, states.getOrDefault(Journey.RUNNING, 0L), states.getOrDefault(Journey.WAITING, 0L),
                states.getOrDefault(Journey.ENDED, 0L), states.getOrDefault(Journey.FAILED, 0L));
    }

    private Row row(ResultSet rs, int rowNum) throws SQLException {
        Journey journey = new Journey(rs.getObject("id", UUID.class), rs.getObject("flow_version_id", UUID.class),
                rs.getObject("contact_id", UUID.class), rs.getString("state"), rs.getString("current_step"), rs.getInt("visits"),
                json.readValue(rs.getString("variables"), VARIABLES), Times.instant(rs, "wake_at"), rs.getString("waiting_kind"),
                rs.getObject("waiting_message_id", UUID.class), rs.getString("decision"), rs.getString("error"),
                Times.instant(rs, "started_at"), Times.instant(rs, "updated_at"), Times.instant(rs, "ended_at"));
        return new Row(journey, rs.getString("waiting_for"), rs.getString("decision_detail"));
    }
}
