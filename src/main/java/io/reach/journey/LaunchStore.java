package io.reach.journey;

import io.reach.shared.Dialect;
import io.reach.shared.Times;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The launches table: audience launches and their progress. */
@Repository
class LaunchStore {

    private static final String COLUMNS = "id, flow_id, flow_version_id, state, audience_at, audience_size, after_contact_id,"
            + " taken, started, created_at, updated_at, finished_at";

    /** A launch as its worker sees it: the API's view, and where its next page begins. */
    record Progress(Launch launch, Instant audienceAt, UUID afterContactId) {}

    private final JdbcClient jdbc;
    private final org.springframework.jdbc.core.JdbcTemplate claims;
    private final Dialect dialect;
    private final Clock clock;

    LaunchStore(JdbcClient jdbc, org.springframework.jdbc.core.JdbcTemplate claims, Dialect dialect, Clock clock) {
        this.jdbc = jdbc;
        this.claims = claims;
        this.dialect = dialect;
        this.clock = clock;
    }

    Launch insert(UUID id, UUID flowId, UUID versionId, Instant audienceAt, long audienceSize) {
        Instant now = clock.instant();
        jdbc.sql("INSERT INTO launches (id, flow_id, flow_version_id, state, audience_at, audience_size, created_at,"
                        + " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                .params(id, flowId, versionId, Launch.RUNNING, Times.utc(audienceAt), audienceSize, Times.utc(now), Times.utc(now))
                .update();
        return find(id).orElseThrow();
    }

    Optional<Launch> find(UUID id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM launches WHERE id = ?").param(id)
                .query((rs, n) -> progress(rs).launch()).optional();
    }

    /** A flow's launches, newest first. */
    List<Launch> ofFlow(UUID flowId, int limit) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM launches WHERE flow_id = ? ORDER BY created_at DESC, id DESC LIMIT ?")
                .params(flowId, limit).query((rs, n) -> progress(rs).launch()).list();
    }

    /**
     * The running launch that has waited longest for a page (running launches take turns, so that a small one is not
     * held behind a large one) and that no one else is working on, locked until the caller's transaction ends: a page
     * of it and its progress then commit together, and no other node takes the same page meanwhile.
     */
    Optional<Progress> claimRunning() {
        return dialect.claim(claims, "launches", COLUMNS, "state = ?", List.of(Launch.RUNNING), "state, updated_at", 1,
                rs -> Launch.RUNNING.equals(rs.getString("state")) ? progress(rs) : null).stream().findFirst();
    }

    /** Records a page's progress; with {@code state} DONE or STOPPED the launch is finished. */
    void advance(UUID id, UUID afterContactId, long taken, long started, String state) {
        Instant now = clock.instant();
        jdbc.sql("UPDATE launches SET after_contact_id = ?, taken = taken + ?, started = started + ?, state = ?,"
                        + " updated_at = ?, finished_at = ? WHERE id = ?")
                .params(afterContactId, taken, started, state, Times.utc(now),
                        Launch.RUNNING.equals(state) ? null : Times.utc(now), id)
                .update();
    }

    private static Progress progress(java.sql.ResultSet rs) throws java.sql.SQLException {
        Launch launch = new Launch(rs.getObject("id", UUID.class), rs.getObject("flow_id", UUID.class),
                rs.getObject("flow_version_id", UUID.class), rs.getString("state"), rs.getLong("audience_size"),
                rs.getLong("taken"), rs.getLong("started"), Times.instant(rs, "created_at"), Times.instant(rs, "updated_at"),
                Times.instant(rs, "finished_at"));
        return new Progress(launch, Times.instant(rs, "audience_at"), rs.getObject("after_contact_id", UUID.class));
    }
}
