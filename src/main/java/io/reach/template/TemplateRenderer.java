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
        int headerExpected = 0;
        if (header != null) {
            headerExpected = "TEXT".equals(header.format())
                    ? TemplateRules.placeholderCount(header.text(), "header", new ArrayList<>())
                    : 1;
        }
        if (parameters.header().size() != headerExpected) {
            problems.add(new FieldProblem("headerParameters", expectation(headerExpected, parameters.header().size(), header)));
        } else if (values && header != null && !"TEXT".equals(header.format())) {
            String link = parameters.header().getFirst();
            if (!isHttpUrl(link)) {
                problems.add(new FieldProblem("headerParameters[0]", "the " + header.format().toLowerCase()
                        + " header needs the media's http(s) link"));
            }
        }
        int bodyExpected = TemplateRules.placeholderCount(template.component("BODY").map(TemplateComponent::text).orElse(""),
                "body", new ArrayList<>());
        if (parameters.body().size() != bodyExpected) {
            problems.add(new FieldProblem("bodyParameters", "the template's body has " + bodyExpected
                    + " placeholder(s) but " + parameters.body().size() + " value(s) were given"));
        }
        if (values) {
            checkValues(parameters.header(), "headerParameters", header != null && "TEXT".equals(header.format()), problems);
            checkValues(parameters.body(), "bodyParameters", true, problems);
        }
        checkButtons(template.buttons(), parameters.buttons(), values, problems);
        return problems;
    }

    static String text(Template template, TemplateParameters parameters) {
        List<String> parts = new ArrayList<>();
        template.component("HEADER").filter(h -> "TEXT".equals(h.format()))
                .ifPresent(h -> parts.add(fill(h.text(), parameters.header())));
        template.component("BODY").ifPresent(b -> parts.add(fill(b.text(), parameters.body())));
        template.component("FOOTER").ifPresent(f -> parts.add(f.text()));
        return String.join("\n\n", parts);
    }

    static String fill(String text, List<String> values) {
        Matcher matcher = TemplateRules.PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            int position = Integer.parseInt(matcher.group(1));
            matcher.appendReplacement(out, Matcher.quoteReplacement(values.get(position - 1)));
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

    private static void checkValues(List<String> values, String field, boolean textual, List<FieldProblem> problems) {
        for (int i = 0; i < values.size(); i++) {
            String value = values.get(i);
            if (value == null || value.isBlank()) {
                problems.add(new FieldProblem(field + "[" + i + "]", "is empty"));
            } else if (textual && (value.contains("\n") || value.contains("\t") || value.contains("     "))) {
                problems.add(new FieldProblem(field + "[" + i + "]",
                        "WhatsApp refuses parameters with new lines, tabs or more than 4 consecutive spaces"));
            }
        }
    }

    private static String expectation(int expected, int given, TemplateComponent header) {
        if (header == null) {
            return "the template has no header but " + given + " header value(s) were given";
        }
        if (!"TEXT".equals(header.format())) {
            return "the " + header.format().toLowerCase() + " header needs exactly 1 value (the media link), got " + given;
        }
        return "the template's header has " + expected + " placeholder(s) but " + given + " value(s) were given";
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
