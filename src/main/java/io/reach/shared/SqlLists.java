package io.reach.shared;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/** The placeholders of an SQL {@code IN (…)} list, so that a set of rows is read or changed in one statement. */
public final class SqlLists {

    private SqlLists() {}

    /** {@code ?, ?, ?} for three values; a list of none is refused (SQL has no empty IN list). */
    public static String placeholders(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("an IN list needs at least one value");
        }
        return String.join(", ", Collections.nCopies(count, "?"));
    }

    /** The most values an {@code IN} list of {@link #inChunks} holds: PostgreSQL takes at most 65,535 parameters a statement. */
    public static final int CHUNK = 1000;

    /**
     * {@code values} in consecutive chunks of at most {@link #CHUNK}, in their order (views of the list): a list that
     * can grow with the data (a broadcast's queued messages) is read or changed a chunk per statement.
     */
    public static <T> List<List<T>> inChunks(List<T> values) {
        List<List<T>> chunks = new ArrayList<>();
        for (int from = 0; from < values.size(); from += CHUNK) {
            chunks.add(values.subList(from, Math.min(values.size(), from + CHUNK)));
        }
        return chunks;
    }

    /** The parameters of a statement like {@code SET x = ? WHERE id IN (…)}: one value, then the list's. */
    public static List<Object> valueThen(Object value, Collection<?> values) {
        List<Object> params = new ArrayList<>(values.size() + 1);
        params.add(value);
        params.addAll(values);
        return params;
    }
}
