package io.reach.sandbox;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What the sandbox remembers of the traffic it saw: the last {@code limit} records in arrival order, the oldest
 * forgotten first, each found by any of its keys without a scan. A sandbox left running under a load test for days
 * must not grow with the traffic, nor slow down with it (a list scanned on every request did both).
 */
final class Recent<T> {

    private final int limit;
    private final List<Function<T, String>> keys;
    private final ArrayDeque<T> records = new ArrayDeque<>();
    private final List<Map<String, ArrayDeque<T>>> indexes = new ArrayList<>();

    /** {@code keys}: how each record is looked up; a key that gives null leaves the record out of that index. */
    @SafeVarargs
    Recent(int limit, Function<T, String>... keys) {
        if (limit < 1) {
            throw new IllegalArgumentException("the sandbox must remember at least one record, not " + limit);
        }
        this.limit = limit;
        this.keys = List.of(keys);
        for (int i = 0; i < keys.length; i++) {
            indexes.add(new HashMap<>());
        }
    }

    synchronized void add(T record) {
        records.addLast(record);
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i).apply(record);
            if (key != null) {
                indexes.get(i).computeIfAbsent(key, k -> new ArrayDeque<>()).addLast(record);
            }
        }
        if (records.size() > limit) {
            forget(records.removeFirst());
        }
    }

    /** Everything remembered, oldest first. */
    synchronized List<T> all() {
        return List.copyOf(records);
    }

    /** The records remembered under this value of key number {@code key} (in the constructor's order), oldest first. */
    synchronized List<T> find(int key, String value) {
        ArrayDeque<T> found = indexes.get(key).get(value);
        return found == null ? List.of() : List.copyOf(found);
    }

    // The oldest record overall is also the oldest under each of its keys.
    private void forget(T oldest) {
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i).apply(oldest);
            if (key == null) {
                continue;
            }
            ArrayDeque<T> same = indexes.get(i).get(key);
            same.removeFirst();
            if (same.isEmpty()) {
                indexes.get(i).remove(key);
            }
        }
    }

    /**
     * A map that keeps its {@code limit} most recently added keys and forgets older ones, for the sandbox's idempotency
     * keys and per-recipient facts. Its compound operations ({@code computeIfAbsent}, {@code merge}) are atomic.
     */
    static <K, V> Map<K, V> map(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("the sandbox must remember at least one key, not " + limit);
        }
        return Collections.synchronizedMap(new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > limit;
            }
        });
    }
}
