package io.reach.contact;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberToTimeZonesMapper;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;
import io.reach.shared.ApiException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Normalises phone numbers to E.164 with libphonenumber and refuses the ones that cannot be dialled. */
public final class PhoneNumbers {

    private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();
    private static final PhoneNumberToTimeZonesMapper TIME_ZONES = PhoneNumberToTimeZonesMapper.getInstance();

    private final String defaultRegion;

    /** @param defaultRegion ISO 3166 code used for numbers written without a country code; blank for none */
    public PhoneNumbers(String defaultRegion) {
        String region = defaultRegion == null ? "" : defaultRegion.trim().toUpperCase(Locale.ROOT);
        if (!region.isEmpty() && !UTIL.getSupportedRegions().contains(region)) {
            throw new IllegalArgumentException("reach.contacts.default-region '" + defaultRegion + "' is not an ISO 3166 region code libphonenumber knows");
        }
        this.defaultRegion = region.isEmpty() ? null : region;
    }

    /** The number in E.164, or the reason it is not a valid number. */
    public Result normalise(String raw) {
        if (raw == null || raw.isBlank()) {
            return Result.invalid("is required");
        }
        String text = raw.trim();
        if (defaultRegion == null && !text.startsWith("+") && !text.startsWith("00")) {
            return Result.invalid("'" + text + "' has no country code: write it as +<country code><number>, or set reach.contacts.default-region");
        }
        if (text.startsWith("00")) {
            text = "+" + text.substring(2);
        }
        try {
            PhoneNumber number = UTIL.parse(text, defaultRegion == null ? "ZZ" : defaultRegion);
            if (!UTIL.isValidNumber(number)) {
                return Result.invalid("'" + raw.trim() + "' is not a valid phone number");
            }
            return Result.valid(UTIL.format(number, PhoneNumberUtil.PhoneNumberFormat.E164));
        } catch (NumberParseException e) {
            return Result.invalid("'" + raw.trim() + "' is not a phone number (" + e.getErrorType().name().toLowerCase(Locale.ROOT).replace('_', ' ') + ")");
        }
    }

    /** Like {@link #normalise} but refuses an invalid number with a 400 that names the field. */
    public String require(String field, String raw) {
        Result result = normalise(raw);
        if (result.e164() == null) {
            throw ApiException.invalidField(field, result.problem());
        }
        return result.e164();
    }

    /**
     * The IANA time zone of a number when libphonenumber's answer is unambiguous. Several zones that keep the same
     * time all year (the UK's London, Jersey, Guernsey, Isle of Man) count as one answer; zones that differ
     * (a country-wide US toll-free number) give none, and the contact's time zone stays to be set.
     */
    public static Optional<String> timeZoneOf(String e164) {
        List<String> zones = timeZonesOf(e164);
        if (zones.isEmpty()) {
            return Optional.empty();
        }
        Instant winter = Instant.parse("2025-01-15T12:00:00Z");
        Instant summer = Instant.parse("2025-07-15T12:00:00Z");
        ZoneId first = ZoneId.of(zones.getFirst());
        boolean sameTime = zones.stream().map(ZoneId::of).allMatch(z ->
                z.getRules().getOffset(winter).equals(first.getRules().getOffset(winter))
                        && z.getRules().getOffset(summer).equals(first.getRules().getOffset(summer)));
        // Among equivalent zones the last in alphabetical order is taken, so that the choice is stable.
        return sameTime ? Optional.of(zones.getLast()) : Optional.empty();
    }

    /**
     * Every IANA time zone the number may be in, as libphonenumber knows them, in alphabetical order: one for most
     * numbers, several for a number that does not tell where in its country it is (a Spanish or an Australian mobile),
     * none for a number libphonenumber places nowhere.
     */
    public static List<String> timeZonesOf(String e164) {
        try {
            return TIME_ZONES.getTimeZonesForNumber(UTIL.parse(e164, "ZZ")).stream()
                    .filter(z -> !z.equals(PhoneNumberToTimeZonesMapper.getUnknownTimeZone()))
                    .filter(z -> ZoneId.getAvailableZoneIds().contains(z))
                    .sorted().toList();
        } catch (NumberParseException e) {
            return List.of();
        }
    }

    /** Outcome of a normalisation: the E.164 form, or what is wrong. */
    public record Result(String e164, String problem) {
        static Result valid(String e164) {
            return new Result(e164, null);
        }

        static Result invalid(String problem) {
            return new Result(null, problem);
        }

        public boolean isValid() {
            return e164 != null;
        }
    }
}
