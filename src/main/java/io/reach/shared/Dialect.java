package io.reach.shared;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.springframework.dao.DuplicateKeyException;
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
        public int[] insertAllUnlessDuplicate(org.springframework.jdbc.core.JdbcTemplate batches, String insertSql,
                                              String conflictColumns, java.util.List<Object[]> rows) {
            // A duplicate fails the batch (DuplicateKeyException), and the rows before it stay in the transaction.
            return batches.batchUpdate(insertSql, rows);
        }
    },
    POSTGRESQL {
        @Override
        public boolean insertUnlessDuplicate(JdbcClient jdbc, String insertSql, String conflictColumns, Object... params) {
            // A failed statement would abort the whole PostgreSQL transaction, so the conflict is declared instead.
            return jdbc.sql(insertSql + " ON CONFLICT (" + conflictColumns + ") DO NOTHING").params(params).update() > 0;
        }

        @Override
        public int[] insertAllUnlessDuplicate(org.springframework.jdbc.core.JdbcTemplate batches, String insertSql,
                                              String conflictColumns, java.util.List<Object[]> rows) {
            return batches.batchUpdate(insertSql + " ON CONFLICT (" + conflictColumns + ") DO NOTHING", rows);
        }
    };

    /**
     * Whether a claim ({@code SELECT … ORDER BY … LIMIT n FOR UPDATE SKIP LOCKED}) must be made in two steps: H2 locks
     * every row that meets the claim's condition before it sorts and cuts them to {@code n}, so that with a backlog of a
     * hundred thousand due rows each claim locked (and read) them all, and nobody else could claim any meanwhile. On
     * H2 the candidates are first read without a lock, in index order, then locked by their ids.
     */
    public boolean claimsInTwoSteps() {
        return this == H2;
    }

    /** Runs an INSERT and reports false instead of failing when the row's unique key already exists. */
    public abstract boolean insertUnlessDuplicate(JdbcClient jdbc, String insertSql, String conflictColumns, Object... params);

    /**
     * Runs an INSERT for each row in one JDBC batch; each count is 0 for a row whose unique key already existed
     * (PostgreSQL) — or the whole batch fails with a {@link DuplicateKeyException} (H2), and the caller's transaction
     * must then be rolled back and the rows inserted one by one with {@link #insertUnlessDuplicate}.
     */
    public abstract int[] insertAllUnlessDuplicate(org.springframework.jdbc.core.JdbcTemplate batches, String insertSql,
                                                   String conflictColumns, java.util.List<Object[]> rows);

    public static Dialect of(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            String product = connection.getMetaData().getDatabaseProductName().toLowerCase();
            if (product.contains("postgres")) {
                return POSTGRESQL;
            }
            if (product.contains("h2")) {
                return H2;
            }
            throw new IllegalStateException("Reach runs on H2 or PostgreSQL, not on " + product);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot reach the database to detect its dialect", e);
        }
    }
}
