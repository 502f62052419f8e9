package io.reach.template;

import java.util.List;

/** What a caller sends to register a template (Meta's component shape; status defaults to APPROVED). */
public record TemplateRequest(String name, String language, String category, String status, List<TemplateComponent> components) {}
