package io.reach.template;

import java.util.List;

/**
 * What a caller sends to register a template (Meta's component shape; status defaults to APPROVED).
 * {@code parameterFormat} ({@code POSITIONAL} or {@code NAMED}, as Meta's {@code parameter_format}) may be left out:
 * the placeholders say which it is, and when it is given they must agree with it. {@code wabaId}: the WhatsApp
 * Business Account the template belongs to (left out: it serves the senders of any account without one of its own).
 */
public record TemplateRequest(String name, String language, String category, String status, List<TemplateComponent> components,
                              String parameterFormat, String wabaId) {

    public TemplateRequest(String name, String language, String category, String status, List<TemplateComponent> components) {
        this(name, language, category, status, components, null, null);
    }

    public TemplateRequest(String name, String language, String category, String status, List<TemplateComponent> components,
                           String parameterFormat) {
        this(name, language, category, status, components, parameterFormat, null);
    }
}
