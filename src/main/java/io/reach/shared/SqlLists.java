package io.reach.shared;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A set of values as one array parameter, for {@code column = ANY(?)}, so that a set of rows is read or changed in one
 * statement. One statement text serves any number of values, and the database parses and plans it once per connection;
 * an {@code IN (?, ?, …)} list is a new statement for each length, parsed and planned again and again.
 */
public final class SqlLists {

    private SqlLists() {}

    /**
     * The values as an array of their own type ({@code UUID[]}, {@code String[]}, {@code Long[]}), which both H2's and
     * PostgreSQL's drivers bind as an array of the matching SQL type; an empty list is refused (its type is unknown).
     */
    public static Object[] array(Collection<?> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("an array parameter needs at least one value");
        }
        Class<?> type = values.iterator().next().getClass();
        return values.toArray((Object[]) java.lang.reflect.Array.newInstance(type, values.size()));
    }

    /** The parameters of a statement like {@code SET x = ? WHERE id = ANY(?)}: one value, then the list's array. */
    public static List<Object> valueThen(Object value, Collection<?> values) {
        List<Object> params = new ArrayList<>(2);
        params.add(value);
        params.add(array(values));
        return params;
    }
}
