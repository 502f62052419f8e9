package io.reach.sender;

import java.time.Instant;
import java.util.UUID;

/**
 * A WhatsApp Business phone number Reach sends from, as the API shows it: the secrets are write-only, so
 * only whether each one is set is visible.
 */
public record Sender(
        UUID id,
        String name,
        String channel,
        String phoneNumberId,
        String wabaId,
        String displayNumber,
        String graphApiBaseUrl,
        String graphApiVersion,
        int throughputPerSecond,
        boolean sandbox,
        boolean accessTokenSet,
        boolean appSecretSet,
        boolean verifyTokenSet,
        Instant createdAt,
        Instant updatedAt) {}
