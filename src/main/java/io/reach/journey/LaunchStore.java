package io.reach.journey;

import io.reach.shared.Dialect;
import io.reach.shared.Texts;
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

/** The launches table: audience launches and their progress. */
@Repository
class LaunchStore {

    private static final String COLUMNS = "id, flow_id, flow_version_id, state, reason, audience_at, not_after,"
            + " despite_unapproved_templates, audience_size, after_contact_id, taken, started, created_at, updated_at,"
            + " finished_at";

    /** A launch as its worker sees it: the API's view, and where its next page begins. */
    record Progress(Launch launch, Instant audienceAt, UUID afterContactId) {}

    private final JdbcClient jdbc;
    private final JdbcTemplate claims;
    private final Dialect dialect;
    private final Clock clock;

    LaunchStore(JdbcClient jdbc, JdbcTemplate claims, Dialect dialect, Clock clock) {
        this.jdbc = jdbc;
        this.claims = claims;
        this.dialect = dialect;
        this.clock = clock;
    }

    /**
     * A launch that begins at {@code audienceAt}: running at once when that is now, else scheduled (and then checked
     * for unapproved templates when it begins, unless {@code despiteUnapprovedTemplates}).
     */
    Launch insert(UUID id, UUID flowId, UUID versionId, Instant audienceAt, Instant notAfter, long audienceSize,
                  boolean despiteUnapprovedTemplates) {
        Instant now = clock.instant();
        jdbc.sql("INSERT INTO launches (id, flow_id, flow_version_id, state, audience_at, not_after,"
                        + " despite_unapproved_templates, audience_size, created_at, updated_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .params(id, flowId, versionId, audienceAt.isAfter(now) ? Launch.SCHEDULED : Launch.RUNNING,
                        Times.utc(audienceAt), notAfter == null ? null : Times.utc(notAfter), despiteUnapprovedTemplates,
                        audienceSize, Times.utc(now), Times.utc(now))
                .update();
        return find(id).orElseThrow();
    }

    /** The scheduled launches whose time has come, the earliest first. */
    List<UUID> due(Instant now) {
        return jdbc.sql("SELECT id FROM launches WHERE state = ? AND audience_at <= ? ORDER BY audience_at, id LIMIT 100")
                .params(Launch.SCHEDULED, Times.utc(now)).query(UUID.class).list();
    }

    /**
     * Lets a scheduled launch run on {@code versionId}, with its audience counted now; false when it is not scheduled
     * anymore (another node began it, or it was cancelled).
     */
    boolean begin(UUID id, UUID versionId, long audienceSize) {
        return jdbc.sql("UPDATE launches SET state = ?, flow_version_id = ?, audience_size = ?, updated_at = ?"
                        + " WHERE id = ? AND state = ?")
                .params(Launch.RUNNING, versionId, audienceSize, Times.utc(clock.instant()), id, Launch.SCHEDULED)
                .update() == 1;
    }

    /**
     * Ends a scheduled launch whose time came without it beginning, taking nobody, with why; false when it is not
     * scheduled anymore (another node began or refused it, or it was cancelled).
     */
    boolean refuse(UUID id, UUID versionId, String reason) {
        Instant now = clock.instant();
        return jdbc.sql("UPDATE launches SET state = ?, flow_version_id = ?, reason = ?, updated_at = ?, finished_at = ?"
                        + " WHERE id = ? AND state = ?")
                .params(Launch.REFUSED, versionId, Texts.clip(reason, 2000), Times.utc(now), Times.utc(now), id, Launch.SCHEDULED)
                .update() == 1;
    }

    /**
     * Cancels a launch that is scheduled or running; false when it is not (done, stopped, cancelled, refused). A page
     * being written holds the launch's row: the cancellation waits for it, and takes effect from the next page.
     */
    boolean cancel(UUID id) {
        Instant now = clock.instant();
        return jdbc.sql("UPDATE launches SET state = ?, updated_at = ?, finished_at = ? WHERE id = ? AND state IN (?, ?)")
                .params(Launch.CANCELLED, Times.utc(now), Times.utc(now), id, Launch.SCHEDULED, Launch.RUNNING).update() == 1;
    }

    Optional<Launch> find(UUID id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM launches WHERE id = ?").param(id)
                .query((rs, n) -> progress(rs).launch()).optional();
    }

    /** The launches of every flow, newest first; only those in {@code state} unless it is null. */
    List<Launch> all(String state, int limit) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM launches" + (state == null ? "" : " WHERE state = ?")
                        + " ORDER BY created_at DESC, id DESC LIMIT ?")
                .params(state == null ? List.of(limit) : List.of(state, limit)).query((rs, n) -> progress(rs).launch()).list();
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

    private static Progress progress(ResultSet rs) throws SQLException {
        Launch launch = new Launch(rs.getObject("id", UUID.class), rs.getObject("flow_id", UUID.class),
                rs.getObject("flow_version_id", UUID.class), rs.getString("state"), rs.getString("reason"),
                Times.instant(rs, "audience_at"), Times.instant(rs, "not_after"), rs.getBoolean("despite_unapproved_templates"),
                rs.getLong("audience_size"),
                rs.getLong("taken"), rs.getLong("started"), Times.instant(rs, "created_at"), Times.instant(rs, "updated_at"),
                Times.instant(rs, "finished_at"), null);
        return new Progress(launch, Times.instant(rs, "audience_at"), rs.getObject("after_contact_id", UUID.class));
    }
}
