package io.reach.template;

import java.util.List;

/**
 * What sends a template and keeps it from being deleted: a feature that names templates (flows) says which of its
 * own use one, so that the template feature need not read its tables.
 */
public interface TemplateUsers {

    /** Those that send the template, each named for a person to find it ("flow order-ready version 2"); none if none. */
    List<String> sending(String name, String language);

    /** Those that send the template with parameters that do not fit its placeholders (their sends are blocked), each with why. */
    List<String> notFitting(Template template);
}
