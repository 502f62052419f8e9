package io.reach.messaging.whatsapp;

import io.reach.shared.FieldProblem;
import io.reach.template.Template;
import io.reach.template.TemplateButton;
import io.reach.template.TemplateComponent;
import io.reach.template.TemplateRequest;
import io.reach.template.Templates;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/** Meta's templates as Reach keeps them: a template of {@code GET /{waba-id}/message_templates}, and review statuses. */
final class MetaTemplates {

    /**
     * Meta's template statuses and review events ({@code message_template_status_update}), as the statuses Reach
     * keeps; the others (FLAGGED, LOCKED, …) change none.
     */
    private static final Map<String, String> STATUSES = Map.ofEntries(
            Map.entry("APPROVED", Template.APPROVED), Map.entry("UNARCHIVED", "APPROVED"),
            Map.entry("REINSTATED", "APPROVED"), Map.entry("PENDING", "PENDING"), Map.entry("IN_APPEAL", "PENDING"),
            Map.entry("REJECTED", "REJECTED"), Map.entry("PAUSED", "PAUSED"), Map.entry("DISABLED", "DISABLED"),
            Map.entry("ARCHIVED", "DISABLED"), Map.entry("PENDING_DELETION", "DISABLED"), Map.entry("DELETED", "DISABLED"),
            Map.entry("LIMIT_EXCEEDED", "DISABLED"));

    private MetaTemplates() {}

    /** The status Reach keeps for one of Meta's template statuses or review events; empty for one that changes none. */
    static Optional<String> status(String meta) {
        return Optional.ofNullable(meta == null ? null : STATUSES.get(meta.trim().toUpperCase(Locale.ROOT)));
    }

    /** One template of the account as Reach would register it, or why Reach cannot send it. */
    sealed interface Read {
        String name();

        String language();
    }

    record Usable(TemplateRequest request) implements Read {
        public String name() {
            return request.name();
        }

        public String language() {
            return request.language();
        }
    }

    record Unusable(String name, String language, String reason) implements Read {}

    /** Reads one element of the list's {@code data}, in Meta's shape (fields Reach has no use for are left). */
    static Read read(JsonNode template) {
        String name = template.path("name").asString(null);
        String language = template.path("language").asString(null);
        String metaStatus = template.path("status").asString(null);
        Optional<String> status = status(metaStatus);
        if (status.isEmpty()) {
            return new Unusable(name, language, "its status " + metaStatus + " is not one Reach knows");
        }
        List<TemplateComponent> components = new ArrayList<>();
        for (JsonNode component : template.path("components")) {
            List<TemplateButton> buttons = null;
            if (component.has("buttons")) {
                buttons = new ArrayList<>();
                for (JsonNode button : component.path("buttons")) {
                    // Meta gives a URL button's example as a list (one URL), a code's as a text.
                    JsonNode example = button.path("example").isArray() ? button.path("example").path(0) : button.path("example");
                    buttons.add(new TemplateButton(button.path("type").asString(null), button.path("text").asString(null),
                            button.path("url").asString(null), button.path("phone_number").asString(null),
                            example.isString() ? example.asString() : null));
                }
            }
            components.add(new TemplateComponent(component.path("type").asString(null), component.path("format").asString(null),
                    component.path("text").asString(null), buttons));
        }
        TemplateRequest request = new TemplateRequest(name, language, template.path("category").asString(null), status.get(),
                components, template.path("parameter_format").asString(null));
        List<FieldProblem> problems = Templates.problemsOf(request);
        if (!problems.isEmpty()) {
            return new Unusable(name, language, String.join("; ", problems.stream().map(p -> p.field() + ": " + p.message()).toList()));
        }
        return new Usable(request);
    }
}
