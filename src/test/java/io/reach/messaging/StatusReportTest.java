package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class StatusReportTest {

    @Test
    void keepsAProvidersLongTextsToWhatTheTimelineHolds() {
        StatusReport report = new StatusReport(MessageStatus.FAILED, Instant.EPOCH, "wamid.1", 131026, "t".repeat(600),
                "d".repeat(5000), "p".repeat(1200));

        assertThat(report.errorTitle()).hasSize(500).endsWith("…");
        assertThat(report.errorDetails()).hasSize(2000).endsWith("…");
        assertThat(report.pricing()).hasSize(1000).endsWith("…");
        assertThat(new StatusReport(MessageStatus.FAILED, Instant.EPOCH, "wamid.2", 131026, "Message undeliverable", null, null)
                .errorTitle()).isEqualTo("Message undeliverable");
    }
}
