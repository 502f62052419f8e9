package io.reach.contact;

import java.util.List;
import java.util.Map;

/**
 * What a caller sends to create or change a contact. On a change, a null field leaves the value as it is;
 * attributes are merged (an empty string removes one), tags and consent replace what was there.
 */
public record ContactRequest(
        String phone,
        Map<String, String> attributes,
        List<String> tags,
        Map<String, Boolean> consent,
        Boolean optedOut,
        String timeZone) {}
