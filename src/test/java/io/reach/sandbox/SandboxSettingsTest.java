package io.reach.sandbox;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SandboxSettingsTest {

    private static SandboxSettings settings(int graphApiPort, int smppPort, int webhookConcurrency) {
        return new SandboxSettings(true, graphApiPort, null, null, "sandbox", "1", "2", "+1", "token", "secret", "verify",
                new SandboxSettings.Smpp(smppPort, "reach", "secret", "sandbox-sms", "Reach"),
                new SandboxSettings.Twilio(0, "AC1", "secret", "sms", "voice", "+1"), true, 100, webhookConcurrency, 100_000);
    }

    @Test
    void refusesAPortOutOfRangeAndCountsBelowOneNamingTheSetting() {
        assertThatThrownBy(() -> settings(70_000, 0, 2))
                .hasMessage("reach.sandbox.graph-api-port must be a port (1 to 65535), or 0 for any free one, not 70000");
        assertThatThrownBy(() -> settings(0, -1, 2)).hasMessageStartingWith("reach.sandbox.smpp.port must be a port");
        assertThatThrownBy(() -> settings(0, 0, 0)).hasMessage("reach.sandbox.webhook-concurrency must be 1 or more, not 0");
    }
}
