package io.reach.messaging;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** One outbound message on one channel with its current status and full timeline. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Message(
        UUID id,
        Channel channel,
        UUID senderId,
        UUID contactId,
        String recipient,
        String templateName,
        String templateLanguage,
        String campaignId,
        String renderedText,
        MessageStatus status,
        String blockedReason,
        MessageError error,
        String providerMessageId,
        int attempts,
        Instant createdAt,
        Instant updatedAt,
        List<MessageEvent> timeline,
        List<InboundMessage> replies) {}
