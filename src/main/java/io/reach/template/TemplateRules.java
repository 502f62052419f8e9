package io.reach.template;

import io.reach.shared.FieldProblem;
import io.reach.shared.MessageCategory;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Meta's rules for a template's shape, checked when a template is registered. */
final class TemplateRules {

    static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([^}]*?)\\s*}}");
    private static final Pattern PLACEHOLDER_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,99}");
    private static final Pattern NAME = Pattern.compile("[a-z0-9_]{1,512}");
    private static final Pattern LANGUAGE = Pattern.compile("[a-z]{2,3}(_[A-Z]{2})?");
    private static final Set<String> STATUSES = Set.of("APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED");
    private static final Set<String> HEADER_FORMATS = Set.of("TEXT", "IMAGE", "VIDEO", "DOCUMENT");
    private static final Set<String> COMPONENT_TYPES = Set.of("HEADER", "BODY", "FOOTER", "BUTTONS");
    private static final Set<String> BUTTON_TYPES = Set.of("QUICK_REPLY", "URL", "PHONE_NUMBER", "COPY_CODE");

    private TemplateRules() {}

    /** The template's placeholders must be {{1}} … {{n}}, each used, or all names; returns how many, or records a problem. */
    static int placeholderCount(String text, String field, List<FieldProblem> problems) {
        return placeholders(text, field, problems).size();
    }

    /**
     * A text's placeholders in the order their values are given: {@code 1} … {@code n} when they are numbered (each
     * used, without gaps), or their names in the order they first appear ({@code {{first_name}}}: lowercase letters,
     * digits and _, as Meta's named parameters); a name or number used twice takes one value. A text may not mix the
     * two. None, with a problem recorded, when they break these rules.
     */
    static List<String> placeholders(String text, String field, List<FieldProblem> problems) {
        if (text == null) {
            return List.of();
        }
        Set<Integer> numbers = new TreeSet<>();
        Set<String> names = new LinkedHashSet<>();
        Matcher matcher = PLACEHOLDER.matcher(text);
        while (matcher.find()) {
            String inner = matcher.group(1);
            if (inner.matches("[0-9]{1,3}") && Integer.parseInt(inner) > 0) {
                numbers.add(Integer.parseInt(inner));
            } else if (PLACEHOLDER_NAME.matcher(inner).matches()) {
                names.add(inner);
            } else {
                problems.add(new FieldProblem(field, "placeholder {{" + inner + "}} is neither numbered ({{1}}, {{2}}, …) nor"
                        + " a name of lowercase letters, digits and _ ({{first_name}})"));
                return List.of();
            }
        }
        if (!numbers.isEmpty() && !names.isEmpty()) {
            problems.add(new FieldProblem(field, "placeholders are all numbered ({{1}}) or all named ({{"
                    + names.iterator().next() + "}}), not both"));
            return List.of();
        }
        if (!names.isEmpty()) {
            return List.copyOf(names);
        }
        for (int i = 1; i <= numbers.size(); i++) {
            if (!numbers.contains(i)) {
                problems.add(new FieldProblem(field, "placeholders must be numbered from {{1}} without gaps; {{" + i + "}} is missing"));
                return List.of();
            }
        }
        return numbers.stream().map(String::valueOf).toList();
    }

    /** Whether placeholders are names, not numbers ({@link #placeholders} of a text that keeps the rules). */
    static boolean named(List<String> placeholders) {
        return !placeholders.isEmpty() && !Character.isDigit(placeholders.getFirst().charAt(0));
    }

    static List<FieldProblem> check(TemplateRequest request) {
        List<FieldProblem> problems = new ArrayList<>();
        if (request.name() == null || !NAME.matcher(request.name()).matches()) {
            problems.add(new FieldProblem("name", "must be lowercase letters, digits and _ (Meta's template name rules)"));
        }
        if (request.language() == null || !LANGUAGE.matcher(request.language()).matches()) {
            problems.add(new FieldProblem("language", "must be a language code such as en, en_US or pt_BR"));
        }
        if (request.wabaId() != null && !request.wabaId().matches("[0-9]{1,64}")) {
            problems.add(new FieldProblem("wabaId", "must be a WhatsApp Business Account's id (digits), or left out"));
        }
        if (MessageCategory.parse(request.category()).isEmpty()) {
            problems.add(new FieldProblem("category", "must be one of " + MessageCategory.allowedValues()));
        }
        if (request.status() != null && !STATUSES.contains(request.status().toUpperCase(Locale.ROOT))) {
            problems.add(new FieldProblem("status", "must be one of " + String.join(", ", new TreeSet<>(STATUSES))));
        }
        List<TemplateComponent> components = request.components() == null ? List.of() : request.components();
        Set<String> types = new TreeSet<>();
        for (int i = 0; i < components.size(); i++) {
            TemplateComponent component = components.get(i);
            String field = "components[" + i + "]";
            String type = component == null || component.type() == null ? null : component.type().toUpperCase(Locale.ROOT);
            if (type == null || !COMPONENT_TYPES.contains(type)) {
                problems.add(new FieldProblem(field + ".type", "must be one of HEADER, BODY, FOOTER, BUTTONS"));
                continue;
            }
            if (!types.add(type)) {
                problems.add(new FieldProblem(field + ".type", "a template has at most one " + type));
                continue;
            }
            switch (type) {
                case "HEADER" -> checkHeader(component, field, problems);
                case "BODY" -> {
                    checkText(component.text(), field + ".text", 1024, true, problems);
                    placeholderCount(component.text(), field + ".text", problems);
                }
                case "FOOTER" -> {
                    checkText(component.text(), field + ".text", 60, true, problems);
                    if (component.text() != null && PLACEHOLDER.matcher(component.text()).find()) {
                        problems.add(new FieldProblem(field + ".text", "a footer cannot have placeholders"));
                    }
                }
                case "BUTTONS" -> checkButtons(component.buttons(), field + ".buttons", problems);
                default -> throw new IllegalStateException(type);
            }
        }
        // Meta keeps one parameter format per template: a named header and a numbered body cannot be sent together.
        List<String> headerPlaceholders = components.stream().filter(c -> c != null && "HEADER".equalsIgnoreCase(c.type())
                && "TEXT".equalsIgnoreCase(c.format())).findFirst().map(c -> placeholders(c.text(), "", new ArrayList<>()))
                .orElse(List.of());
        List<String> bodyPlaceholders = components.stream().filter(c -> c != null && "BODY".equalsIgnoreCase(c.type()))
                .findFirst().map(c -> placeholders(c.text(), "", new ArrayList<>())).orElse(List.of());
        if (!headerPlaceholders.isEmpty() && !bodyPlaceholders.isEmpty() && named(headerPlaceholders) != named(bodyPlaceholders)) {
            problems.add(new FieldProblem("components", "the header's and the body's placeholders are both numbered or both"
                    + " named (Meta's parameter format is the template's)"));
        }
        String format = request.parameterFormat() == null ? null : request.parameterFormat().toUpperCase(Locale.ROOT);
        if (format != null && !format.equals("POSITIONAL") && !format.equals("NAMED")) {
            problems.add(new FieldProblem("parameterFormat", "must be POSITIONAL or NAMED (or left out: the placeholders say)"));
        } else if (format != null && (!headerPlaceholders.isEmpty() || !bodyPlaceholders.isEmpty())
                && format.equals("NAMED") != (named(headerPlaceholders) || named(bodyPlaceholders))) {
            problems.add(new FieldProblem("parameterFormat", "is " + format + " but the placeholders are "
                    + (format.equals("NAMED") ? "numbered ({{1}})" : "named ({{first_name}})")));
        }
        if (!types.contains("BODY")) {
            problems.add(new FieldProblem("components", "a template needs a BODY component"));
        }
        return problems;
    }

    private static void checkHeader(TemplateComponent header, String field, List<FieldProblem> problems) {
        String format = header.format() == null ? null : header.format().toUpperCase(Locale.ROOT);
        if (format == null || !HEADER_FORMATS.contains(format)) {
            problems.add(new FieldProblem(field + ".format", "must be one of TEXT, IMAGE, VIDEO, DOCUMENT"));
            return;
        }
        if (format.equals("TEXT")) {
            checkText(header.text(), field + ".text", 60, true, problems);
            if (placeholderCount(header.text(), field + ".text", problems) > 1) {
                problems.add(new FieldProblem(field + ".text", "a text header has at most one placeholder"));
            }
        } else if (header.text() != null) {
            problems.add(new FieldProblem(field + ".text", "a " + format + " header has no text; its media link is given per message"));
        }
    }

    private static void checkText(String text, String field, int max, boolean required, List<FieldProblem> problems) {
        if (text == null || text.isBlank()) {
            if (required) {
                problems.add(new FieldProblem(field, "is required"));
            }
            return;
        }
        if (text.length() > max) {
            problems.add(new FieldProblem(field, "is longer than " + max + " characters"));
        }
    }

    private static void checkButtons(List<TemplateButton> buttons, String field, List<FieldProblem> problems) {
        if (buttons == null || buttons.isEmpty()) {
            problems.add(new FieldProblem(field, "a BUTTONS component needs 1 to 10 buttons"));
            return;
        }
        if (buttons.size() > 10) {
            problems.add(new FieldProblem(field, "a template has at most 10 buttons"));
        }
        int urls = 0;
        int phones = 0;
        int codes = 0;
        for (int i = 0; i < buttons.size(); i++) {
            TemplateButton button = buttons.get(i);
            String at = field + "[" + i + "]";
            String type = button == null || button.type() == null ? null : button.type().toUpperCase(Locale.ROOT);
            if (type == null || !BUTTON_TYPES.contains(type)) {
                problems.add(new FieldProblem(at + ".type", "must be one of QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE"));
                continue;
            }
            if (!type.equals("COPY_CODE")) {
                if (button.text() == null || button.text().isBlank()) {
                    problems.add(new FieldProblem(at + ".text", "is required"));
                } else if (button.text().length() > 25) {
                    problems.add(new FieldProblem(at + ".text", "is longer than 25 characters"));
                }
            }
            switch (type) {
                case "URL" -> {
                    urls++;
                    checkUrl(button.url(), at + ".url", problems);
                }
                case "PHONE_NUMBER" -> {
                    phones++;
                    if (button.phoneNumber() == null || !button.phoneNumber().matches("\\+[1-9][0-9]{6,14}")) {
                        problems.add(new FieldProblem(at + ".phone_number", "must be a phone number in E.164 (+<country><number>)"));
                    }
                }
                case "COPY_CODE" -> codes++;
                default -> { }
            }
        }
        if (urls > 2) {
            problems.add(new FieldProblem(field, "a template has at most 2 URL buttons"));
        }
        if (phones > 1) {
            problems.add(new FieldProblem(field, "a template has at most 1 PHONE_NUMBER button"));
        }
        if (codes > 1) {
            problems.add(new FieldProblem(field, "a template has at most 1 COPY_CODE button"));
        }
    }

    private static void checkUrl(String url, String field, List<FieldProblem> problems) {
        if (url == null || url.isBlank()) {
            problems.add(new FieldProblem(field, "is required"));
            return;
        }
        Matcher matcher = PLACEHOLDER.matcher(url);
        int count = 0;
        while (matcher.find()) {
            count++;
            if (!matcher.group(1).equals("1") || matcher.end() != url.length()) {
                problems.add(new FieldProblem(field, "a URL takes one dynamic suffix, {{1}}, at its very end"));
                return;
            }
        }
        if (count > 1) {
            problems.add(new FieldProblem(field, "a URL takes one dynamic suffix, {{1}}, at its very end"));
            return;
        }
        try {
            URI uri = URI.create(url.replace("{{1}}", "x"));
            if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme()) || uri.getHost() == null) {
                problems.add(new FieldProblem(field, "must be an http(s) URL"));
            }
        } catch (IllegalArgumentException e) {
            problems.add(new FieldProblem(field, "is not a URL"));
        }
    }
}
