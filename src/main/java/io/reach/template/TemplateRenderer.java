package io.reach.template;

import io.reach.shared.FieldProblem;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

/** Checks a send's parameters against its template (before any network call) and fills the text in. */
final class TemplateRenderer {

    private TemplateRenderer() {}

    static List<FieldProblem> check(Template template, TemplateParameters parameters) {
        return check(template, parameters, true);
    }

    /**
     * Only the shape: the number of values against the template's placeholders, and which buttons take one; not the
     * values, which a flow's send fills in per contact ({@code {{contact.first_name}}}).
     */
    static List<FieldProblem> checkShape(Template template, TemplateParameters parameters) {
        return check(template, parameters, false);
    }

    private static List<FieldProblem> check(Template template, TemplateParameters parameters, boolean values) {
        List<FieldProblem> problems = new ArrayList<>();
        TemplateComponent header = template.component("HEADER").orElse(null);
        if (header != null && !"TEXT".equals(header.format())) {
            TemplateValues link = parameters.header();
            if (link.isNamed() || link.list().size() != 1) {
                problems.add(new FieldProblem("headerParameters", expectation(1, link, header)));
            } else if (values && !isHttpUrl(link.list().getFirst())) {
                problems.add(new FieldProblem("headerParameters[0]", "the " + header.format().toLowerCase()
                        + " header needs the media's http(s) link"));
            }
        } else {
            List<String> placeholders = template.placeholders("HEADER");
            if (header == null && !parameters.header().isEmpty()) {
                problems.add(new FieldProblem("headerParameters", expectation(0, parameters.header(), null)));
            } else if (inOrder(parameters.header(), placeholders, "headerParameters", "header", problems) != null && values) {
                checkValues(parameters.header(), "headerParameters", true, problems);
            }
        }
        if (inOrder(parameters.body(), template.placeholders("BODY"), "bodyParameters", "body", problems) != null && values) {
            checkValues(parameters.body(), "bodyParameters", true, problems);
        }
        checkButtons(template.buttons(), parameters.buttons(), values, problems);
        return problems;
    }

    /**
     * The values in their placeholders' order: a list as given, values by name in the order of the template's names;
     * null, with the problem recorded, when they do not fit the placeholders.
     */
    private static List<String> inOrder(TemplateValues given, List<String> placeholders, String field, String part,
                                        List<FieldProblem> problems) {
        boolean named = TemplateRules.named(placeholders);
        if (given.isEmpty() && placeholders.isEmpty()) {
            return List.of();
        }
        if (!given.isNamed()) {
            if (given.list().size() != placeholders.size()) {
                problems.add(new FieldProblem(field, "the template's " + part + " has " + placeholders.size()
                        + " placeholder(s)" + (named ? " (" + braced(placeholders) + ", in that order)" : "") + " but "
                        + given.list().size() + " value(s) were given"));
                return null;
            }
            return given.list();
        }
        if (!named) {
            problems.add(new FieldProblem(field, placeholders.isEmpty()
                    ? "the template's " + part + " has no placeholders but " + given.byName().size() + " value(s) were given"
                    : "the template's " + part + " has numbered placeholders (" + braced(placeholders) + "): give its values"
                    + " as a list, in that order"));
            return null;
        }
        int before = problems.size();
        for (String name : given.byName().keySet()) {
            if (!placeholders.contains(name)) {
                problems.add(new FieldProblem(field + "." + name, "the template's " + part + " has no {{" + name + "}} (it has "
                        + braced(placeholders) + ")"));
            }
        }
        for (String name : placeholders) {
            if (!given.byName().containsKey(name)) {
                problems.add(new FieldProblem(field + "." + name, "is missing: the template's " + part + " has {{" + name + "}}"));
            }
        }
        return problems.size() > before ? null : placeholders.stream().map(given.byName()::get).toList();
    }

    private static String braced(List<String> placeholders) {
        return String.join(", ", placeholders.stream().map(p -> "{{" + p + "}}").toList());
    }

    /** The parameters with the header's and the body's values in their placeholders' order (a send's, once checked). */
    static TemplateParameters ordered(Template template, TemplateParameters parameters) {
        TemplateValues header = parameters.header();
        if (header.isNamed()) {
            header = TemplateValues.of(inOrder(header, template.placeholders("HEADER"), "", "header", new ArrayList<>()));
        }
        TemplateValues body = parameters.body();
        if (body.isNamed()) {
            body = TemplateValues.of(inOrder(body, template.placeholders("BODY"), "", "body", new ArrayList<>()));
        }
        return new TemplateParameters(header, body, parameters.buttons());
    }

    /** The text the recipient reads, from parameters in their placeholders' order ({@link #ordered}). */
    static String text(Template template, TemplateParameters parameters) {
        List<String> parts = new ArrayList<>();
        template.component("HEADER").filter(h -> "TEXT".equals(h.format()))
                .ifPresent(h -> parts.add(fill(h.text(), template.placeholders("HEADER"), parameters.header().list())));
        template.component("BODY").ifPresent(b -> parts.add(fill(b.text(), template.placeholders("BODY"), parameters.body().list())));
        template.component("FOOTER").ifPresent(f -> parts.add(f.text()));
        return String.join("\n\n", parts);
    }

    /** Fills each placeholder in with the value at its place in {@code placeholders} (numbers, or names). */
    static String fill(String text, List<String> placeholders, List<String> values) {
        Matcher matcher = TemplateRules.PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String placeholder = matcher.group(1);
            // {{01}} is {{1}}.
            int position = placeholders.indexOf(placeholder.matches("[0-9]+") ? String.valueOf(Integer.parseInt(placeholder))
                    : placeholder);
            matcher.appendReplacement(out, Matcher.quoteReplacement(values.get(position)));
        }
        matcher.appendTail(out);
        return out.toString();
    }

    private static void checkButtons(List<TemplateButton> buttons, List<ButtonParameter> given, boolean values,
                                     List<FieldProblem> problems) {
        Map<Integer, String> byIndex = new HashMap<>();
        for (int i = 0; i < given.size(); i++) {
            ButtonParameter parameter = given.get(i);
            String field = "buttonParameters[" + i + "]";
            if (parameter == null || parameter.index() == null) {
                problems.add(new FieldProblem(field + ".index", "is required (the button's position in the template, from 0)"));
                continue;
            }
            if (parameter.index() < 0 || parameter.index() >= buttons.size()) {
                problems.add(new FieldProblem(field + ".index", "the template has no button " + parameter.index()));
                continue;
            }
            if (parameter.value() == null || parameter.value().isEmpty()) {
                problems.add(new FieldProblem(field + ".value", "is required"));
                continue;
            }
            if (byIndex.put(parameter.index(), parameter.value()) != null) {
                problems.add(new FieldProblem(field + ".index", "button " + parameter.index() + " is given twice"));
            }
            TemplateButton button = buttons.get(parameter.index());
            if (!button.hasDynamicUrl() && !button.isCopyCodeButton() && !button.isQuickReplyButton()) {
                problems.add(new FieldProblem(field, "button " + parameter.index() + " (" + button.type()
                        + ") takes no value"));
            }
            if (values && button.isCopyCodeButton() && parameter.value().length() > 15) {
                problems.add(new FieldProblem(field + ".value", "a coupon code is at most 15 characters"));
            }
        }
        for (int i = 0; i < buttons.size(); i++) {
            TemplateButton button = buttons.get(i);
            if ((button.hasDynamicUrl() || button.isCopyCodeButton()) && !byIndex.containsKey(i)) {
                problems.add(new FieldProblem("buttonParameters", "button " + i + " (" + button.type()
                        + ") needs a value: " + (button.isCopyCodeButton() ? "the coupon code" : "the URL's {{1}} suffix")));
            }
        }
    }

    private static void checkValues(TemplateValues given, String field, boolean textual, List<FieldProblem> problems) {
        List<String> values = given.values();
        List<String> fields = given.fields(field);
        for (int i = 0; i < values.size(); i++) {
            String value = values.get(i);
            if (value == null || value.isBlank()) {
                problems.add(new FieldProblem(fields.get(i), "is empty"));
            } else if (textual && (value.contains("\n") || value.contains("\t") || value.contains("     "))) {
                problems.add(new FieldProblem(fields.get(i),
                        "WhatsApp refuses parameters with new lines, tabs or more than 4 consecutive spaces"));
            }
        }
    }

    private static String expectation(int expected, TemplateValues given, TemplateComponent header) {
        int count = given.values().size();
        if (header == null) {
            return "the template has no header but " + count + " header value(s) were given";
        }
        if (!"TEXT".equals(header.format())) {
            return "the " + header.format().toLowerCase() + " header needs exactly 1 value (the media link)"
                    + (given.isNamed() ? ", in a list" : ", got " + count);
        }
        return "the template's header has " + expected + " placeholder(s) but " + count + " value(s) were given";
    }

    private static boolean isHttpUrl(String text) {
        try {
            URI uri = URI.create(text);
            return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null;
        } catch (IllegalArgumentException | NullPointerException e) {
            return false;
        }
    }
}
