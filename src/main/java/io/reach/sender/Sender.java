package io.reach.sender;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A number Reach sends from, as the API shows it: a WhatsApp Business number (Meta's Cloud API), or an SMS or
 * voice sender (SMPP or Twilio). Secrets are write-only, so only whether each one is set is visible.
 * {@code messagingLimit} (WhatsApp only, null for none): Meta's messaging limit, how many numbers outside a
 * customer-service window it may message in a moving 24 hours.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Sender(
        UUID id,
        String name,
        String channel,
        String provider,
        String phoneNumberId,
        String wabaId,
        String displayNumber,
        String graphApiBaseUrl,
        String graphApiVersion,
        String fromAddress,
        Map<String, String> settings,
        int throughputPerSecond,
        Integer messagingLimit,
        boolean sandbox,
        Boolean accessTokenSet,
        Boolean appSecretSet,
        Boolean verifyTokenSet,
        Boolean secretSet,
        Instant createdAt,
        Instant updatedAt) {

    public static final String WHATSAPP = "whatsapp";
    public static final String SMS = "sms";
    public static final String VOICE = "voice";
    public static final String META = "meta";
    public static final String SMPP = "smpp";
    public static final String TWILIO = "twilio";

    /** A provider setting, or the fallback when it is not set. */
    public String setting(String key, String fallback) {
        String value = settings == null ? null : settings.get(key);
        return value == null || value.isBlank() ? fallback : value;
    }
}
