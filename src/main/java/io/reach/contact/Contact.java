package io.reach.contact;

import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A person Reach can message: an E.164 phone, free attributes, tags, consent per category and opt-out; and when they
 * last wrote to one of the business's senders ({@code lastActiveAt}, null when never).
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
        Instant lastActiveAt) {}
