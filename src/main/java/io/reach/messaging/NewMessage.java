package io.reach.messaging;

import java.util.UUID;

/** A message about to be recorded: queued for its channel's dispatcher, or blocked with the reason. */
public record NewMessage(
        Channel channel,
        UUID senderId,
        UUID contactId,
        String recipient,
        String templateName,
        String templateLanguage,
        String campaignId,
        String idempotencyKey,
        String renderedText,
        String blockedReason) {

    public boolean blocked() {
        return blockedReason != null;
    }
}
