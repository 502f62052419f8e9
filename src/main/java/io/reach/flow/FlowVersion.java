package io.reach.flow;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * One version of a flow: a draft (editable) or published (frozen, the only kind journeys run); and when its flow was
 * stopped ({@code stoppedAt}, null while it runs: no journey starts on a stopped flow). {@code warnings}, in the
 * answers to an import, a draft's replacement and a publish only: what the validation warns of in its document.
 */
public record FlowVersion(
        UUID id,
        UUID flowId,
        String name,
        int version,
        String status,
        String entryType,
        String entryEvent,
        Instant createdAt,
        Instant updatedAt,
        Instant publishedAt,
        Instant stoppedAt,
        @JsonIgnore String document,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        List<FlowProblem> warnings) {

    public static final String DRAFT = "draft";
    public static final String PUBLISHED = "published";

    /** This version, with what the validation warns of in its document. */
    FlowVersion withWarnings(List<FlowProblem> warnings) {
        return new FlowVersion(id, flowId, name, version, status, entryType, entryEvent, createdAt, updatedAt, publishedAt,
                stoppedAt, document, List.copyOf(warnings));
    }

    @JsonIgnore
    public boolean isPublished() {
        return PUBLISHED.equals(status);
    }
}
