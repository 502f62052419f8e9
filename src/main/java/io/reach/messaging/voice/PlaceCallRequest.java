package io.reach.messaging.voice;

/**
 * A request to call one contact and speak a text. {@code language} (e.g. en-US) and {@code voice} (e.g. woman,
 * Polly.Joanna) default to the sender's settings; {@code category} is required, as consent is per category.
 */
public record PlaceCallRequest(
        String sender,
        String to,
        String contactId,
        String text,
        String language,
        String voice,
        String category,
        String campaignId,
        String idempotencyKey) {}
