package io.reach.template;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.reach.shared.MessageCategory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * An approved WhatsApp message template as registered in Reach: {@code wabaId} is the WhatsApp Business Account it
 * belongs to, as at Meta (null: registered without one, it serves the senders of any account that has none of that
 * name and language).
 */
public record Template(
        UUID id,
        String name,
        String language,
        MessageCategory category,
        String status,
        List<TemplateComponent> components,
        Instant createdAt,
        Instant updatedAt,
        String wabaId) {

    public static final String APPROVED = "APPROVED";

    @JsonIgnore
    public boolean isApproved() {
        return APPROVED.equals(status);
    }

    /**
     * Whether the template's placeholders are named ({@code {{first_name}}}; Meta's {@code NAMED} parameter format) or
     * numbered ({@code {{1}}}, {@code POSITIONAL}).
     */
    @JsonProperty("parameterFormat")
    public String parameterFormat() {
        return TemplateRules.named(placeholders("HEADER")) || TemplateRules.named(placeholders("BODY")) ? "NAMED" : "POSITIONAL";
    }

    /**
     * The placeholders of its text header ({@code HEADER}) or its body ({@code BODY}) in the order their values go:
     * {@code 1} … {@code n}, or names in the order they first appear.
     */
    public List<String> placeholders(String type) {
        return component(type).filter(c -> !"HEADER".equals(type) || "TEXT".equals(c.format()))
                .map(c -> TemplateRules.placeholders(c.text(), type, new ArrayList<>())).orElse(List.of());
    }

    public Optional<TemplateComponent> component(String type) {
        return components.stream().filter(c -> type.equals(c.type())).findFirst();
    }

    @JsonIgnore
    public List<TemplateButton> buttons() {
        return component("BUTTONS").map(TemplateComponent::buttons).orElse(List.of());
    }
}
