package io.reach.sender;

import java.util.Map;

/**
 * What a caller sends to register or change a sender; on a change a null field is left as it is.
 * WhatsApp ({@code channel} absent or "whatsapp"): the Meta fields. SMS ({@code provider} "smpp" or "twilio") and
 * voice ({@code provider} "twilio"): {@code fromAddress}, {@code settings} and {@code secret}.
 * {@code messagingLimit} (WhatsApp): 0 lifts the limit.
 */
public record SenderRequest(
        String name,
        String phoneNumberId,
        String wabaId,
        String displayNumber,
        String accessToken,
        String appSecret,
        String verifyToken,
        String graphApiBaseUrl,
        String graphApiVersion,
        Integer throughputPerSecond,
        String channel,
        String provider,
        String fromAddress,
        Map<String, String> settings,
        String secret,
        Integer messagingLimit) {

    /** A WhatsApp sender request (Meta's Cloud API). */
    public static SenderRequest whatsApp(String name, String phoneNumberId, String wabaId, String displayNumber,
                                         String accessToken, String appSecret, String verifyToken, String graphApiBaseUrl,
                                         String graphApiVersion, Integer throughputPerSecond) {
        return new SenderRequest(name, phoneNumberId, wabaId, displayNumber, accessToken, appSecret, verifyToken,
                graphApiBaseUrl, graphApiVersion, throughputPerSecond, null, null, null, null, null, null);
    }

    /** An SMS or voice sender request. */
    public static SenderRequest provider(String name, String channel, String provider, String fromAddress,
                                         Map<String, String> settings, String secret, Integer throughputPerSecond) {
        return new SenderRequest(name, null, null, null, null, null, null, null, null, throughputPerSecond, channel,
                provider, fromAddress, settings, secret, null);
    }

    @Override
    public String toString() {
        return "SenderRequest[name=" + name + ", channel=" + channel + ", provider=" + provider + ", secrets hidden]";
    }
}
