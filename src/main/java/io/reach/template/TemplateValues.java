package io.reach.template;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import tools.jackson.databind.JsonNode;

/**
 * The values of a template's header or body placeholders, as JSON gives them: a list, in the placeholders' order
 * ({@code {{1}}, {{2}}, …}; named ones in the order they first appear), or an object by name
 * ({@code {"first_name": "Anna"}}) for a template whose placeholders are named. Exactly one of the two is set.
 */
public record TemplateValues(List<String> list, Map<String, String> byName) {

    /** How the API's documentation describes a field of these values. */
    public static final String DESCRIPTION = "the values of the placeholders: a list of texts in their order ({{1}},"
            + " {{2}}, …), or, for a template with named placeholders, an object of texts by name"
            + " ({\"first_name\": \"Anna\"})";

    public static final TemplateValues NONE = new TemplateValues(List.of(), null);

    public TemplateValues {
        if ((list == null) == (byName == null)) {
            throw new IllegalArgumentException("either a list or values by name");
        }
        // Nulls are kept (List.copyOf would throw on them): rendering names each one as a field problem.
        list = list == null ? null : Collections.unmodifiableList(new ArrayList<>(list));
        byName = byName == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(byName));
    }

    /** The values in a list; none for {@code null}. */
    public static TemplateValues of(List<String> values) {
        return values == null ? NONE : new TemplateValues(values, null);
    }

    /** The values by placeholder name. */
    public static TemplateValues named(Map<String, String> values) {
        return new TemplateValues(null, values);
    }

    /** A JSON array of texts, or an object of texts; a text may be written as a number or a boolean. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static TemplateValues fromJson(JsonNode node) {
        if (node.isArray()) {
            List<String> values = new ArrayList<>();
            node.forEach(value -> values.add(text(value)));
            return new TemplateValues(values, null);
        }
        if (node.isObject()) {
            Map<String, String> values = new LinkedHashMap<>();
            node.properties().forEach(entry -> values.put(entry.getKey(), text(entry.getValue())));
            return new TemplateValues(null, values);
        }
        throw new IllegalArgumentException("give a list of texts, or an object of texts by placeholder name");
    }

    private static String text(JsonNode value) {
        if (value.isNull()) {
            return null;
        }
        if (!value.isValueNode()) {
            throw new IllegalArgumentException("each value is a text, not " + (value.isArray() ? "a list" : "an object"));
        }
        // As io.reach.shared.TextWithoutNul refuses it in every other text a client sends: PostgreSQL cannot store it.
        if (value.asString().indexOf('\u0000') >= 0) {
            throw new IllegalArgumentException("must not contain the NUL character (U+0000)");
        }
        return value.asString();
    }

    @JsonValue
    Object json() {
        return byName != null ? byName : list;
    }

    public boolean isNamed() {
        return byName != null;
    }

    public int size() {
        return list != null ? list.size() : byName.size();
    }

    public boolean isEmpty() {
        return list != null ? list.isEmpty() : byName.isEmpty();
    }

    /** The values as given, for checks that look at each: the list's, or those by name in their order. */
    public List<String> values() {
        return list != null ? list : Collections.unmodifiableList(new ArrayList<>(byName.values()));
    }

    /** Where each value is, for a field problem: {@code field[0]}, or {@code field.first_name}. */
    public List<String> fields(String field) {
        List<String> fields = new ArrayList<>();
        if (list != null) {
            for (int i = 0; i < list.size(); i++) {
                fields.add(field + "[" + i + "]");
            }
        } else {
            byName.keySet().forEach(name -> fields.add(field + "." + name));
        }
        return fields;
    }

    /** The same values, each changed by {@code change} (a flow's placeholders filled in); a null stays null. */
    public TemplateValues map(UnaryOperator<String> change) {
        UnaryOperator<String> orNull = value -> value == null ? null : change.apply(value);
        if (list != null) {
            return new TemplateValues(list.stream().map(orNull).toList(), null); // Stream.toList keeps nulls
        }
        Map<String, String> changed = new LinkedHashMap<>();
        byName.forEach((name, value) -> changed.put(name, orNull.apply(value)));
        return new TemplateValues(null, changed);
    }
}
