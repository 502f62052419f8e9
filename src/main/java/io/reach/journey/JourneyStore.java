package io.reach.journey;

import io.reach.shared.Dialect;
import io.reach.shared.Ids;
import io.reach.shared.NewestFirst;
import io.reach.shared.OldestFirst;
import io.reach.shared.SqlAssignments;
import io.reach.shared.SqlLists;
import io.reach.shared.Texts;
import io.reach.shared.Times;
import java.lang.management.ManagementFactory;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** Rows of journeys and of the steps they took. Every change checks the journey's visit count, its version. */
@Repository
class JourneyStore {

    private static final TypeReference<LinkedHashMap<String, String>> VARIABLES = new TypeReference<>() {};
    private static final String COLUMNS = "id, flow_version_id, contact_id, state, current_step, visits, variables, wake_at,"
            + " waiting_kind, waiting_message_id, waiting_for, decision, decision_detail, error, started_at, updated_at, ended_at,"
            + " failed_turns";

    /**
     * A journey row with what only the engine needs: what it waits for, the decision's detail, and how many turns in a
     * row its step could not be taken.
     */
    record Row(Journey journey, String waitingFor, String decisionDetail, int failedTurns) {}

    private final JdbcClient jdbc;
    private final JourneyCounts journeyCounts;
    private final JdbcTemplate batches;
    private final Dialect dialect;
    private final JsonMapper json;
    private final Clock clock;
    private final String node;

    JourneyStore(JdbcClient jdbc, JdbcTemplate batches, Dialect dialect, JsonMapper json, Clock clock,
                 @Value("${reach.node-id:}") String node, JourneyCounts counts) {
        this.journeyCounts = counts;
        this.jdbc = jdbc;
        this.batches = batches;
        this.dialect = dialect;
        this.json = json;
        this.clock = clock;
        // Which Reach process entered each step: several nodes share the work, and this says who did what.
        this.node = node == null || node.isBlank() ? ManagementFactory.getRuntimeMXBean().getName() : node;
    }

    /**
     * How far ahead of the journeys a launch started a journey started for one contact (by an event or through the
     * API) is due: the engine takes running journeys in the order they are due, and a customer whose order is ready
     * must not wait behind an audience of a hundred thousand still to start.
     */
    static final Duration AHEAD_OF_LAUNCHES = Duration.ofDays(1);

    /**
     * Creates a journey at its start step, unless one with the same entry key exists; {@code aheadOfLaunches} for one
     * started for its contact alone (see {@link #AHEAD_OF_LAUNCHES}).
     */
    Optional<UUID> insert(UUID versionId, UUID contactId, String entryKey, String startStep, Map<String, String> variables,
                          boolean aheadOfLaunches) {
        UUID id = Ids.newId();
        OffsetDateTime now = Times.now(clock);
        List<Object> params = Arrays.asList(id, versionId, contactId, entryKey, Journey.RUNNING, startStep,
                json.writeValueAsString(variables), aheadOfLaunches ? now.minus(AHEAD_OF_LAUNCHES) : now, now, now);
        // Its first step's row goes with it, in one round trip on PostgreSQL.
        Dialect.SqlStatement firstStep = new Dialect.SqlStatement("INSERT INTO journey_steps (journey_id, seq, flow_version_id,"
                + " step_id, entered_at, node) SELECT ?, 1, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM journeys WHERE id = ?)",
                List.of(id, versionId, startStep, now, node, id));
        boolean created = dialect.insertUnlessDuplicateThen(batches, new Dialect.SqlStatement(INSERT_JOURNEY, params), "entry_key",
                List.of(firstStep));
        journeyCounts.started(created ? 1 : 0);
        return created ? Optional.of(id) : Optional.empty();
    }

    // A new journey, running at its start step (visit 1), and the row of that first step.
    private static final String INSERT_JOURNEY = "INSERT INTO journeys (id, flow_version_id, contact_id, entry_key, state,"
            + " current_step, visits, variables, wake_at, started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)";
    private static final String INSERT_FIRST_STEP = "INSERT INTO journey_steps (journey_id, seq, flow_version_id, step_id,"
            + " entered_at, node) VALUES (?, 1, ?, ?, ?, ?)";

    /**
     * Creates journeys at their start step, with {@code variables}, for those of {@code contactIds} whose entry key (see
     * {@code entryKeyOf}) does not exist yet; returns how many it created. A few statements for all of them: the
     * journeys and their first step rows are inserted in two JDBC batches. On PostgreSQL the entry keys' unique index
     * skips the journeys that exist, row by row. On H2 the keys that exist are read first, and when a journey with one
     * of the keys appears meanwhile (another launch at once), H2 fails the batch with a
     * {@link org.springframework.dao.DuplicateKeyException}: the caller's transaction must be rolled back and the
     * contacts started one by one ({@link #insert}).
     */
    int insertAll(UUID versionId, String startStep, Map<String, String> variables, List<UUID> contactIds,
                  Function<UUID, String> entryKeyOf) {
        if (contactIds.isEmpty()) {
            return 0;
        }
        List<String> keys = contactIds.stream().map(entryKeyOf).toList();
        // Not on PostgreSQL: the plan a connection keeps for this look-up could be a scan of the whole table, made
        // while the table was small (as a fresh install's is, until autovacuum first analyzes it), and a launch would
        // then read every journey at every page; the unique index the insert goes through answers the same at any size.
        Set<String> existing = dialect.insertAllSkipsDuplicates() ? Set.of()
                : new HashSet<>(jdbc.sql("SELECT entry_key FROM journeys WHERE entry_key IN ("
                        + SqlLists.placeholders(keys.size()) + ")")
                .params(new ArrayList<Object>(keys)).query(String.class).list());
        OffsetDateTime now = Times.now(clock);
        String startVariables = json.writeValueAsString(variables);
        List<Object[]> journeys = new ArrayList<>();
        for (int i = 0; i < contactIds.size(); i++) {
            if (!existing.contains(keys.get(i))) {
                journeys.add(new Object[] {Ids.newId(), versionId, contactIds.get(i), keys.get(i), Journey.RUNNING,
                        startStep, startVariables, now, now, now});
            }
        }
        if (journeys.isEmpty()) {
            return 0;
        }
        int[] counts = dialect.insertAllUnlessDuplicate(batches, INSERT_JOURNEY, "entry_key", journeys);
        List<Object[]> firstSteps = new ArrayList<>();
        for (int i = 0; i < journeys.size(); i++) {
            if (counts[i] > 0 || counts[i] == Statement.SUCCESS_NO_INFO) {
                firstSteps.add(new Object[] {journeys.get(i)[0], versionId, startStep, now, node});
            }
        }
        if (!firstSteps.isEmpty()) {
            batches.batchUpdate(INSERT_FIRST_STEP, firstSteps);
        }
        journeyCounts.started(firstSteps.size());
        return firstSteps.size();
    }

    Optional<UUID> byEntryKey(String entryKey) {
        return entryKey == null ? Optional.empty()
                : jdbc.sql("SELECT id FROM journeys WHERE entry_key = ?").param(entryKey).query(UUID.class).optional();
    }

    /**
     * Claims journeys that can move now for {@code lease}, as they are now: the engine takes what a step must lock
     * first from them, and checks them again under the journey's lock. Up to {@code waitingLimit} waiting journeys
     * that are due (decided by a status or a reply, or out of time), in the order they are due (a decided journey
     * counts as due an hour back, two when a failed message decided it: see {@link #fallbackDueAt}), then up to
     * {@code runningLimit} running ones (one started for its contact alone counts as due a day back: see
     * {@link #AHEAD_OF_LAUNCHES}): the two have limits of their own, so that a failed message's fallback never
     * queues behind an audience of a hundred thousand journeys still to start. The waiting cannot starve the running
     * ones for long, since a waiting journey is decided only by what an earlier step sent. The caller's transaction
     * then commits without waiting for the flush: a claim is the engine's, and acts on nothing outside the database.
     */
    List<Journey> claim(int waitingLimit, int runningLimit, Duration lease) {
        return claim(waitingLimit, runningLimit, clock.instant().plus(lease), new ArrayList<>());
    }

    /**
     * A claim whose leases end at {@code leaseUntil}; the ids it leases are added to {@code leasing} before it writes
     * them, so that the caller can give them back should the commit's outcome be lost ({@link #releaseIfLeasedUntil}).
     */
    List<Journey> claim(int waitingLimit, int runningLimit, Instant leaseUntil, List<UUID> leasing) {
        OffsetDateTime now = Times.now(clock);
        List<Journey> claimed = new ArrayList<>(waitingLimit > 0 ? claimIn(Journey.WAITING, now, waitingLimit) : List.of());
        if (runningLimit > 0) {
            claimed.addAll(claimIn(Journey.RUNNING, now, runningLimit));
        }
        claimed.forEach(journey -> leasing.add(journey.id()));
        return leased(claimed, leaseUntil);
    }

    /** Leases what a claim locked, in a transaction that then commits without waiting for the flush (the engine's). */
    private List<Journey> leased(List<Journey> claimed, Instant leaseUntil) {
        if (!claimed.isEmpty()) {
            dialect.runTogetherCommittingWithoutWaitingForTheFlush(batches, List.of(new Dialect.SqlStatement(
                    "UPDATE journeys SET lease_until = ? WHERE id IN (" + SqlLists.placeholders(claimed.size()) + ")",
                    SqlLists.valueThen(Times.utc(leaseUntil), claimed.stream().map(Journey::id).toList()))));
        }
        return claimed;
    }

    /**
     * Gives back the leases a claim whose commit failed may have taken: those of {@code ids} that still end at
     * {@code leaseUntil}, the claim's own (none if it did not commit; a lease another claim took since ends otherwise).
     */
    void releaseIfLeasedUntil(List<UUID> ids, Instant leaseUntil) {
        if (!ids.isEmpty()) {
            jdbc.sql("UPDATE journeys SET lease_until = NULL WHERE lease_until = ? AND id IN (" + SqlLists.placeholders(ids.size()) + ")")
                    .params(SqlLists.valueThen(Times.utc(leaseUntil), ids)).update();
        }
    }

    private List<Journey> claimIn(String state, OffsetDateTime now, int limit) {
        // "state, wake_at": the order of the journeys_due index, which H2 then reads in order (PostgreSQL plans it as
        // "wake_at", the state being fixed).
        return dialect.claim(batches, "journeys", COLUMNS + ", lease_until",
                "state = ? AND wake_at <= ? AND (lease_until IS NULL OR lease_until <= ?)", List.of(state, now, now),
                "state, wake_at", limit, rs -> {
                    OffsetDateTime lease = rs.getObject("lease_until", OffsetDateTime.class);
                    Journey journey = row(rs, 0).journey();
                    boolean due = state.equals(journey.state()) && journey.wakeAt() != null
                            && !journey.wakeAt().isAfter(now.toInstant()) && (lease == null || !lease.isAfter(now));
                    return due ? journey : null;
                });
    }

    /** A chunk of a stop's cancellations: the journeys cancelled, and the last one looked at (null: none was left). */
    record CancelledChunk(List<UUID> cancelled, UUID lastSeen) {}

    /**
     * Cancels up to {@code limit} of the running or waiting journeys of these versions whose id comes after
     * {@code after} (null: from the first), with {@code reason} as what their current step did. Each is locked first,
     * so a step being taken finishes before, and the engine, which checks a journey's state under that lock, leaves a
     * cancelled one alone. A stop goes through a flow's journeys once, by id, each chunk after the last one's
     * {@code lastSeen}: read from the start each time, a chunk read again every journey the chunks before it had
     * cancelled (a walk of the primary key), or sorted every journey left (80 ms a chunk halfway through 100,000).
     */
    CancelledChunk cancelSome(List<UUID> versionIds, String reason, int limit, UUID after) {
        List<UUID> candidates = underWayAfter(versionIds, after, limit);
        if (candidates.isEmpty()) {
            return new CancelledChunk(List.of(), null);
        }
        return new CancelledChunk(cancel(candidates, reason), candidates.getLast());
    }

    /**
     * Up to {@code limit} of the running or waiting journeys of these versions whose id comes after {@code after} (null:
     * from the first), in id order: read through the primary key from {@code after} on, whatever the statistics say.
     */
    List<UUID> underWayAfter(List<UUID> versionIds, UUID after, int limit) {
        if (versionIds.isEmpty()) {
            return List.of();
        }
        List<Object> params = new ArrayList<>(versionIds);
        if (after != null) {
            params.add(after);
        }
        params.add(limit);
        return dialect.queryInPrimaryKeyOrder(batches, "journeys", underWayAfterQuery(versionIds.size(), after != null), params,
                rs -> rs.getObject(1, UUID.class));
    }

    /** {@link #underWayAfter}'s query, for so many versions, from the first journey on or after one. */
    static String underWayAfterQuery(int versions, boolean after) {
        return "SELECT id FROM journeys WHERE flow_version_id IN (" + SqlLists.placeholders(versions) + ")"
                + " AND state IN ('RUNNING', 'WAITING')" + (after ? " AND id > ?" : "") + " ORDER BY id LIMIT ?";
    }

    /** A contact's journeys running or waiting, in these versions only unless {@code versionIds} is null. */
    List<UUID> underWay(UUID contactId, List<UUID> versionIds) {
        if (versionIds != null && versionIds.isEmpty()) {
            return List.of();
        }
        List<Object> params = new ArrayList<>(List.of(contactId));
        String inVersions = "";
        if (versionIds != null) {
            inVersions = " AND flow_version_id IN (" + SqlLists.placeholders(versionIds.size()) + ")";
            params.addAll(versionIds);
        }
        return jdbc.sql("SELECT id FROM journeys WHERE contact_id = ? AND state IN ('RUNNING', 'WAITING')" + inVersions
                        + " ORDER BY id")
                .params(params).query(UUID.class).list();
    }

    /**
     * Cancels those of these journeys that are running or waiting, with {@code reason} as what their current step did;
     * returns their ids. Each is locked first, as in {@link #cancelSome}.
     */
    List<UUID> cancel(List<?> journeyIds, String reason) {
        if (journeyIds.isEmpty()) {
            return List.of();
        }
        // Locked by id (H2 would lock every row a wider condition meets before cutting to a limit), and checked again.
        List<UUID> ids = jdbc.sql("SELECT id FROM journeys WHERE id IN (" + SqlLists.placeholders(journeyIds.size())
                        + ") AND state IN ('RUNNING', 'WAITING') FOR UPDATE")
                .params(new ArrayList<Object>(journeyIds)).query(UUID.class).list();
        if (ids.isEmpty()) {
            return ids;
        }
        OffsetDateTime now = Times.now(clock);
        String in = SqlLists.placeholders(ids.size());
        List<Object> stepParams = new ArrayList<>(List.of(now, described(reason)));
        stepParams.addAll(ids);
        jdbc.sql("UPDATE journey_steps SET left_at = ?, outcome = ? WHERE journey_id IN (" + in + ") AND left_at IS NULL")
                .params(stepParams).update();
        List<Object> journeyParams = new ArrayList<>(List.of(described(reason), now, now));
        journeyParams.addAll(ids);
        jdbc.sql("UPDATE journeys SET state = 'CANCELLED', error = ?, ended_at = ?, updated_at = ?, wake_at = NULL,"
                        + " waiting_kind = NULL, waiting_message_id = NULL, waiting_for = NULL, decision = NULL,"
                        + " decision_detail = NULL, lease_until = NULL WHERE id IN (" + in + ")")
                .params(journeyParams).update();
        journeyCounts.finished(Journey.CANCELLED, ids.size());
        return ids;
    }

    /** What a contact's erasure emptied of its journeys: the journeys and the report rows they wrote. */
    record ErasedJourneys(int journeys, int reportRows) {}

    /**
     * Empties what the contact's journeys (none under way: the caller cancelled those) keep of it: their variables,
     * entry keys and errors (an error stays said as {@code error}), their steps' outcomes (a set attribute's value, a
     * reply's text, a fetch's URL), their report rows' number and description. Their states, paths, branches and times
     * stay, as their counts do.
     */
    ErasedJourneys eraseOf(UUID contactId, String error) {
        int reportRows = jdbc.sql("UPDATE report_rows SET message_to = NULL, description = NULL"
                        + " WHERE journey_id IN (SELECT id FROM journeys WHERE contact_id = ?)")
                .param(contactId).update();
        jdbc.sql("UPDATE journey_steps SET outcome = NULL WHERE journey_id IN (SELECT id FROM journeys WHERE contact_id = ?)"
                        + " AND outcome IS NOT NULL")
                .param(contactId).update();
        int journeys = jdbc.sql("UPDATE journeys SET variables = '{}', entry_key = NULL, waiting_for = NULL,"
                        + " decision_detail = NULL, error = CASE WHEN error IS NULL THEN NULL ELSE ? END WHERE contact_id = ?")
                .params(described(error), contactId).update();
        return new ErasedJourneys(journeys, reportRows);
    }

    /** The messages these journeys' steps sent (or queued). */
    List<UUID> messagesOf(List<UUID> journeyIds) {
        if (journeyIds.isEmpty()) {
            return List.of();
        }
        return jdbc.sql("SELECT message_id FROM journey_steps WHERE journey_id IN (" + SqlLists.placeholders(journeyIds.size())
                        + ") AND message_id IS NOT NULL")
                .params(new ArrayList<Object>(journeyIds)).query(UUID.class).list();
    }

    /** Gives back the leases of journeys: done with for now, or claimed and not taken up. */
    void release(List<UUID> ids) {
        if (!ids.isEmpty()) {
            jdbc.sql("UPDATE journeys SET lease_until = NULL WHERE id IN (" + SqlLists.placeholders(ids.size()) + ")")
                    .params(new ArrayList<Object>(ids)).update();
        }
    }

    /** Gives back a journey's lease if it is still at visit {@code visits} (no one has advanced it meanwhile). */
    void releaseIfStillAt(UUID id, int visits) {
        jdbc.sql("UPDATE journeys SET lease_until = NULL WHERE id = ? AND visits = ?").params(id, visits).update();
    }

    /** Stretches a running journey's lease to {@code until}, if it is still at visit {@code visits}; false if not. */
    boolean extendLease(UUID id, int visits, Instant until) {
        return jdbc.sql("UPDATE journeys SET lease_until = ? WHERE id = ? AND visits = ? AND state = 'RUNNING'")
                .params(Times.utc(until), id, visits).update() > 0;
    }

    /** Records that a turn of the journey at visit {@code visits} failed, its {@code failedTurns}-th in a row. */
    void failedTurn(UUID id, int visits, int failedTurns) {
        jdbc.sql("UPDATE journeys SET failed_turns = ? WHERE id = ? AND visits = ?").params(failedTurns, id, visits).update();
    }

    Optional<Row> lock(UUID id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM journeys WHERE id = ? FOR UPDATE").param(id).query(this::row).optional();
    }

    Optional<Journey> find(UUID id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM journeys WHERE id = ?").param(id).query(this::row).optional().map(Row::journey);
    }

    /**
     * What one transaction of a journey's turn changes, kept in memory until the transaction's end and then written
     * with at most three statements ({@link #write}): the step row that was open when the transaction began, the
     * step rows entered since (one batch), and the journey row as the last step left it. The journey's row lock,
     * held since the transaction began, keeps anyone else from seeing or writing it in between.
     */
    final class Writes {
        private final UUID journeyId;
        private final UUID versionId;
        private final int startVisits;
        private final List<Object[]> enteredSteps = new ArrayList<>();
        private OffsetDateTime openLeftAt;
        private String openBranch;
        private String openOutcome;
        private UUID openMessageId;
        private boolean openTouched;
        private Object[] lastEntered;
        private String state;
        private String currentStep;
        private int visits;
        private String variables;
        private Instant wakeAt;
        private String waitingKind;
        private UUID waitingMessageId;
        private String waitingFor;
        private String error;
        private OffsetDateTime endedAt;
        private boolean journeyChanged;
        private boolean releaseLease;

        private Writes(Journey journey) {
            this.journeyId = journey.id();
            this.versionId = journey.flowVersionId();
            this.startVisits = journey.visits();
            this.visits = journey.visits();
        }

        /** Leaves the current step (visit {@code journey.visits()}) by a branch and enters {@code target}. */
        void move(Journey journey, String branch, String outcome, UUID messageId, Map<String, String> variables, String target) {
            OffsetDateTime now = Times.now(clock);
            closeStep(journey.visits(), branch, outcome, messageId, now);
            visits = journey.visits() + 1;
            lastEntered = new Object[] {journeyId, visits, versionId, target, now, null, null, null, null, node};
            enteredSteps.add(lastEntered);
            state = Journey.RUNNING;
            currentStep = target;
            this.variables = json.writeValueAsString(variables);
            wakeAt = clock.instant();
            waitingKind = null;
            waitingMessageId = null;
            waitingFor = null;
            journeyChanged = true;
        }

        /** Waits at the current step until a decision comes or {@code wakeAt} (null: no timeout) passes; ends the lease. */
        void await(Journey journey, String kind, Instant wakeAt, UUID messageId, String waitingFor, Map<String, String> variables,
                   UUID sentMessageId, String outcome) {
            if (outcome != null || sentMessageId != null) {
                annotateStep(journey.visits(), outcome, sentMessageId);
            }
            state = Journey.WAITING;
            this.wakeAt = wakeAt == null ? Times.END_OF_TIME : wakeAt;
            waitingKind = kind;
            waitingMessageId = messageId;
            this.waitingFor = waitingFor;
            this.variables = json.writeValueAsString(variables);
            journeyChanged = true;
            releaseLease = true;
        }

        /** Ends the journey (ended or failed) and its lease. */
        void finish(Journey journey, String state, String branch, String outcome, UUID messageId, String error,
                    Map<String, String> variables) {
            OffsetDateTime now = Times.now(clock);
            closeStep(journey.visits(), branch, outcome, messageId, now);
            this.state = state;
            this.error = described(error);
            this.variables = json.writeValueAsString(variables);
            wakeAt = null;
            waitingKind = null;
            waitingMessageId = null;
            endedAt = now;
            journeyChanged = true;
            releaseLease = true;
        }

        /** Gives the journey's lease back: the engine is done with it for now. */
        void release() {
            releaseLease = true;
        }

        private void closeStep(int seq, String branch, String givenOutcome, UUID messageId, OffsetDateTime now) {
            String outcome = described(givenOutcome);
            if (seq == startVisits) {
                openTouched = true;
                openLeftAt = now;
                openBranch = branch;
                openOutcome = outcome != null ? outcome : openOutcome;
                openMessageId = messageId != null ? messageId : openMessageId;
            } else {
                lastEntered[5] = now;
                lastEntered[6] = branch;
                lastEntered[7] = outcome != null ? outcome : lastEntered[7];
                lastEntered[8] = messageId != null ? messageId : lastEntered[8];
            }
        }

        private void annotateStep(int seq, String givenOutcome, UUID messageId) {
            String outcome = described(givenOutcome);
            if (seq == startVisits) {
                openTouched = true;
                openOutcome = outcome;
                openMessageId = messageId;
            } else {
                lastEntered[7] = outcome;
                lastEntered[8] = messageId;
            }
        }
    }

    /**
     * A step's outcome or a journey's error as it is stored: a description, clipped to its column's 2,000 characters
     * (a condition on a long variable, or a long answer quoted in an error, would otherwise fail the step for good).
     */
    static String described(String text) {
        return Texts.clip(text, 2000);
    }

    /** The writes of a transaction that took {@code journey}'s row lock, as it was then. */
    Writes writes(Journey journey) {
        return new Writes(journey);
    }

    /** Writes what a transaction of a journey's turn changed; call it last in that transaction. */
    void write(Writes writes) {
        dialect.runTogether(batches, statements(writes));
        journeyCounts.finished(writes.state, 1);
    }

    /**
     * Writes what a transaction of the engine changed, and lets that transaction commit without waiting for the flush
     * (see {@link Dialect#runTogetherCommittingWithoutWaitingForTheFlush}); call it last in that transaction. One round
     * trip on PostgreSQL, the setting included.
     */
    void writeCommittingWithoutWaitingForTheFlush(Writes writes) {
        dialect.runTogetherCommittingWithoutWaitingForTheFlush(batches, statements(writes));
        journeyCounts.finished(writes.state, 1);
    }

    /** The statements that write {@code writes}: at most the open step's, one per step entered, and the journey's. */
    private List<Dialect.SqlStatement> statements(Writes writes) {
        List<Dialect.SqlStatement> statements = new ArrayList<>();
        if (writes.openTouched) {
            // Only what is known is set: an outcome or message noted when the step began waiting stays when it is
            // left by a branch.
            SqlAssignments open = new SqlAssignments().setUnlessNull("left_at", writes.openLeftAt)
                    .setUnlessNull("branch", writes.openBranch).setUnlessNull("outcome", writes.openOutcome)
                    .setUnlessNull("message_id", writes.openMessageId);
            if (!open.isEmpty()) {
                statements.add(new Dialect.SqlStatement("UPDATE journey_steps SET " + open.sql() + " WHERE journey_id = ? AND seq = ?",
                        open.paramsThen(writes.journeyId, writes.startVisits)));
            }
        }
        for (Object[] step : writes.enteredSteps) {
            statements.add(new Dialect.SqlStatement("INSERT INTO journey_steps (journey_id, seq, flow_version_id, step_id, entered_at,"
                    + " left_at, branch, outcome, message_id, node) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", Arrays.asList(step)));
        }
        if (writes.journeyChanged) {
            SqlAssignments journey = new SqlAssignments().set("state", writes.state)
                    .setUnlessNull("current_step", writes.currentStep).set("visits", writes.visits)
                    .set("variables", writes.variables).set("wake_at", Times.utc(writes.wakeAt))
                    .set("waiting_kind", writes.waitingKind).set("waiting_message_id", writes.waitingMessageId)
                    .set("waiting_for", writes.waitingFor).setTo("decision", "NULL").setTo("decision_detail", "NULL")
                    .set("error", writes.error).set("updated_at", Times.now(clock)).set("ended_at", writes.endedAt)
                    .setTo("failed_turns", "0");
            if (writes.releaseLease) {
                journey.setTo("lease_until", "NULL");
            }
            statements.add(new Dialect.SqlStatement("UPDATE journeys SET " + journey.sql() + " WHERE id = ? AND visits = ?",
                    journey.paramsThen(writes.journeyId, writes.startVisits)));
        } else if (writes.releaseLease) {
            statements.add(new Dialect.SqlStatement("UPDATE journeys SET lease_until = NULL WHERE id = ?", List.of(writes.journeyId)));
        }
        return statements;
    }

    /**
     * Journeys waiting on these messages, for their statuses or for replies to them ({@code kind}), with the keys they
     * wait for.
     */
    List<Row> waitingOnMessages(List<UUID> messageIds, String kind) {
        List<Row> waiting = new ArrayList<>();
        for (List<UUID> chunk : SqlLists.inChunks(messageIds)) {
            List<Object> params = new ArrayList<>(chunk);
            params.add(kind);
            waiting.addAll(jdbc.sql("SELECT " + COLUMNS + " FROM journeys WHERE waiting_message_id IN ("
                            + SqlLists.placeholders(chunk.size()) + ") AND state = 'WAITING' AND waiting_kind = ? AND decision IS NULL")
                    .params(params).query(this::row).list());
        }
        return waiting;
    }

    List<Row> waitingForReply(UUID contactId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM journeys WHERE contact_id = ? AND state = 'WAITING'"
                        + " AND waiting_kind = 'REPLY' AND decision IS NULL")
                .param(contactId).query(this::row).list();
    }

    /** A status's decision for a journey waiting on that message's status. */
    record StatusDecision(UUID journeyId, UUID messageId, String branch) {}

    /**
     * Records the decisions journeys waited for, once: the first decisive event wins, and only while the journey
     * still waits on that message (not if it moved on meanwhile, e.g. by a timeout). A decided journey stays waiting,
     * due now, and leaves its step by the decided branch when the engine takes it. One JDBC batch for all; returns
     * how many journeys were decided.
     */
    int decideStatuses(List<StatusDecision> decisions) {
        if (decisions.isEmpty()) {
            return 0;
        }
        OffsetDateTime dueAt = decidedDueAt();
        OffsetDateTime fallbackDueAt = fallbackDueAt();
        OffsetDateTime now = Times.now(clock);
        List<Object[]> rows = decisions.stream().map(d -> new Object[] {d.branch(), LEADS_TO_A_FALLBACK.contains(d.branch())
                ? fallbackDueAt : dueAt, now, d.journeyId(), d.messageId()}).toList();
        int decided = 0;
        for (int count : batches.batchUpdate("UPDATE journeys SET decision = ?, decision_detail = NULL, wake_at = ?, updated_at = ?"
                + " WHERE id = ? AND state = 'WAITING' AND waiting_kind = 'STATUS' AND waiting_message_id = ? AND decision IS NULL", rows)) {
            decided += count > 0 || count == Statement.SUCCESS_NO_INFO ? 1 : 0;
        }
        return decided;
    }

    /** Records a reply's decision for a journey waiting for a reply, once (see {@link #decideStatuses}). */
    boolean decideReply(UUID journeyId, String decision, String detail) {
        return jdbc.sql("UPDATE journeys SET decision = ?, decision_detail = ?, wake_at = ?, updated_at = ?"
                        + " WHERE id = ? AND state = 'WAITING' AND waiting_kind = 'REPLY' AND decision IS NULL")
                .params(decision, detail, decidedDueAt(), Times.now(clock), journeyId)
                .update() > 0;
    }

    /**
     * When a decided journey is due: an hour back, because the engine takes due journeys oldest first, and a decided
     * one (e.g. a failed message waiting for its fallback) should not queue behind every journey started meanwhile.
     */
    private OffsetDateTime decidedDueAt() {
        return Times.utc(clock.instant().minus(Duration.ofHours(1)));
    }

    /** The status branches whose contact was not reached: what follows them is usually a fallback. */
    private static final Set<String> LEADS_TO_A_FALLBACK = Set.of("failed", "blocked");

    /**
     * When a journey decided by a failed (or blocked) message is due: an hour before the other decided ones, so that
     * its fallback is claimed ahead of the journeys whose message got through, whose next steps can wait a little
     * (under load it halved the p90 and p99 of a fallback's wait for its claim: PERFORMANCE.md, 2026-12-03 from 11:38).
     */
    private OffsetDateTime fallbackDueAt() {
        return Times.utc(clock.instant().minus(Duration.ofHours(2)));
    }

    List<JourneyStep> path(UUID journeyId, int afterSeq, int limit) {
        return jdbc.sql("SELECT seq, step_id, entered_at, left_at, branch, outcome, message_id FROM journey_steps"
                        + " WHERE journey_id = ? AND seq > ? ORDER BY seq LIMIT ?")
                .param(journeyId).param(afterSeq).param(limit)
                .query((rs, n) -> new JourneyStep(rs.getInt("seq"), rs.getString("step_id"), Times.instant(rs, "entered_at"),
                        Times.instant(rs, "left_at"), rs.getString("branch"), rs.getString("outcome"),
                        rs.getObject("message_id", UUID.class)))
                .list();
    }

    /**
     * A page of the journeys of these versions, oldest first, those after {@code after} (null: from the first), read
     * as {@link OldestFirst} says.
     */
    List<Journey> ofVersions(List<UUID> versionIds, String state, String currentStep, Journey after, int limit, int offset) {
        if (versionIds.isEmpty()) {
            return List.of();
        }
        OldestFirst page = ofVersionsQuery(versionIds, state, currentStep,
                after == null ? null : new OldestFirst.After(after.startedAt(), after.id()), limit, offset);
        return jdbc.sql(page.sql())
                .params(page.params()).query(this::row).list().stream().map(Row::journey).toList();
    }

    /**
     * The query of {@link #ofVersions}: a step's journeys through journeys_by_version_state_step in its order (V39), one
     * part per state when none is given; otherwise through journeys_by_version_start, filtered by the state if given.
     */
    OldestFirst ofVersionsQuery(List<UUID> versionIds, String state, String currentStep,
                                                OldestFirst.After after, int limit, int offset) {
        String upperState = state == null ? null : state.toUpperCase(Locale.ROOT);
        if (currentStep != null) {
            List<String> states = upperState != null ? List.of(upperState) : Journey.STATES;
            String select = "SELECT " + COLUMNS + " FROM " + dialect.readThrough("journeys", "journeys_by_version_state_step");
            return OldestFirst.ofVersions(select, "started_at", versionIds, List.of("state", "current_step"),
                    states.stream().map(each -> List.<Object>of(each, currentStep)).toList(), "", List.of(), after, limit,
                    offset);
        }
        return OldestFirst.ofVersions("SELECT " + COLUMNS + " FROM journeys", "started_at", versionIds,
                upperState == null ? "" : " AND state = ?", upperState == null ? List.of() : List.of(upperState), after,
                limit, offset);
    }

    /**
     * A page of a contact's journeys, newest first, all of them or those in one state, after {@code after} (null: from
     * the newest). A contact has few journeys (journeys_by_contact finds them; they are sorted as read), even one an
     * event starts for each of its orders over the years.
     */
    List<Journey> ofContact(UUID contactId, String state, Journey after, int limit) {
        Map<String, Object> equal = new LinkedHashMap<>();
        equal.put("contact_id", contactId);
        if (state != null) {
            equal.put("state", state.toUpperCase(Locale.ROOT));
        }
        NewestFirst page = NewestFirst.of("SELECT " + COLUMNS + " FROM journeys",
                "started_at", equal, after == null ? null : new OldestFirst.After(after.startedAt(), after.id()),
                limit, 0);
        return jdbc.sql(page.sql()).params(page.params()).query(this::row).list().stream().map(Row::journey).toList();
    }

    /** A version's step rows by step and branch; on H2 read from an index alone (V40). */
    static final String COUNT_STEPS = "SELECT step_id, branch, COUNT(*) AS n FROM journey_steps WHERE flow_version_id = ?"
            + " GROUP BY step_id, branch";

    FlowCounts counts(UUID versionId) {
        Map<String, FlowCounts.StepCounts> steps = new TreeMap<>();
        Map<String, Long> entered = new HashMap<>();
        Map<String, Map<String, Long>> branches = new HashMap<>();
        // One pass over the step rows gives both: a step's entries are the sum of its branches' (a branch of null is
        // a step not left yet, or one left without a branch). Two passes took twice as long: 0.7 s for 6 million rows.
        jdbc.sql(COUNT_STEPS).param(versionId).query(rs -> {
            String step = rs.getString("step_id");
            entered.merge(step, rs.getLong("n"), Long::sum);
            if (rs.getString("branch") != null) {
                branches.computeIfAbsent(step, k -> new TreeMap<>()).put(rs.getString("branch"), rs.getLong("n"));
            }
        });
        Map<String, Long> waiting = new HashMap<>();
        Map<String, Long> states = new HashMap<>();
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
                states.getOrDefault(Journey.ENDED, 0L), states.getOrDefault(Journey.FAILED, 0L),
                states.getOrDefault(Journey.CANCELLED, 0L));
    }

    private Row row(ResultSet rs, int rowNum) throws SQLException {
        Journey journey = new Journey(rs.getObject("id", UUID.class), rs.getObject("flow_version_id", UUID.class),
                rs.getObject("contact_id", UUID.class), rs.getString("state"), rs.getString("current_step"), rs.getInt("visits"),
                json.readValue(rs.getString("variables"), VARIABLES), Times.instant(rs, "wake_at"), rs.getString("waiting_kind"),
                rs.getObject("waiting_message_id", UUID.class), rs.getString("decision"), rs.getString("error"),
                Times.instant(rs, "started_at"), Times.instant(rs, "updated_at"), Times.instant(rs, "ended_at"));
        return new Row(journey, rs.getString("waiting_for"), rs.getString("decision_detail"), rs.getInt("failed_turns"));
    }
}
