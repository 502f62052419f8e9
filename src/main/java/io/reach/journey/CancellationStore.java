package io.reach.journey;

import io.reach.shared.Dialect;
import io.reach.shared.Times;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The cancellations table: the cancellations of stopped flows' journeys, and their progress. */
@Repository
class CancellationStore {

    private static final String COLUMNS = "id, flow_id, state, reason, after_journey_id, cancelled, withdrawn, created_at,"
            + " updated_at, finished_at";

    /** A cancellation as its worker sees it: the API's view, its reason, and the journey its next chunk comes after. */
    record Progress(Cancellation cancellation, String reason, UUID afterJourneyId) {}

    private final JdbcClient jdbc;
    private final JdbcTemplate claims;
    private final Dialect dialect;
    private final Clock clock;

    CancellationStore(JdbcClient jdbc, JdbcTemplate claims, Dialect dialect, Clock clock) {
        this.jdbc = jdbc;
        this.claims = claims;
        this.dialect = dialect;
        this.clock = clock;
    }

    Cancellation insert(UUID id, UUID flowId, String reason) {
        Instant now = clock.instant();
        jdbc.sql("INSERT INTO cancellations (id, flow_id, state, reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)")
                .params(id, flowId, Cancellation.RUNNING, reason, Times.utc(now), Times.utc(now))
                .update();
        return find(id).orElseThrow();
    }

    Optional<Cancellation> find(UUID id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM cancellations WHERE id = ?").param(id)
                .query((rs, n) -> progress(rs).cancellation()).optional();
    }

    /** Forgets a deleted flow's cancellations (it had no journey: they cancelled none). */
    void deleteOfFlow(UUID flowId) {
        jdbc.sql("DELETE FROM cancellations WHERE flow_id = ?").param(flowId).update();
    }

    /** A flow's cancellations, newest first. */
    List<Cancellation> ofFlow(UUID flowId, int limit) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM cancellations WHERE flow_id = ? ORDER BY created_at DESC, id DESC LIMIT ?")
                .params(flowId, limit).query((rs, n) -> progress(rs).cancellation()).list();
    }

    /** The flow's cancellation still running, if there is one (a stop makes at most one at a time). */
    Optional<Cancellation> runningOf(UUID flowId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM cancellations WHERE flow_id = ? AND state = ? ORDER BY created_at LIMIT 1")
                .params(flowId, Cancellation.RUNNING).query((rs, n) -> progress(rs).cancellation()).optional();
    }

    /**
     * The running cancellation that has waited longest for a chunk (running cancellations take turns) and that no one
     * else is working on, locked until the caller's transaction ends: a chunk of it and its progress then commit
     * together, and no other node takes the same chunk meanwhile.
     */
    Optional<Progress> claimRunning() {
        return dialect.claim(claims, "cancellations", COLUMNS, "state = ?", List.of(Cancellation.RUNNING), "state, updated_at", 1,
                rs -> Cancellation.RUNNING.equals(rs.getString("state")) ? progress(rs) : null).stream().findFirst();
    }

    /**
     * This cancellation, locked until the caller's transaction ends, unless someone else holds it (a worker is on a
     * chunk of it): then empty.
     */
    Optional<Progress> lockIfFree(UUID id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM cancellations WHERE id = ? FOR UPDATE SKIP LOCKED").param(id)
                .query((rs, n) -> progress(rs)).optional();
    }

    /** Records a chunk's progress; with {@code state} DONE the cancellation is finished. */
    void advance(UUID id, UUID afterJourneyId, long cancelled, long withdrawn, String state) {
        Instant now = clock.instant();
        jdbc.sql("UPDATE cancellations SET after_journey_id = ?, cancelled = cancelled + ?, withdrawn = withdrawn + ?,"
                        + " state = ?, updated_at = ?, finished_at = ? WHERE id = ?")
                .params(afterJourneyId, cancelled, withdrawn, state, Times.utc(now),
                        Cancellation.RUNNING.equals(state) ? null : Times.utc(now), id)
                .update();
    }

    private static Progress progress(ResultSet rs) throws SQLException {
        Cancellation cancellation = new Cancellation(rs.getObject("id", UUID.class), rs.getObject("flow_id", UUID.class),
                rs.getString("state"), rs.getLong("cancelled"), rs.getLong("withdrawn"), Times.instant(rs, "created_at"),
                Times.instant(rs, "updated_at"), Times.instant(rs, "finished_at"));
        return new Progress(cancellation, rs.getString("reason"), rs.getObject("after_journey_id", UUID.class));
    }
}
