package io.reach.shared;

import java.sql.SQLException;

/**
 * Reach could not open a connection to its database as it started (PostgreSQL down or elsewhere, a wrong user or
 * password, a missing database; H2's file held by another process). {@link DatabaseUnreachableAtStartAnalyzer} says
 * so, and what to do, when Reach fails to start.
 */
class DatabaseUnreachableAtStart extends IllegalStateException {

    DatabaseUnreachableAtStart(SQLException cause) {
        super("Cannot reach the database to detect its dialect", cause);
    }

    SQLException sqlException() {
        return (SQLException) getCause();
    }
}
