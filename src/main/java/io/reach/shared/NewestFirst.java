package io.reach.shared;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SQL of a page of rows, newest first (by a time column, then id), of the rows whose columns have the given
 * values, after a row: read backwards along an index on (the first such column, time, id) or (time, id), so that any
 * page costs what the first does.
 */
public record NewestFirst(String sql, List<Object> params) {

    /** Two columns and their values, in this order (the first leads the index read): {@code equal} for {@link #of}. */
    public static Map<String, Object> equal(String first, Object firstValue, String second, Object secondValue) {
        Map<String, Object> equal = new LinkedHashMap<>();
        equal.put(first, firstValue);
        equal.put(second, secondValue);
        return equal;
    }

    /**
     * @param select the columns and table ({@code "SELECT a, b FROM t"}), which has {@code id} and {@code timeColumn}
     * @param equal  columns and the value each must have, in order (the first leads the index read); none for all rows
     * @param after  null from the newest row
     * @param offset rows skipped after {@code after} (read past, not skipped in the index)
     */
    public static NewestFirst of(String select, String timeColumn, Map<String, Object> equal, OldestFirst.After after,
                                 int limit, int offset) {
        // A range on the time even on the first page, and the filter's column first in the order (it is one value):
        // the words that make H2 read the index backwards in its order rather than sort what matches; PostgreSQL
        // reads the index either way.
        List<Object> params = new ArrayList<>();
        StringBuilder sql = new StringBuilder(select + " WHERE " + timeColumn + " <= ?");
        params.add(Times.utc(after == null ? Times.END_OF_TIME : after.time()));
        if (after != null) {
            sql.append(" AND (").append(timeColumn).append(" < ? OR id < ?)");
            params.add(Times.utc(after.time()));
            params.add(after.id());
        }
        equal.forEach((column, value) -> {
            sql.append(" AND ").append(column).append(" = ?");
            params.add(value);
        });
        String leading = equal.isEmpty() ? "" : equal.keySet().iterator().next() + " DESC, ";
        sql.append(" ORDER BY ").append(leading).append(timeColumn).append(" DESC, id DESC LIMIT ? OFFSET ?");
        params.add(limit);
        params.add(offset);
        return new NewestFirst(sql.toString(), params);
    }
}
