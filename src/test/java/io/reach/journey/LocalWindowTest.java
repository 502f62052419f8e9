package io.reach.journey;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.contact.PhoneNumbers;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LocalWindowTest {

    private static final LocalTime NINE = LocalTime.of(9, 0);
    private static final LocalTime SIX_PM = LocalTime.of(18, 0);

    private static List<ZoneId> zones(String... ids) {
        return Arrays.stream(ids).map(ZoneId::of).toList();
    }

    private static List<ZoneId> zonesOf(String phone) {
        return PhoneNumbers.timeZonesOf(phone).stream().map(ZoneId::of).toList();
    }

    @Test
    void isOpenNowInsideTheWindowAndOpensAtItsStartOutsideIt() {
        List<ZoneId> amsterdam = zones("Europe/Amsterdam");
        Instant morning = Instant.parse("2026-12-04T09:30:00Z"); // 10:30 in Amsterdam
        assertThat(LocalWindow.opening(morning, NINE, SIX_PM, amsterdam)).contains(morning);
        Instant evening = Instant.parse("2026-12-04T17:00:00Z"); // 18:00 in Amsterdam: closed, the end is not in it
        assertThat(LocalWindow.opening(evening, NINE, SIX_PM, amsterdam)).contains(Instant.parse("2026-12-05T08:00:00Z"));
        Instant early = Instant.parse("2026-12-04T05:00:00Z");
        assertThat(LocalWindow.opening(early, NINE, SIX_PM, amsterdam)).contains(Instant.parse("2026-12-04T08:00:00Z"));
    }

    @Test
    void aWindowWhoseStartIsAfterItsEndSpansMidnight() {
        List<ZoneId> utc = zones("UTC");
        LocalTime ten = LocalTime.of(22, 0);
        LocalTime six = LocalTime.of(6, 0);
        assertThat(LocalWindow.opening(Instant.parse("2026-12-04T03:00:00Z"), ten, six, utc))
                .contains(Instant.parse("2026-12-04T03:00:00Z"));
        assertThat(LocalWindow.opening(Instant.parse("2026-12-04T12:00:00Z"), ten, six, utc))
                .contains(Instant.parse("2026-12-04T22:00:00Z"));
    }

    @Test
    void aStartInTheSpringForwardGapOpensWhenTheClocksHaveMovedOn() {
        // On 2027-03-28 Amsterdam's clocks go from 02:00 to 03:00: 02:30 does not exist, the window opens at 03:30.
        Optional<Instant> opening = LocalWindow.opening(Instant.parse("2027-03-27T23:00:00Z"), LocalTime.of(2, 30),
                LocalTime.of(5, 0), zones("Europe/Amsterdam"));
        assertThat(opening).contains(Instant.parse("2027-03-28T01:30:00Z"));
    }

    @Test
    void aSpanishMobileWaitsUntilTheWindowIsOpenOnTheMainlandAndOnTheCanaries() {
        List<ZoneId> spain = zonesOf("+34612345678");
        assertThat(spain).containsExactlyInAnyOrder(ZoneId.of("Atlantic/Canary"), ZoneId.of("Europe/Madrid"));
        // 08:30 in Madrid, 07:30 on the Canaries: 09:00 on the Canaries is 10:00 in Madrid.
        assertThat(LocalWindow.opening(Instant.parse("2026-12-04T07:30:00Z"), NINE, SIX_PM, spain))
                .contains(Instant.parse("2026-12-04T09:00:00Z"));
        // 17:30 in Madrid is inside it; at 18:00 it closes there, and opens again tomorrow when it is 09:00 on the Canaries.
        assertThat(LocalWindow.opening(Instant.parse("2026-12-04T16:30:00Z"), NINE, SIX_PM, spain))
                .contains(Instant.parse("2026-12-04T16:30:00Z"));
        assertThat(LocalWindow.opening(Instant.parse("2026-12-04T17:00:00Z"), NINE, SIX_PM, spain))
                .contains(Instant.parse("2026-12-05T09:00:00Z"));
    }

    @Test
    void anAustralianMobileIsNeverWokenOutsideOfficeHoursInAnyOfItsZones() {
        List<ZoneId> australia = zonesOf("+61412345678");
        assertThat(australia).contains(ZoneId.of("Australia/Perth"), ZoneId.of("Australia/Sydney"));
        Instant now = Instant.parse("2026-12-04T12:00:00Z"); // 23:00 in Sydney, 20:00 in Perth
        Instant opening = LocalWindow.opening(now, NINE, SIX_PM, australia).orElseThrow();
        for (ZoneId zone : australia) {
            LocalTime local = opening.atZone(zone).toLocalTime();
            assertThat(local).as(zone.getId()).isBetween(NINE, SIX_PM.minusNanos(1));
        }
        // The westernmost zone (the Cocos Islands, UTC+6:30) opens last: 09:00 there is 02:30 UTC.
        assertThat(opening).isEqualTo(Instant.parse("2026-12-05T02:30:00Z"));
    }

    @Test
    void hasNoOpeningWhenTheZonesLieFurtherApartThanTheWindowIsLong() {
        // A Russian mobile may be anywhere from UTC+2 to UTC+12: a nine-hour window is never open in all of them.
        assertThat(LocalWindow.opening(Instant.parse("2026-12-04T12:00:00Z"), NINE, SIX_PM, zonesOf("+79125550100"))).isEmpty();
        assertThat(LocalWindow.opening(Instant.parse("2026-12-04T12:00:00Z"), NINE, SIX_PM, List.of())).isEmpty();
    }
}
