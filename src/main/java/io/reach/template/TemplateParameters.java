package io.reach.template;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The values a send supplies for a template's placeholders: its header's, its body's, and its buttons'. */
public record TemplateParameters(TemplateValues header, TemplateValues body, List<ButtonParameter> buttons) {

    public TemplateParameters {
        header = header == null ? TemplateValues.NONE : header;
        body = body == null ? TemplateValues.NONE : body;
        // Nulls are kept (List.copyOf would throw on them): rendering names each one as a field problem.
        buttons = buttons == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(buttons));
    }

    /** Header and body values as lists, in their placeholders' order. */
    public TemplateParameters(List<String> header, List<String> body, List<ButtonParameter> buttons) {
        this(TemplateValues.of(header), TemplateValues.of(body), buttons);
    }
}
