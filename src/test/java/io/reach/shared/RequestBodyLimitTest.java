package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.json.JsonMapper;

class RequestBodyLimitTest {

    @Test
    void refusesALimitOfNothingOrOfTwoGigabytesAndMoreNamingTheSetting() {
        for (String bad : new String[] {"0B", "2GB", "-1MB"}) {
            assertThatThrownBy(() -> new RequestBodyLimit(DataSize.parse(bad), JsonMapper.builder().build()))
                    .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                    .hasMessageContaining("reach.api.max-body-size")
                    .hasMessageContaining("it must be above zero and under 2GB");
        }
    }

    @Test
    void namesTheLimitAsTheSettingIsWritten() {
        assertThat(RequestBodyLimit.readable(DataSize.parse("8MB"))).isEqualTo("8MB");
        assertThat(RequestBodyLimit.readable(DataSize.parse("512KB"))).isEqualTo("512KB");
        assertThat(RequestBodyLimit.readable(DataSize.parse("1000B"))).isEqualTo("1000B");
    }
}
