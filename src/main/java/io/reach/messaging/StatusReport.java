package io.reach.messaging;

import io.reach.shared.Texts;
import java.time.Instant;

/**
 * A provider's word on a message's status, as one webhook or receipt carries it; its error and pricing texts clipped
 * to what the timeline keeps and without the NUL character, so that a provider's text cannot make the webhook that
 * carries it fail for good.
 */
public record StatusReport(
        MessageStatus status,
        Instant occurredAt,
        String providerMessageId,
        Integer errorCode,
        String errorTitle,
        String errorDetails,
        String pricing) {

    public StatusReport {
        errorTitle = Texts.clip(Texts.withoutNul(errorTitle), 500);
        errorDetails = Texts.clip(Texts.withoutNul(errorDetails), 2000);
        pricing = Texts.clip(pricing, 1000);
    }
}
