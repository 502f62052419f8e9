package io.reach.sandbox;

import io.reach.shared.SettingChecks;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The sandbox network ({@code reach.sandbox.*}): its ports, its handset rules and the senders (with their
 * sandbox-only secrets) that Reach registers on first start ({@code registerSenders}: false when this process only
 * hosts the sandbox for Reach nodes elsewhere). Its webhooks go out at most {@code webhookConcurrency} at a time, each
 * with up to {@code webhookBatchSize} events that are due. It remembers the last {@code historySize} sends, submits,
 * calls and idempotency keys of each kind, and forgets older ones, so that its memory does not grow with the traffic.
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
        String verifyToken,
        Smpp smpp,
        Twilio twilio,
        @DefaultValue("true") boolean registerSenders,
        @DefaultValue("100") int webhookBatchSize,
        @DefaultValue("2") int webhookConcurrency,
        @DefaultValue("100000") int historySize) {

    public SandboxSettings {
        SettingChecks.port("reach.sandbox.graph-api-port", graphApiPort);
        if (smpp != null) {
            SettingChecks.port("reach.sandbox.smpp.port", smpp.port());
        }
        if (twilio != null) {
            SettingChecks.port("reach.sandbox.twilio.port", twilio.port());
        }
        SettingChecks.atLeast("reach.sandbox.webhook-batch-size", webhookBatchSize, 1);
        SettingChecks.atLeast("reach.sandbox.webhook-concurrency", webhookConcurrency, 1);
        SettingChecks.atLeast("reach.sandbox.history-size", historySize, 1);
    }

    /** The sandbox SMSC and the SMS sender that binds to it. */
    public record Smpp(int port, String systemId, String password, String senderName, String fromAddress) {
        @Override
        public String toString() {
            return "Smpp[port=" + port + ", secrets hidden]";
        }
    }

    /** The sandbox Twilio and the SMS and voice senders that use it. */
    public record Twilio(int port, String accountSid, String authToken, String smsSenderName, String voiceSenderName,
                         String fromNumber) {
        @Override
        public String toString() {
            return "Twilio[port=" + port + ", secrets hidden]";
        }
    }

    @Override
    public String toString() {
        return "SandboxSettings[enabled=" + enabled + ", graphApiPort=" + graphApiPort + ", secrets hidden]";
    }
}
