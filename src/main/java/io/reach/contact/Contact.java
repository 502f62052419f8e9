package io.reach.contact;

import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A person Reach can message: an E.164 phone, free attributes, tags, consent per category and opt-out; when they
 * last wrote to one of the business's senders ({@code lastActiveAt}, null when never); and when their own stop of the
 * business's promotions in WhatsApp withdrew their marketing consent ({@code marketingStoppedInWhatsAppAt}: a resume
 * there gives it back; null when their marketing consent is the business's word).
 */
public record Contact(
        UUID id,
        String phone,
        Map<String, String> attributes,
        Set<String> tags,
        Consent consent,
        boolean optedOut,
        Instant optedOutAt,
        String timeZone,
        boolean notOnWhatsApp,
        Instant createdAt,
        Instant updatedAt,
        Instant lastActiveAt,
        Instant marketingStoppedInWhatsAppAt) {}
