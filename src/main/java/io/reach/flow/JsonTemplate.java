package io.reach.flow;

import java.util.function.Function;
import java.util.regex.Matcher;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.io.JsonStringEncoder;
import tools.jackson.core.json.JsonFactory;

/**
 * A JSON text with placeholders (a fetch_variables step's POST body), filled so that it stays JSON whatever the
 * values hold: a contact named {@code Anne "Annie" O'Neil}, an address with a line break.
 */
public final class JsonTemplate {

    private static final JsonFactory JSON = new JsonFactory();

    private JsonTemplate() {}

    /**
     * {@code template} with each placeholder replaced by {@code value} of what is between its braces. Inside a JSON
     * string the value is escaped as that string's content. Elsewhere it goes in as it is when it is exactly one JSON
     * value (a number, {@code true}, {@code false}, {@code null}, an object, an array, a quoted string), so that
     * {@code {"amount": {{amount}}}} sends a number; any other text goes in as a JSON string, and cannot add fields.
     */
    public static String fill(String template, Function<String, String> value) {
        Matcher matcher = PlaceholderSyntax.PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder(template.length() + 32);
        Strings strings = new Strings();
        int from = 0;
        while (matcher.find()) {
            String literal = template.substring(from, matcher.start());
            strings.read(literal);
            out.append(literal);
            String filled = value.apply(matcher.group(1));
            if (strings.inside) {
                JsonStringEncoder.getInstance().quoteAsString(filled, out);
                strings.escaped = false; // the placeholder stands for whole characters: a backslash before it is spent
            } else if (isOneJsonValue(filled)) {
                out.append(filled.strip());
            } else {
                out.append('"');
                JsonStringEncoder.getInstance().quoteAsString(filled, out);
                out.append('"');
            }
            from = matcher.end();
        }
        return out.append(template, from, template.length()).toString();
    }

    /**
     * What is wrong with {@code template} as a JSON body, its placeholders filled with empty values; null when
     * nothing is: a body that is not JSON would be sent, and refused by its backend, for every journey.
     */
    static String problem(String template) {
        return notOneJsonValue(fill(template, inner -> ""));
    }

    static boolean isOneJsonValue(String text) {
        return notOneJsonValue(text) == null;
    }

    /** Why {@code text} is not exactly one JSON value; null when it is. */
    private static String notOneJsonValue(String text) {
        try (JsonParser parser = JSON.createParser(text)) {
            if (parser.nextToken() == null) {
                return "it is empty";
            }
            parser.skipChildren();
            return parser.nextToken() == null ? null : "more follows its JSON value";
        } catch (JacksonException e) {
            // Jackson's own words, without where the start marker was: an offset into the filled text, not the document.
            String message = e.getOriginalMessage().lines().findFirst().orElse("it does not parse");
            int marker = message.indexOf(" (start marker");
            return marker > 0 ? message.substring(0, marker) : message;
        }
    }

    /** Where a scan of a JSON text's literal parts stands: inside a string or not, after a backslash in one or not. */
    private static final class Strings {
        boolean inside;
        boolean escaped;

        void read(String literal) {
            for (int i = 0; i < literal.length(); i++) {
                char c = literal.charAt(i);
                if (!inside) {
                    inside = c == '"';
                } else if (escaped) {
                    escaped = false;
                } else if (c == '\\') {
                    escaped = true;
                } else if (c == '"') {
                    inside = false;
                }
            }
        }
    }
}
