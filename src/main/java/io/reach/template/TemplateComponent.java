package io.reach.template;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** One component of a template, in Meta's shape: HEADER (with a format), BODY, FOOTER or BUTTONS. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TemplateComponent(String type, String format, String text, List<TemplateButton> buttons) {}
