package io.reach.contact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reach.shared.ApiException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PhoneNumbersTest {

    private final PhoneNumbers international = new PhoneNumbers("");

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "'+31 6 12345678',         +31612345678",
            "'0031 6 1234 5678',       +31612345678",
            "'+49 (0)151 2345 6789',   +4915123456789",
            "'+44 7911 123456',        +447911123456",
            "'+1 (415) 555-2671',      +14155552671",
            "'+91 98765-43210',        +919876543210",
            "'+55 11 91234-5678',      +5511912345678",
            "'+81 90-1234-5678',       +819012345678",
            "'+234 803 123 4567',      +2348031234567",
            "'+62 812-3456-7890',      +6281234567890"
    })
    void normalisesNumbersOfManyCountriesToE164(String written, String e164) {
        assertThat(international.normalise(written).e164()).isEqualTo(e164);
    }

    @Test
    void usesTheDefaultRegionForNationalNumbers() {
        PhoneNumbers dutch = new PhoneNumbers("nl");
        assertThat(dutch.normalise("06 12345678").e164()).isEqualTo("+31612345678");
        assertThat(dutch.normalise("+44 7911 123456").e164()).isEqualTo("+447911123456");
    }

    @Test
    void refusesNationalNumbersWithoutADefaultRegionAndSaysHowToFixIt() {
        PhoneNumbers.Result result = international.normalise("06 12345678");
        assertThat(result.isValid()).isFalse();
        assertThat(result.problem()).contains("no country code", "reach.contacts.default-region");
    }

    @ParameterizedTest
    @CsvSource({"'+31 6 123'", "'+1 555 0100'", "'hello'", "'+999 123456789'"})
    void refusesWhatIsNotADiallableNumber(String written) {
        assertThat(international.normalise(written).isValid()).isFalse();
    }

    @Test
    void requireNamesTheFieldInTheError() {
        assertThatThrownBy(() -> international.require("to", "12"))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.getMessage()).startsWith("to:");
                    assertThat(e.details()).hasSize(1);
                });
    }

    @Test
    void refusesAnUnknownDefaultRegionAtStartup() {
        assertThatThrownBy(() -> new PhoneNumbers("XX")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reach.contacts.default-region");
    }

    @Test
    void derivesATimeZoneOnlyWhenTheAnswerIsUnambiguous() {
        assertThat(PhoneNumbers.timeZoneOf("+31612345678")).contains("Europe/Amsterdam");
        assertThat(PhoneNumbers.timeZoneOf("+447911123456")).contains("Europe/London");
        assertThat(PhoneNumbers.timeZoneOf("+14155552671")).contains("America/Los_Angeles");
        assertThat(PhoneNumbers.timeZoneOf("+18005550199")).isEmpty();
    }
}
