package io.reach.template;

import java.util.List;

/** The values a send supplies for a template's placeholders. */
public record TemplateParameters(List<String> header, List<String> body, List<ButtonParameter> buttons) {

    public TemplateParameters {
        header = header == null ? List.of() : List.copyOf(header);
        body = body == null ? List.of() : List.copyOf(body);
        buttons = buttons == null ? List.of() : List.copyOf(buttons);
    }
}
