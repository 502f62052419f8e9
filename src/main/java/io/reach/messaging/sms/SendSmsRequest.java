package io.reach.messaging.sms;

/**
 * A request to send an SMS to one contact, named by {@code to} or {@code contactId}. {@code category} (marketing,
 * utility, authentication) is required: consent is checked per category, as for WhatsApp.
 */
public record SendSmsRequest(
        String sender,
        String to,
        String contactId,
        String text,
        String category,
        String campaignId,
        String idempotencyKey) {}
