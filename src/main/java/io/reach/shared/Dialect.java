package io.reach.shared;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.ArgumentPreparedStatementSetter;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowCallbackHandler;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The one seam for what differs between H2 and PostgreSQL. Everything else is plain SQL that both run.
 */
public enum Dialect {
    H2 {
        @Override
        public boolean insertUnlessDuplicate(JdbcClient jdbc, String insertSql, String conflictColumns, Object... params) {
            // H2 keeps the transaction usable after a failed statement, so the unique key can decide.
            try {
                return jdbc.sql(insertSql).params(params).update() > 0;
            } catch (DuplicateKeyException duplicate) {
                return false;
            }
        }

        @Override
        public int[] insertAllUnlessDuplicate(JdbcTemplate batches, String insertSql,
                                              String conflictColumns, List<Object[]> rows) {
            // A duplicate fails the batch (DuplicateKeyException), and the rows before it stay in the transaction.
            return batches.batchUpdate(insertSql, rows);
        }
    },
    POSTGRESQL {
        @Override
        public boolean insertUnlessDuplicate(JdbcClient jdbc, String insertSql, String conflictColumns, Object... params) {
            // A failed statement would abort the whole PostgreSQL transaction, so the conflict is declared instead.
            return jdbc.sql(unlessConflicting(insertSql, conflictColumns)).params(params).update() > 0;
        }

        @Override
        public int[] insertAllUnlessDuplicate(JdbcTemplate batches, String insertSql,
                                              String conflictColumns, List<Object[]> rows) {
            return batches.batchUpdate(unlessConflicting(insertSql, conflictColumns), rows);
        }
    };

    /** Maps a row a claim locked, or gives null when the row, read again under the lock, is no longer due. */
    @FunctionalInterface
    public interface ClaimedRow<T> {
        T map(ResultSet rs) throws SQLException;
    }

    /**
     * Claims up to {@code limit} rows of {@code table} (its key: {@code id}) that are due ({@code WHERE due}, with
     * {@code dueParams}), in {@code order}, locked and skipping those that others hold; the caller's transaction keeps
     * the locks. {@code columns} are what {@code mapper} reads: the row, and what it checks again. {@code order} should
     * be the order of an index whose leading columns {@code due} fixes or bounds: the claim then reads that index in
     * order and stops at its limit.
     * <p>
     * On PostgreSQL this is one {@code SELECT … ORDER BY … LIMIT n FOR UPDATE SKIP LOCKED}, planned in the index's
     * order whatever the table's statistics say (bitmap scans and sorts off for that statement alone, in the same
     * round trip: see {@code IN_INDEX_ORDER}). H2 evaluates that statement
     * by locking every row that meets the condition before it sorts them and cuts them to n: with a backlog of a
     * hundred thousand due rows each claim read and locked them all, and nobody else could claim any meanwhile. So on
     * H2 the candidates are read without a lock (in the order of an index, when {@code order} is that index's), then
     * locked by their ids, and {@code mapper} drops those that changed in between (another claim's lease, a row that
     * moved on).
     */
    public <T> List<T> claim(JdbcTemplate jdbc, String table, String columns, String due, List<Object> dueParams,
                                       String order, int limit, ClaimedRow<T> mapper) {
        List<Object> params = new ArrayList<>(dueParams);
        params.add(limit);
        String select = " FROM " + table + " WHERE " + due + " ORDER BY " + order + " LIMIT ?";
        if (this != H2) {
            return inIndexOrder(jdbc, "SELECT " + columns + select + " FOR UPDATE SKIP LOCKED", params, mapper).stream()
                    .filter(Objects::nonNull).toList();
        }
        List<Object> candidates = jdbc.query("SELECT id" + select, (rs, n) -> rs.getObject(1), params.toArray());
        if (candidates.isEmpty()) {
            return List.of();
        }
        Map<Object, T> locked = new HashMap<>();
        jdbc.query("SELECT " + columns + " FROM " + table + " WHERE id IN (" + SqlLists.placeholders(candidates.size())
                        + ") FOR UPDATE SKIP LOCKED", (RowCallbackHandler) rs -> {
                    T row = mapper.map(rs);
                    if (row != null) {
                        locked.put(rs.getObject("id"), row);
                    }
                }, candidates.toArray());
        return candidates.stream().map(locked::get).filter(Objects::nonNull).toList();
    }

    /**
     * Claims rows as {@link #claim} does, and changes them in the same go ({@code set}: an SQL SET list, with
     * {@code setParams}, e.g. their lease); {@code mapper} reads each row as the change left it. On PostgreSQL one
     * statement, {@code WITH due AS MATERIALIZED (SELECT id … ORDER BY … LIMIT n FOR UPDATE SKIP LOCKED) UPDATE … FROM
     * due … RETURNING …}, instead of a claim and an update: one round trip fewer; planned in the index's order as
     * {@link #claim} is. Its rows come in no particular order. On H2 the claim (with {@code stillDue} checking each
     * locked row, see {@link #claim}), the update, then a read of the rows, in the claim's order.
     */
    public <T> List<T> claimAndSet(JdbcTemplate jdbc, String table, String columns, String due,
                                             List<Object> dueParams, String order, int limit, String set,
                                             List<Object> setParams, ClaimedRow<Boolean> stillDue,
                                             ClaimedRow<T> mapper) {
        if (this != H2) {
            List<Object> params = new ArrayList<>(dueParams);
            params.add(limit);
            params.addAll(setParams);
            // The claimed ids drive the update, one index lookup each, whatever the planner believes of the table's
            // size: written "WHERE id = ANY(ARRAY(SELECT …))", the plan PostgreSQL keeps for the prepared statement
            // could be a scan of the whole table, chosen while it still looked small (before its first ANALYZE) and
            // kept as it grew. A materialized CTE is evaluated once, so its rows are locked once.
            return inIndexOrder(jdbc, "WITH due (due_id) AS MATERIALIZED (SELECT id FROM " + table + " WHERE " + due
                    + " ORDER BY " + order + " LIMIT ? FOR UPDATE SKIP LOCKED) UPDATE " + table + " SET " + set
                    + " FROM due WHERE " + table + ".id = due.due_id RETURNING " + columns, params, mapper);
        }
        List<Object> ids = claim(jdbc, table, columns, due, dueParams, order, limit,
                rs -> Boolean.TRUE.equals(stillDue.map(rs)) ? rs.getObject("id") : null);
        if (ids.isEmpty()) {
            return List.of();
        }
        String in = SqlLists.placeholders(ids.size());
        List<Object> params = new ArrayList<>(setParams);
        params.addAll(ids);
        jdbc.update("UPDATE " + table + " SET " + set + " WHERE id IN (" + in + ")", params.toArray());
        Map<Object, T> changed = new HashMap<>();
        jdbc.query("SELECT " + columns + " FROM " + table + " WHERE id IN (" + in + ")",
                (RowCallbackHandler) rs -> {
                    changed.put(rs.getObject("id"), mapper.map(rs));
                }, ids.toArray());
        return ids.stream().map(changed::get).toList();
    }

    /*
     * What a claim on PostgreSQL is sent between, in the same round trip: before it, bitmap scans and sorts are turned
     * off, so that its plan reads the index of its order and stops at its limit; after it, they are as they were, so
     * nothing else in the caller's transaction is planned without them. Without statistics (a table not yet analyzed)
     * or with statistics from before a backlog (an audience launch's journeys, a broadcast's messages, all due at
     * once), PostgreSQL may plan a claim for a few rows as a bitmap scan and a sort: every due row read and sorted at
     * each claim (15-60 ms for 20,000-30,000 due rows, against 0.1-0.2 ms). A connection keeps a prepared statement's
     * plan, so a claim must never be planned without these settings.
     */
    private static final String IN_INDEX_ORDER =
            "SELECT set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true);\n";
    private static final String AS_BEFORE = ";\nRESET enable_bitmapscan;\nRESET enable_sort";

    /**
     * Runs a query that reads {@code table} through its primary key, in order, as far as its {@code LIMIT} (a chunk
     * of a long walk through a table, by id), whatever else an index of its conditions offers and whatever the
     * table's statistics say: on PostgreSQL planned as a claim is (bitmap scans and sorts off for that statement
     * alone, in its own round trip); on H2 with the primary key's index named to it ({@code USE INDEX}), since H2
     * prefers an index of an equality condition (a flow version's journeys) and then reads and sorts every row it
     * matches, at every chunk. {@code query} reads {@code FROM table WHERE …}.
     */
    public <T> List<T> queryInPrimaryKeyOrder(JdbcTemplate jdbc, String table, String query,
                                                        List<Object> params, ClaimedRow<T> mapper) {
        if (this != H2) {
            return inIndexOrder(jdbc, query, params, mapper);
        }
        String from = "FROM " + table + " WHERE ";
        if (!query.contains(from)) {
            throw new IllegalArgumentException("The query does not read " + from + "…: " + query);
        }
        // The index's name is H2's own (PRIMARY_KEY_…): read from its catalog at each call, a read in this process
        // beside the chunk's writes.
        String primaryKey = jdbc.queryForObject("SELECT INDEX_NAME FROM INFORMATION_SCHEMA.INDEXES WHERE TABLE_SCHEMA ="
                + " CURRENT_SCHEMA AND TABLE_NAME = ? AND INDEX_TYPE_NAME = 'PRIMARY KEY'", String.class, table.toUpperCase());
        String hinted = query.replace(from, "FROM " + table + " USE INDEX (\"" + primaryKey + "\") WHERE ");
        return jdbc.query(hinted, (rs, n) -> mapper.map(rs), params.toArray());
    }

    /**
     * {@code table} as a query's {@code FROM} names it to be read through {@code index}: on H2 with the index named to
     * it ({@code USE INDEX}), since H2 may take another index of the query's equality conditions (a foreign key's) and
     * then read and sort every row it matches, by a choice that changes with the table's statistics; as it is on
     * PostgreSQL, which reads such an index in order whatever the query's conditions.
     */
    public String readThrough(String table, String index) {
        return this == H2 ? table + " USE INDEX (" + index + ")" : table;
    }

    /**
     * The first row of {@code table} that meets {@code due}, in {@code order}, without a lock: the oldest of a
     * backlog, say. {@code order} should be the order of an index whose leading columns {@code due} fixes or bounds,
     * as for {@link #claim}: the query then reads one entry of that index however long the backlog, on PostgreSQL
     * whatever the table's statistics say (planned as a claim is), on H2 because it reads an index of its order in
     * that order.
     */
    public <T> Optional<T> first(JdbcTemplate jdbc, String table, String columns, String due,
                                           List<Object> dueParams, String order, ClaimedRow<T> mapper) {
        String query = "SELECT " + columns + " FROM " + table + " WHERE " + due + " ORDER BY " + order + " LIMIT 1";
        List<T> rows = this == H2 ? jdbc.query(query, (rs, n) -> mapper.map(rs), dueParams.toArray())
                : inIndexOrder(jdbc, query, dueParams, mapper);
        return rows.stream().findFirst();
    }

    /** Runs a claim's query on PostgreSQL between {@link #IN_INDEX_ORDER} and {@link #AS_BEFORE}, in one round trip. */
    private static <T> List<T> inIndexOrder(JdbcTemplate jdbc, String query, List<Object> params,
                                                      ClaimedRow<T> mapper) {
        return jdbc.execute(IN_INDEX_ORDER + query + AS_BEFORE, (PreparedStatement ps) -> {
            new ArgumentPreparedStatementSetter(params.toArray()).setValues(ps);
            ps.execute();
            if (!ps.getMoreResults()) {
                throw new IllegalStateException("A claim gave no rows to read: " + query);
            }
            List<T> rows = new ArrayList<>();
            try (ResultSet rs = ps.getResultSet()) {
                while (rs.next()) {
                    rows.add(mapper.map(rs));
                }
            }
            return rows;
        });
    }

    /**
     * What a read must end with to wait for a transaction that locked or changed its row, when it follows, in the
     * caller's transaction, the insert of a row that references a row that transaction locked: nothing on PostgreSQL,
     * where the insert already waited (its foreign key check holds the referenced row until the insert's transaction
     * ends, and so is held back by a lock for update); {@code FOR UPDATE} on H2, whose foreign key checks neither take
     * nor wait for a lock. Such a read then sees what that transaction committed.
     */
    public String lockWhereForeignKeyChecksDoNot() {
        return this == H2 ? " FOR UPDATE" : "";
    }

    /** The values of the migrations' placeholders on this database (see {@code InfrastructureConfiguration}). */
    public Map<String, String> migrationPlaceholders() {
        boolean postgres = this == POSTGRESQL;
        return Map.of("concurrently", postgres ? "CONCURRENTLY" : "",
                "where_ordering_key", postgres ? "WHERE ordering_key IS NOT NULL" : "",
                "where_discarded", postgres ? "WHERE discarded_at IS NOT NULL" : "");
    }

    /** A statement with its parameters, one of several that {@link #runTogether} sends at once. */
    public record SqlStatement(String sql, List<Object> params) {
        public SqlStatement {
            params = Collections.unmodifiableList(new ArrayList<>(params)); // nulls allowed
        }
    }

    /**
     * Runs statements together ({@link #runTogether}) and lets the caller's transaction commit without waiting for its
     * log to reach the disk: on PostgreSQL, {@code synchronous_commit} off for this transaction only, sent in the same
     * round trip; on H2, without waiting for its file to be written ({@link DurableCommits}). Only for a transaction
     * that nothing outside the database acts on before a later transaction commits the usual way: that commit's flush
     * takes this one's with it, and a crash of the database forgets at most work that is done again.
     */
    public int[] runTogetherCommittingWithoutWaitingForTheFlush(JdbcTemplate jdbc,
                                                                List<SqlStatement> statements) {
        if (this != POSTGRESQL) {
            DurableCommits.commitWithoutWaiting();
            return runTogether(jdbc, statements);
        }
        List<SqlStatement> all = new ArrayList<>();
        all.add(new SqlStatement("SELECT set_config('synchronous_commit', 'off', true)", List.of()));
        all.addAll(statements);
        int[] counts = runTogether(jdbc, all);
        return Arrays.copyOfRange(counts, 1, counts.length);
    }

    /**
     * Runs statements one after the other in the caller's transaction, as if each were run alone, and gives their
     * update counts (-1 for a query, whose rows are dropped). On PostgreSQL they go in one round trip: its driver
     * sends statements joined by {@code ;} at once, each prepared on its own, and reads their answers after; a
     * transaction's few last writes then cost one wait for the server instead of one each. On H2, which runs in this
     * process, one by one. Consecutive single-row inserts into the same columns go as one multi-row insert
     * ({@link Coalesced}). A failing statement fails the call, and those after it do not run.
     */
    public int[] runTogether(JdbcTemplate jdbc, List<SqlStatement> statements) {
        if (statements.isEmpty()) {
            return new int[0];
        }
        List<Coalesced> coalesced = Coalesced.of(statements);
        int[] counts;
        if (this == POSTGRESQL) {
            counts = execute(jdbc, String.join(";\n", coalesced.stream().map(c -> c.statement().sql()).toList()),
                    coalesced.stream().flatMap(c -> c.statement().params().stream()).toList(), coalesced.size());
        } else {
            counts = coalesced.stream().mapToInt(c -> execute(jdbc, c.statement().sql(), c.statement().params(), 1)[0]).toArray();
        }
        return Coalesced.expand(coalesced, counts);
    }

    /**
     * A statement to run, standing for {@code rows} of the caller's statements: consecutive inserts of single rows into
     * the same columns ({@code INSERT INTO t (…) VALUES (?, …)}, nothing more) are sent as one multi-row insert. Each
     * statement costs the database the same start and finish whatever its rows, so a transaction that writes a
     * callback's status timeline or a turn's step rows pays them once. Such an insert adds every row or fails, so
     * each of the rows it stands for counts one.
     */
    record Coalesced(SqlStatement statement, int rows) {
        private static final Pattern SINGLE_ROW_INSERT =
                Pattern.compile("INSERT INTO \\w+ \\([\\w, ]+\\) VALUES (\\((?:\\?, )*\\?\\))");
        // Well under PostgreSQL's 65,535 parameters a statement.
        private static final int MAX_PARAMS = 30_000;

        static List<Coalesced> of(List<SqlStatement> statements) {
            List<Coalesced> out = new ArrayList<>(statements.size());
            int i = 0;
            while (i < statements.size()) {
                SqlStatement first = statements.get(i);
                int end = i + 1;
                // The SQL is compared first: most statements have no twin after them, and need no pattern.
                Matcher insert = end < statements.size() && statements.get(end).sql().equals(first.sql())
                        ? SINGLE_ROW_INSERT.matcher(first.sql()) : null;
                if (insert != null && insert.matches()) {
                    int params = first.params().size();
                    while (end < statements.size() && statements.get(end).sql().equals(first.sql())
                            && params + first.params().size() <= MAX_PARAMS) {
                        params += first.params().size();
                        end++;
                    }
                }
                if (end - i == 1) {
                    out.add(new Coalesced(first, 1));
                } else {
                    StringBuilder sql = new StringBuilder(first.sql());
                    List<Object> params = new ArrayList<>(first.params());
                    for (int j = i + 1; j < end; j++) {
                        sql.append(", ").append(insert.group(1));
                        params.addAll(statements.get(j).params());
                    }
                    out.add(new Coalesced(new SqlStatement(sql.toString(), params), end - i));
                }
                i = end;
            }
            return out;
        }

        /** The update count of each of the caller's statements, from those of the statements run. */
        static int[] expand(List<Coalesced> coalesced, int[] counts) {
            int rows = coalesced.stream().mapToInt(Coalesced::rows).sum();
            if (rows == counts.length) {
                return counts; // nothing was merged, the usual case
            }
            int[] expanded = new int[rows];
            int next = 0;
            for (int i = 0; i < coalesced.size(); i++) {
                if (coalesced.get(i).rows() == 1) {
                    expanded[next++] = counts[i];
                } else {
                    Arrays.fill(expanded, next, next + coalesced.get(i).rows(), 1);
                    next += coalesced.get(i).rows();
                }
            }
            return expanded;
        }
    }

    /** Runs {@code sql}, which holds {@code count} statements, and gives their update counts (-1 for a query). */
    private static int[] execute(JdbcTemplate jdbc, String sql, List<Object> params, int count) {
        return jdbc.execute(sql, (PreparedStatement ps) -> {
            new ArgumentPreparedStatementSetter(params.toArray()).setValues(ps);
            int[] counts = new int[count];
            boolean isQuery = ps.execute();
            for (int i = 0; i < count; i++) {
                if (i > 0) {
                    isQuery = ps.getMoreResults();
                }
                counts[i] = isQuery ? -1 : ps.getUpdateCount();
            }
            return counts;
        });
    }

    /**
     * Runs an INSERT unless its row's unique key ({@code conflictColumns}) exists, and then, when it inserted, the
     * statements of {@code thenIfInserted}; returns whether it inserted. On PostgreSQL all go in one round trip, run
     * whatever the insert did: each must do nothing unless the inserted row exists (an {@code INSERT … SELECT … WHERE
     * EXISTS} on the new row's fresh id). On H2 they run only after an insert.
     */
    public boolean insertUnlessDuplicateThen(JdbcTemplate jdbc, SqlStatement insert,
                                             String conflictColumns, List<SqlStatement> thenIfInserted) {
        if (this == POSTGRESQL) {
            List<SqlStatement> statements = new ArrayList<>();
            statements.add(new SqlStatement(unlessConflicting(insert.sql(), conflictColumns), insert.params()));
            statements.addAll(thenIfInserted);
            return runTogether(jdbc, statements)[0] > 0;
        }
        if (!insertUnlessDuplicate(JdbcClient.create(jdbc), insert.sql(), conflictColumns, insert.params().toArray())) {
            return false;
        }
        runTogether(jdbc, thenIfInserted);
        return true;
    }

    /** PostgreSQL's INSERT that does nothing when its row's unique key already exists. */
    private static String unlessConflicting(String insertSql, String conflictColumns) {
        return insertSql + " ON CONFLICT (" + conflictColumns + ") DO NOTHING";
    }

    /** Runs an INSERT and reports false instead of failing when the row's unique key already exists. */
    public abstract boolean insertUnlessDuplicate(JdbcClient jdbc, String insertSql, String conflictColumns, Object... params);

    /**
     * Runs an INSERT for each row in one JDBC batch; each count is 0 for a row whose unique key already existed
     * (PostgreSQL) — or the whole batch fails with a {@link DuplicateKeyException} (H2), and the caller's transaction
     * must then be rolled back and the rows inserted one by one with {@link #insertUnlessDuplicate}.
     */
    public abstract int[] insertAllUnlessDuplicate(JdbcTemplate batches, String insertSql,
                                                   String conflictColumns, List<Object[]> rows);

    /**
     * Whether {@link #insertAllUnlessDuplicate} skips the rows whose key exists (PostgreSQL: the unique index decides,
     * row by row) rather than failing the batch (H2), so that a caller need not look the keys up first.
     */
    public boolean insertAllSkipsDuplicates() {
        return this == POSTGRESQL;
    }

    /**
     * Whether {@code failure} is a row's foreign key refused because the row it names is not there (PostgreSQL's
     * SQLState 23503, H2's 23506; H2's 23503 is a row still named by others).
     */
    public boolean isMissingReference(RuntimeException failure) {
        String state = this == POSTGRESQL ? "23503" : "23506";
        return PassingFailures.hasCause(failure, cause -> cause instanceof SQLException sql && state.equals(sql.getSQLState()));
    }

    public static Dialect of(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            return of(connection);
        } catch (SQLException e) {
            throw new DatabaseUnreachableAtStart(e);
        }
    }

    /** The dialect of the database {@code connection} is to (a Java migration's, which has no data source). */
    public static Dialect of(Connection connection) throws SQLException {
        String product = connection.getMetaData().getDatabaseProductName().toLowerCase();
        if (product.contains("postgres")) {
            return POSTGRESQL;
        }
        if (product.contains("h2")) {
            return H2;
        }
        throw new IllegalStateException("Reach runs on H2 or PostgreSQL, not on " + product);
    }
}
