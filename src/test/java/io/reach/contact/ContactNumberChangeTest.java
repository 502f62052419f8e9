package io.reach.contact;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What a contact's new number changes (its time zone, whether it is on WhatsApp), without Spring. */
class ContactNumberChangeTest {

    private static Contact withZone(String phone, String timeZone) {
        return contact(phone, timeZone, false);
    }

    private static Contact contact(String phone, String timeZone, boolean notOnWhatsApp) {
        Instant now = Instant.parse("2026-12-06T08:00:00Z");
        return new Contact(UUID.randomUUID(), phone, Map.of(), Set.of(), Consent.NONE, false, null, timeZone, notOnWhatsApp,
                now, now, null, null);
    }

    @Test
    void aNewNumberIsNotTakenForOffWhatsAppAsTheOldOneWas() {
        Contact offWhatsApp = contact("+31612345670", "Europe/Amsterdam", true);

        assertThat(Contacts.withNumber(offWhatsApp, "+31612345679").notOnWhatsApp()).isFalse();
        assertThat(Contacts.withNumber(offWhatsApp, "+31612345670").notOnWhatsApp()).isTrue();
    }

    @Test
    void aTimeZoneThatCameFromTheNumberFollowsTheNewNumber() {
        Contact inAmsterdam = withZone("+31612345671", "Europe/Amsterdam");

        assertThat(Contacts.withNumber(inAmsterdam, "+12125550101").timeZone()).isEqualTo("America/New_York");
        assertThat(Contacts.withNumber(inAmsterdam, "+447911123456").timeZone()).isEqualTo("Europe/London");
    }

    @Test
    void aNumberThatMayBeInSeveralZonesLeavesNoneSoThatTheWindowsOfAllOfThemAreKept() {
        Contact inAmsterdam = withZone("+31612345671", "Europe/Amsterdam");

        // A Spanish mobile: mainland or the Canaries.
        assertThat(Contacts.withNumber(inAmsterdam, "+34612345678").timeZone()).isNull();
        assertThat(Contacts.withNumber(withZone("+34612345678", null), "+31612345671").timeZone())
                .isEqualTo("Europe/Amsterdam");
    }

    @Test
    void aTimeZoneSetApartFromTheNumberStays() {
        Contact setToTokyo = withZone("+31612345671", "Asia/Tokyo");

        assertThat(Contacts.withNumber(setToTokyo, "+12125550101").timeZone()).isEqualTo("Asia/Tokyo");
    }

    @Test
    void theSameNumberChangesNothing() {
        Contact unknownZone = withZone("+18005550199", null);

        assertThat(Contacts.withNumber(unknownZone, "+18005550199").timeZone()).isNull();
        assertThat(Contacts.withNumber(withZone("+31612345671", "Asia/Tokyo"), "+31612345671").timeZone()).isEqualTo("Asia/Tokyo");
    }
}
