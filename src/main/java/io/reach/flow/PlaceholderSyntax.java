package io.reach.flow;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.text.similarity.LevenshteinDistance;

/**
 * How a flow's texts write their placeholders, {@code {{name | modifier | default: text}}}, and what a document gets
 * wrong in one: a placeholder that is not closed would go to every contact as it is written, braces and all, and a
 * modifier misspelt would be passed over without a word.
 */
public final class PlaceholderSyntax {

    /** A placeholder: {@code {{name | modifiers}}}; group 1 is what is between the braces. */
    public static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([^}]+?)\\s*}}");

    /** The modifiers that set a value's case; {@code regular} leaves it as it is. */
    public static final List<String> TEXT_CASES = List.of("CapitalizeFirst", "CapitalizeAllFirst", "UPPERCASE", "lowercase",
            "regular");

    /** The modifier that gives a value for an empty one: {@code default: text}, its name in any case. */
    public static final String DEFAULT = "default:";

    /** How much of a text a problem quotes. */
    private static final int QUOTED = 60;
    /** The most problems said of one text. */
    private static final int MOST = 10;

    private PlaceholderSyntax() {}

    /** Whether {@code modifier} (trimmed) is a {@code default: text}. */
    public static boolean isDefault(String modifier) {
        return modifier.toLowerCase(Locale.ROOT).startsWith(DEFAULT);
    }

    /**
     * What is wrong with the placeholders of {@code text}, each said with the placeholder it is about: one opened with
     * two braces and not closed with two before the next one opens or the text ends, one that names no value or holds
     * a brace, a modifier that is none. Two closing braces alone are no placeholder's (a JSON body's objects end so).
     */
    static List<String> problems(String text) {
        List<String> problems = new ArrayList<>();
        if (text == null) {
            return problems;
        }
        int open = text.indexOf("{{");
        // The closing braces found last serve until the text passes them, and none found is none for good: each part
        // of the text is read once, however many braces it holds.
        int close = -2;
        while (open >= 0) {
            if (problems.size() == MOST) {
                problems.add("and more: the first " + MOST + " are said");
                break;
            }
            if (close != -1 && close < open + 2) {
                close = text.indexOf("}}", open + 2);
            }
            int next = text.indexOf("{{", open + 2);
            if (close < 0 || (next >= 0 && next < close)) {
                problems.add(quote(text.substring(open, next < 0 ? text.length() : next)) + " opens a placeholder with {{"
                        + " that is not closed with }}");
                open = next;
                continue;
            }
            String inner = text.substring(open + 2, close);
            String placeholder = quote("{{" + inner + "}}");
            String[] parts = inner.split("\\|", -1);
            if (inner.contains("{") || inner.contains("}")) {
                problems.add(placeholder + ": a placeholder holds no { or }");
            } else if (parts[0].isBlank()) {
                problems.add(placeholder + ": a placeholder names its value first, such as {{contact.first_name}}");
            } else {
                for (int i = 1; i < parts.length; i++) {
                    String modifier = parts[i].strip();
                    if (!isDefault(modifier) && !TEXT_CASES.contains(modifier)) {
                        problems.add(placeholder + ": " + notAModifier(modifier));
                    }
                }
            }
            open = text.indexOf("{{", close + 2);
        }
        return problems;
    }

    /**
     * The names of the values {@code text}'s placeholders read that have no default (one with a default is never
     * empty), in their order.
     */
    static List<String> names(String text) {
        List<String> names = new ArrayList<>();
        if (text == null) {
            return names;
        }
        Matcher matcher = PLACEHOLDER.matcher(text);
        while (matcher.find()) {
            String[] parts = matcher.group(1).split("\\|");
            if (Arrays.stream(parts).skip(1).map(String::strip).noneMatch(PlaceholderSyntax::isDefault)) {
                names.add(parts[0].strip());
            }
        }
        return names;
    }

    /** The words before a dot that name where a value comes from: a contact's attribute, an event's property, a reply. */
    private static final List<String> SOURCES = List.of("contact", "event", "reply");

    /**
     * The source {@code word} (the part of a name before its first dot) was likely meant to be when it is none
     * ("contacts", "Contact", "evnet" → contact, event), empty when it is one or is like none.
     */
    static Optional<String> meant(String word) {
        if (word.isEmpty() || SOURCES.contains(word)) {
            return Optional.empty();
        }
        String lower = word.toLowerCase(Locale.ROOT);
        var levenshtein = LevenshteinDistance.getDefaultInstance();
        return SOURCES.stream().filter(source -> lower.length() <= 20 && levenshtein.apply(source, lower) <= 2).findFirst();
    }

    private static String notAModifier(String modifier) {
        if (modifier.isEmpty()) {
            return "an empty modifier after |";
        }
        String lower = modifier.toLowerCase(Locale.ROOT);
        if (lower.startsWith("default")) {
            return "'" + modifier + "' is not a modifier: a default is written default: text";
        }
        String known = "the modifiers are " + String.join(", ", TEXT_CASES) + " and " + DEFAULT + " text";
        return closest(modifier, TEXT_CASES).map(near -> "'" + modifier + "' is not a modifier (did you mean " + near + "?); " + known)
                .orElse("'" + modifier + "' is not a modifier; " + known);
    }

    /**
     * The one of {@code names} that {@code written} was most likely meant to be: the same in another case, else the
     * one it is at most three edits from, whole or as the start of it ("Capitalise" → CapitalizeFirst, "greater" →
     * greater_than); empty when none is that close.
     */
    static Optional<String> closest(String written, List<String> names) {
        written = written.toLowerCase(Locale.ROOT);
        var levenshtein = LevenshteinDistance.getDefaultInstance();
        String best = null;
        int bestDistance = 4;
        for (String name : names) {
            String known = name.toLowerCase(Locale.ROOT);
            int distance = written.equals(known) ? 0 : written.length() > 100 ? Integer.MAX_VALUE : levenshtein.apply(known, written);
            if (written.length() >= 3 && written.length() < known.length()) {
                distance = Math.min(distance, levenshtein.apply(known.substring(0, written.length()), written) + 1);
            }
            if (distance < bestDistance) {
                best = name;
                bestDistance = distance;
            }
        }
        return Optional.ofNullable(best);
    }

    private static String quote(String text) {
        return "'" + (text.length() > QUOTED ? text.substring(0, QUOTED) + "…" : text) + "'";
    }
}
