package io.reach.journey;

import io.reach.contact.Contact;
import io.reach.flow.JsonTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fills {@code {{…}}} placeholders of a flow's texts. A placeholder names a value — {@code contact.<attribute>},
 * {@code contact.phone}, {@code event.<property>} or a journey variable — then optional modifiers after "|": a text
 * case (CapitalizeFirst, CapitalizeAllFirst, UPPERCASE, lowercase, regular) and {@code default: text} used when
 * the value is empty. A placeholder with no value and no default is reported as missing, by name.
 */
final class Placeholders {

    private static final Pattern PLACEHOLDER = JsonTemplate.PLACEHOLDER;

    /** The text with its placeholders filled, and the placeholders that had no value. */
    record Filled(String text, List<String> missing) {
        boolean complete() {
            return missing.isEmpty();
        }
    }

    private Placeholders() {}

    static Filled fill(String text, Contact contact, Map<String, String> variables) {
        return fill(text, contact, variables, UnaryOperator.identity());
    }

    /** Like {@link #fill(String, Contact, Map)}, passing each value through {@code escape} (e.g. URL encoding). */
    static Filled fill(String text, Contact contact, Map<String, String> variables, UnaryOperator<String> escape) {
        if (text == null) {
            return new Filled(null, List.of());
        }
        List<String> missing = new ArrayList<>();
        Matcher matcher = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            matcher.appendReplacement(out, Matcher.quoteReplacement(escape.apply(value(matcher.group(1), contact, variables, missing))));
        }
        matcher.appendTail(out);
        return new Filled(out.toString(), List.copyOf(missing));
    }

    /** A JSON text's placeholders filled so that it stays JSON whatever the values hold (see {@link JsonTemplate#fill}). */
    static Filled fillJson(String text, Contact contact, Map<String, String> variables) {
        if (text == null) {
            return new Filled(null, List.of());
        }
        List<String> missing = new ArrayList<>();
        String filled = JsonTemplate.fill(text, inner -> value(inner, contact, variables, missing));
        return new Filled(filled, List.copyOf(missing));
    }

    /** The value of the placeholder {@code {{inner}}}, its modifiers applied; "" and named in {@code missing} when it has none. */
    private static String value(String inner, Contact contact, Map<String, String> variables, List<String> missing) {
        String[] parts = inner.split("\\|");
        String name = parts[0].trim();
        String value = lookup(name, contact, variables);
        String fallback = null;
        String textCase = "regular";
        for (int i = 1; i < parts.length; i++) {
            String modifier = parts[i].trim();
            if (modifier.toLowerCase(Locale.ROOT).startsWith("default:")) {
                fallback = modifier.substring("default:".length()).trim();
            } else {
                textCase = modifier;
            }
        }
        if (value == null || value.isEmpty()) {
            value = fallback;
        }
        if (value == null) {
            missing.add("{{" + name + "}}");
            return "";
        }
        return applyCase(value, textCase);
    }

    static String lookup(String name, Contact contact, Map<String, String> variables) {
        if (name.equals("contact.phone")) {
            return contact.phone();
        }
        if (name.startsWith("contact.")) {
            return contact.attributes().get(name.substring("contact.".length()));
        }
        return variables.get(name);
    }

    static String applyCase(String value, String textCase) {
        return switch (textCase) {
            case "UPPERCASE" -> value.toUpperCase(Locale.ROOT);
            case "lowercase" -> value.toLowerCase(Locale.ROOT);
            case "CapitalizeFirst" -> value.isEmpty() ? value
                    : value.substring(0, 1).toUpperCase(Locale.ROOT) + value.substring(1).toLowerCase(Locale.ROOT);
            case "CapitalizeAllFirst" -> {
                StringBuilder words = new StringBuilder();
                boolean start = true;
                for (char c : value.toLowerCase(Locale.ROOT).toCharArray()) {
                    words.append(start ? Character.toUpperCase(c) : c);
                    start = Character.isWhitespace(c) || c == '-';
                }
                yield words.toString();
            }
            default -> value;
        };
    }
}
