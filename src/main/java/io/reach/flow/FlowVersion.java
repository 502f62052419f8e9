package io.reach.flow;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Instant;
import java.util.UUID;

/**
 * One version of a flow: a draft (editable) or published (frozen, the only kind journeys run); and when its flow was
 * stopped ({@code stoppedAt}, null while it runs: no journey starts on a stopped flow).
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
        @JsonIgnore String document) {

    public static final String DRAFT = "draft";
    public static final String PUBLISHED = "published";

    @JsonIgnore
    public boolean isPublished() {
        return PUBLISHED.equals(status);
    }
}
