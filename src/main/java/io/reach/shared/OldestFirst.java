package io.reach.shared;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The SQL of a page of rows, oldest first (by a time column, then id), of several flow versions, after a row: each
 * version's rows are read in the order of an index on (flow_version_id, time, id) and cut at the page's end before
 * they are merged, so that any page of a million rows costs what the first does.
 */
public record OldestFirst(String sql, List<Object> params) {

    /** The row a page starts after: its time and id. */
    public record After(Instant time, Object id) {}

    /**
     * @param select the columns and table ({@code "SELECT a, b FROM t"}), which has {@code flow_version_id}, {@code id}
     *               and {@code timeColumn}
     * @param filter more conditions ({@code " AND state = ?"}) with their {@code filterParams}, or {@code ""}
     * @param after  null from the first row
     */
    public static OldestFirst ofVersions(String select, String timeColumn, List<UUID> versionIds, String filter,
                                         List<Object> filterParams, After after, int limit, int offset) {
        return ofVersions(select, timeColumn, versionIds, List.of(), List.of(List.of()), filter, filterParams, after,
                limit, offset);
    }

    /**
     * As above, read through an index on (flow_version_id, {@code fixedColumns}…, time, id): one part per version and
     * per tuple of {@code fixedValues} (the fixed columns' values, in their order), each part's rows in that index's
     * order, which is their time order as well, so that each part reads at most a page; a column left free (a step's
     * journeys in any state) is fixed to each of its values in turn. {@code select} names that index to H2
     * ({@link Dialect#readThrough}): with the same conditions H2 may take another index and sort every row they match.
     */
    public static OldestFirst ofVersions(String select, String timeColumn, List<UUID> versionIds, List<String> fixedColumns,
                                         List<List<Object>> fixedValues, String filter, List<Object> filterParams,
                                         After after, int limit, int offset) {
        String fixedOrder = fixedColumns.stream().map(column -> column + ", ").collect(Collectors.joining());
        String fixedEqual = fixedColumns.stream().map(column -> " AND " + column + " = ?")
                .collect(Collectors.joining());
        List<Object> params = new ArrayList<>();
        List<String> parts = new ArrayList<>();
        for (UUID versionId : versionIds) {
            for (List<Object> values : fixedValues) {
                // A range on the time, even from 1970 on the first page, and the index's own order (its leading
                // columns fixed here) make H2 read the index in order: without them it took another index and sorted,
                // seconds over a million rows; PostgreSQL reads the index either way.
                StringBuilder part = new StringBuilder("(" + select + " WHERE flow_version_id = ?" + fixedEqual + filter
                        + " AND " + timeColumn + " >= ?");
                params.add(versionId);
                params.addAll(values);
                params.addAll(filterParams);
                params.add(Times.utc(after == null ? Instant.EPOCH : after.time()));
                if (after != null) {
                    part.append(" AND (" + timeColumn + " > ? OR id > ?)");
                    params.add(Times.utc(after.time()));
                    params.add(after.id());
                }
                part.append(" ORDER BY flow_version_id, " + fixedOrder + timeColumn + ", id LIMIT ?)");
                params.add(limit + offset);
                parts.add(part.toString());
            }
        }
        params.add(limit);
        params.add(offset);
        return new OldestFirst("SELECT * FROM (" + String.join(" UNION ALL ", parts) + ") page ORDER BY " + timeColumn
                + ", id LIMIT ? OFFSET ?", params);
    }
}
