package io.reach.journey;

import io.reach.contact.Contact;
import io.reach.flow.JsonTemplate;
import io.reach.flow.PlaceholderSyntax;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fills {@code {{…}}} placeholders of a flow's texts. A placeholder names a value — {@code contact.<attribute>},
 * {@code contact.phone}, {@code contact.has_tag.<tag>}, {@code event.<property>} or a journey variable — then optional modifiers after "|": a text
 * case (CapitalizeFirst, CapitalizeAllFirst, UPPERCASE, lowercase, regular) and {@code default: text} used when
 * the value is empty or spaces only. A placeholder with no value and no default is reported as missing, by name.
 */
final class Placeholders {

    private static final Pattern PLACEHOLDER = PlaceholderSyntax.PLACEHOLDER;

    /** The text with its placeholders filled, and the placeholders that had no value. */
    record Filled(String text, List<String> missing) {
        boolean complete() {
            return missing.isEmpty();
        }
    }

    private Placeholders() {}

    static Filled fill(String text, Contact contact, Map<String, String> variables) {
        return fill(text, contact, variables, (written, value) -> value);
    }

    /** {@code text} with each placeholder's value, as {@code encode} puts it after what is {@code written} so far. */
    private static Filled fill(String text, Contact contact, Map<String, String> variables,
                               BiFunction<CharSequence, String, String> encode) {
        if (text == null) {
            return new Filled(null, List.of());
        }
        List<String> missing = new ArrayList<>();
        Matcher matcher = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            matcher.appendReplacement(out, "");
            out.append(encode.apply(out, value(matcher.group(1), contact, variables, missing)));
        }
        matcher.appendTail(out);
        return new Filled(out.toString(), List.copyOf(missing));
    }

    /**
     * A URL's placeholders filled. A value before the URL's path begins (a whole base URL, a host) is percent-encoded
     * only where a URL cannot hold it as it is. A value in the path, the query or the fragment is encoded as one path
     * segment or query value, all but letters, digits and {@code -._~}: a phone's {@code +} reaches the backend as a
     * {@code +}, not as the space a query decodes it to, and a value's {@code &}, {@code =} or {@code /} adds no
     * parameter and no segment.
     */
    static Filled fillUrl(String text, Contact contact, Map<String, String> variables) {
        return fill(text, contact, variables, (written, value) ->
                percentEncode(value, pastTheHost(written) ? "" : KEPT_IN_A_BASE_URL));
    }

    /** What a base URL may hold as it is besides letters, digits and {@code -._~}: RFC 3986's delimiters, and {@code %}. */
    private static final String KEPT_IN_A_BASE_URL = ":/?#[]@!$&'()*+,;=%";

    /** Whether a URL written so far has gone past its host into its path, query or fragment. */
    static boolean pastTheHost(CharSequence url) {
        String written = url.toString();
        int scheme = written.indexOf("://");
        if (scheme < 0) {
            return false;
        }
        for (int i = scheme + 3; i < written.length(); i++) {
            char c = written.charAt(i);
            if (c == '/' || c == '?' || c == '#') {
                return true;
            }
        }
        return false;
    }

    /** {@code value} as UTF-8, percent-encoded but for ASCII letters, digits, {@code -._~} and {@code kept}. */
    static String percentEncode(String value, String kept) {
        StringBuilder out = new StringBuilder(value.length());
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xFF);
            if (c < 0x80 && (Character.isLetterOrDigit(c) || "-._~".indexOf(c) >= 0 || kept.indexOf(c) >= 0)) {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return out.toString();
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
            if (PlaceholderSyntax.isDefault(modifier)) {
                fallback = modifier.substring(PlaceholderSyntax.DEFAULT.length()).trim();
            } else {
                textCase = modifier;
            }
        }
        if (value == null || value.isBlank()) {
            // Spaces only are no value either (a spreadsheet's cell with a space): "Hi  ," helps no one, and WhatsApp
            // refuses a blank template parameter.
            value = fallback;
        }
        if (value == null) {
            missing.add("{{" + name + "}}");
            return "";
        }
        return applyCase(value, textCase);
    }

    /**
     * What Reach learned of the contact's number: true once Meta said it is not on WhatsApp (131026), so that a flow
     * can go straight to its SMS.
     */
    static final String NOT_ON_WHATSAPP = "contact.not_on_whatsapp";

    /**
     * Whether the contact has the tag named after it ({@code contact.has_tag.vip}): true or false, so that a condition
     * can branch on a tag a flow or an import gave. No attribute's name holds a dot.
     */
    static final String HAS_TAG = "contact.has_tag.";

    static String lookup(String name, Contact contact, Map<String, String> variables) {
        if (name.equals("contact.phone")) {
            return contact.phone();
        }
        if (name.equals(NOT_ON_WHATSAPP)) {
            return String.valueOf(contact.notOnWhatsApp());
        }
        if (name.startsWith(HAS_TAG)) {
            return String.valueOf(contact.tags().contains(name.substring(HAS_TAG.length()).strip()));
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
