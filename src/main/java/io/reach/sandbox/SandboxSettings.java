package io.reach.sandbox;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The sandbox network ({@code reach.sandbox.*}): its Graph API port, its handset rules and the WhatsApp number
 * (with its sandbox-only secrets) that Reach registers as a sender on first start.
 */
@ConfigurationProperties("reach.sandbox")
public record SandboxSettings(
        boolean enabled,
        int graphApiPort,
        String rulesFile,
        String webhookUrl,
        String senderName,
        String phoneNumberId,
        String wabaId,
        String displayNumber,
        String accessToken,
        String appSecret,
        String verifyToken) {

    @Override
    public String toString() {
        return "SandboxSettings[enabled=" + enabled + ", graphApiPort=" + graphApiPort + ", secrets hidden]";
    }
}
