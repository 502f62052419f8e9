package io.reach.journey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reach.shared.ApiException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LaunchTimesTest {

    private static final Instant NOW = Instant.parse("2026-12-07T06:00:00Z");

    @Test
    void readsAnOffsetOrATimeZoneWhoseOffsetFollowsSummerTime() {
        assertThat(LaunchTimes.at("2026-12-24T09:00:00+01:00", NOW)).isEqualTo(Instant.parse("2026-12-24T08:00:00Z"));
        assertThat(LaunchTimes.at(" 2026-12-24T08:00:00Z ", NOW)).isEqualTo(Instant.parse("2026-12-24T08:00:00Z"));
        assertThat(LaunchTimes.at("2026-12-24T09:00[Europe/Amsterdam]", NOW)).isEqualTo(Instant.parse("2026-12-24T08:00:00Z"));
        assertThat(LaunchTimes.at("2027-06-24T09:00:00[Europe/Amsterdam]", NOW)).isEqualTo(Instant.parse("2027-06-24T07:00:00Z"));
    }

    @Test
    void refusesADateThatIsNoneAZoneNoOneIsCalledALocalTimeAloneThePastAndMoreThanAYearAhead() {
        assertThatThrownBy(() -> LaunchTimes.at("2027-02-30T09:00:00Z", NOW)).isInstanceOf(ApiException.class)
                .hasMessageEndingWith("(Invalid date 'FEBRUARY 30')");
        assertThatThrownBy(() -> LaunchTimes.at("2027-01-10T09:00:00[Europe/Utrecht]", NOW))
                .hasMessageEndingWith("(no time zone is called Europe/Utrecht: the IANA names are Region/City)");
        assertThatThrownBy(() -> LaunchTimes.at("2026-12-24T09:00:00", NOW)).hasMessageContaining("is not an instant");
        assertThatThrownBy(() -> LaunchTimes.at("2026-12-07T05:59:59Z", NOW)).hasMessageContaining("is not in the future");
        assertThatThrownBy(() -> LaunchTimes.at("2028-01-01T00:00:00Z", NOW)).hasMessageContaining("more than 366 days");
    }

    @Test
    void refusesAnOffsetAndATimeZoneThatDisagreeAndAnHourTheZoneSkipsRatherThanMoveIt() {
        // Java alone reads this as 05:00 in Amsterdam: a broadcast four hours early.
        assertThatThrownBy(() -> LaunchTimes.at("2026-12-24T09:00:00+05:00[Europe/Amsterdam]", NOW))
                .isInstanceOf(ApiException.class).hasMessage("at: '2026-12-24T09:00:00+05:00[Europe/Amsterdam]': +05:00 is"
                        + " not Europe/Amsterdam's offset at 2026-12-24T09:00 (+01:00): write the offset or the time zone alone");
        assertThatThrownBy(() -> LaunchTimes.notAfter("2027-06-24T12:00:00+01:00[Europe/Amsterdam]",
                Instant.parse("2027-06-24T08:00:00Z"))).hasMessageStartingWith("notAfter: ").hasMessageContaining("(+02:00)");
        assertThat(LaunchTimes.at("2026-12-24T09:00:00+01:00[Europe/Amsterdam]", NOW)).isEqualTo(Instant.parse("2026-12-24T08:00:00Z"));
        // The hour the clocks skip as summer time begins: refused, not moved to 03:30.
        assertThatThrownBy(() -> LaunchTimes.at("2027-03-28T02:30:00[Europe/Amsterdam]", NOW)).hasMessage("at:"
                + " '2027-03-28T02:30:00[Europe/Amsterdam]': 2027-03-28T02:30 does not exist in Europe/Amsterdam (its clocks"
                + " go from 02:00 to 03:00 that day): write a time before or after the change");
        // The hour written twice as summer time ends: the offset says which.
        assertThat(LaunchTimes.at("2027-10-31T02:30:00+02:00[Europe/Amsterdam]", NOW)).isEqualTo(Instant.parse("2027-10-31T00:30:00Z"));
        assertThat(LaunchTimes.at("2027-10-31T02:30:00+01:00[Europe/Amsterdam]", NOW)).isEqualTo(Instant.parse("2027-10-31T01:30:00Z"));
    }

    @Test
    void boundsOnlyAScheduledLaunchAndOnlyAfterItsTime() {
        Instant at = Instant.parse("2026-12-24T08:00:00Z");
        assertThat(LaunchTimes.notAfter(null, at)).isNull();
        assertThat(LaunchTimes.notAfter("2026-12-24T12:00:00[Europe/Amsterdam]", at)).isEqualTo(Instant.parse("2026-12-24T11:00:00Z"));
        assertThatThrownBy(() -> LaunchTimes.notAfter("2026-12-24T12:00:00Z", null)).hasMessageContaining("give its at too");
        assertThatThrownBy(() -> LaunchTimes.notAfter("2026-12-24T08:00:00Z", at)).hasMessageContaining("is not after");
    }
}
