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

    /** The parameters of a statement like {@code SET x = ? WHERE id IN (…)}: one value, then the list's. */
    public static List<Object> valueThen(Object value, Collection<?> values) {
        List<Object> params = new ArrayList<>(values.size() + 1);
        params.add(value);
        params.addAll(values);
        return params;
    }
}
