package io.reach.messaging.twilio;

import java.util.Map;

/** What Twilio's error codes mean for a person. */
final class TwilioErrors {

    private static final Map<Integer, String> DESCRIPTIONS = Map.ofEntries(
            Map.entry(20003, "Twilio refused the credentials (account SID or auth token)"),
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

    private TwilioErrors() {}

    static String describe(int code, String twilioMessage) {
        String known = DESCRIPTIONS.get(code);
        if (known != null) {
            return known;
        }
        return twilioMessage == null || twilioMessage.isBlank() ? "Twilio error " + code : twilioMessage;
    }
}
