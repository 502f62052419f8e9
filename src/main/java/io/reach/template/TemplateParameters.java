package io.reach.template;

import java.util.List;

/** The values a send supplies for a template's placeholders. */
public record TemplateParameters(List<String> header, List<String> body, List<ButtonParameter> buttons) {

    public TemplateParameters {
        header = copied(header);
        body = copied(body);
        buttons = copied(buttons);
    }

    // Nulls are kept (List.copyOf would throw on them): rendering names each one as a field problem.
    private static <T> List<T> copied(List<T> values) {
        return values == null ? List.of() : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(values));
    }
}
