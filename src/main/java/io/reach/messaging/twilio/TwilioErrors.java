package io.reach.messaging.twilio;

import java.util.Map;
import java.util.Set;

/** What Twilio's error codes mean for a person. */
final class TwilioErrors {

    /** The recipient replied STOP to this Twilio number: Twilio sends it nothing more from there. */
    static final int UNSUBSCRIBED = 21610;

    private static final Map<Integer, String> DESCRIPTIONS = Map.ofEntries(
            Map.entry(20003, "Twilio refused the credentials (account SID or auth token)"),
            Map.entry(20005, "The Twilio account is not active"),
            Map.entry(21212, "The 'From' number is not a valid phone number or sender of this account"),
            Map.entry(21606, "The 'From' number cannot send SMS, or is not one of this account's"),
            Map.entry(21211, "The 'To' number is not a valid phone number"),
            Map.entry(21408, "The Twilio account may not send to this region"),
            Map.entry(21610, "The recipient replied STOP to this number: Twilio will not deliver"),
            Map.entry(21614, "The 'To' number is not a mobile number"),
            Map.entry(30003, "Unreachable destination handset"),
            Map.entry(30004, "Message blocked by the recipient or their carrier"),
            Map.entry(30005, "Unknown destination handset"),
            Map.entry(30006, "Landline or unreachable carrier"),
            Map.entry(30007, "The carrier filtered the message"),
            Map.entry(30008, "Unknown delivery error"));

    // The account or its number cannot send, whatever the recipient: refused credentials (20003), an account that is
    // not active (20005), a 'From' number that is not the account's or cannot send SMS (21212, 21606), an HTTP 401 or
    // 403 without a code.
    private static final Set<Integer> ACCOUNTS_OWN = Set.of(20003, 20005, 21212, 21606, 401, 403);

    private TwilioErrors() {}

    static boolean concernsTheAccount(int code) {
        return ACCOUNTS_OWN.contains(code);
    }

    static String describe(int code, String twilioMessage) {
        String known = DESCRIPTIONS.get(code);
        if (known != null) {
            return known;
        }
        return twilioMessage == null || twilioMessage.isBlank() ? "Twilio error " + code : twilioMessage;
    }
}
