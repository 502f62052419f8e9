package io.reach.template;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.reach.shared.MessageCategory;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** An approved WhatsApp message template as registered in Reach. */
public record Template(
        UUID id,
        String name,
        String language,
        MessageCategory category,
        String status,
        List<TemplateComponent> components,
        Instant createdAt,
        Instant updatedAt) {

    public static final String APPROVED = "APPROVED";

    @JsonIgnore
    public boolean isApproved() {
        return APPROVED.equals(status);
    }

    public Optional<TemplateComponent> component(String type) {
        return components.stream().filter(c -> type.equals(c.type())).findFirst();
    }

    @JsonIgnore
    public List<TemplateButton> buttons() {
        return component("BUTTONS").map(TemplateComponent::buttons).orElse(List.of());
    }
}
