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
    },
    POSTGRESQL {
        @Override
        public boolean insertUnlessDuplicate(JdbcClient jdbc, String insertSql, String conflictColumns, Object... params) {
            // A failed statement would abort the whole PostgreSQL transaction, so the conflict is declared instead.
            return jdbc.sql(insertSql + " ON CONFLICT (" + conflictColumns + ") DO NOTHING").params(params).update() > 0;
        }
    };

    /** Runs an INSERT and reports false instead of failing when the row's unique key already exists. */
    public abstract boolean insertUnlessDuplicate(JdbcClient jdbc, String insertSql, String conflictColumns, Object... params);

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
