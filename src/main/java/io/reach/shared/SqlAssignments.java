package io.reach.shared;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The SET list of an UPDATE whose nulls are written into its SQL instead of being bound. The PostgreSQL driver binds
 * a null untyped and a value with its type, and parses a prepared statement again when a parameter's type changes
 * from one call to the next: an UPDATE whose nulls move between columns (a journey that waits, then moves, then ends)
 * was parsed and planned on nearly every call. Each pattern of nulls is a statement text of its own, with fixed types.
 */
public final class SqlAssignments {

    private final List<String> assignments = new ArrayList<>();
    private final List<Object> params = new ArrayList<>();

    /** {@code column = ?}, or {@code column = NULL} when the value is null. */
    public SqlAssignments set(String column, Object value) {
        if (value == null) {
            assignments.add(column + " = NULL");
        } else {
            assignments.add(column + " = ?");
            params.add(value);
        }
        return this;
    }

    /** {@code column = ?}, or nothing when the value is null: the column keeps what it holds. */
    public SqlAssignments setUnlessNull(String column, Object value) {
        if (value != null) {
            set(column, value);
        }
        return this;
    }

    /** {@code column = expression}, an expression without parameters (e.g. {@code NULL}). */
    public SqlAssignments setTo(String column, String expression) {
        assignments.add(column + " = " + expression);
        return this;
    }

    public boolean isEmpty() {
        return assignments.isEmpty();
    }

    /** {@code a = ?, b = NULL, …}, for after SET. */
    public String sql() {
        return String.join(", ", assignments);
    }

    /** The SET list's parameters, then {@code more} (those of the WHERE clause). */
    public List<Object> paramsThen(Object... more) {
        List<Object> all = new ArrayList<>(params);
        Collections.addAll(all, more);
        return all;
    }
}
