package io.reach.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import org.junit.jupiter.api.Test;

class FlowDurationsTest {

    @Test
    void readsWeeksAsSevenDaysEach() {
        assertThat(FlowDurations.parse("P1W")).isEqualTo(Duration.ofDays(7));
        assertThat(FlowDurations.parse("p2w")).isEqualTo(Duration.ofDays(14));
        assertThat(FlowDurations.parse("-P1W")).isEqualTo(Duration.ofDays(-7));
    }

    @Test
    void readsWhatDurationParseReads() {
        assertThat(FlowDurations.parse("PT10M")).isEqualTo(Duration.ofMinutes(10));
        assertThat(FlowDurations.parse("P2DT3H")).isEqualTo(Duration.ofDays(2).plusHours(3));
    }

    @Test
    void refusesWhatIsNoDuration() {
        for (String text : new String[] {"P1W2D", "P1.5W", "PW", "1W", "P1M", "P1Y", "10 minutes"}) {
            assertThatThrownBy(() -> FlowDurations.parse(text)).as(text).isInstanceOf(DateTimeParseException.class);
        }
    }
}
