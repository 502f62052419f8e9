package io.reach.messaging.whatsapp;

import java.util.Map;
import java.util.Set;

/** What Meta's Cloud API error codes mean for a person, and which of them are worth a retry. */
final class MetaErrors {

    static final int NOT_ON_WHATSAPP = 131026;

    // Meta asking to send more slowly: the app's and the account's rate limits, and the number's throughput.
    private static final Set<Integer> SLOW_DOWN = Set.of(4, 80007, 130429);

    // The sender itself cannot send (its token, its app's permissions, its account, its number's registration): every
    // message of it is refused until someone fixes that at Meta or in Reach. 401, 403 and 404: HTTP statuses without a
    // code of Meta's.
    private static final Set<Integer> SENDERS_OWN = Set.of(3, 10, 190, 368, 131005, 131031, 131042, 131045, 133010,
            401, 403, 404);

    // Other passing failures, worth another try.
    private static final Set<Integer> TRANSIENT = Set.of(1, 2, 131000, 131016, 131056, 131057, 133004);

    private static final Map<Integer, String> DESCRIPTIONS = Map.ofEntries(
            Map.entry(0, "Authentication failed: the access token could not be checked"),
            Map.entry(1, "Meta's API had an unknown error; retrying"),
            Map.entry(2, "Meta's service was temporarily unavailable; retrying"),
            Map.entry(3, "The app lacks the capability or permission for this call"),
            Map.entry(4, "The app reached its API call rate limit; retrying"),
            Map.entry(10, "Permission denied: the app lacks the whatsapp_business_messaging permission"),
            Map.entry(100, "Invalid parameter in the request sent to Meta"),
            Map.entry(190, "The access token has expired or is invalid"),
            Map.entry(200, "Permission error: the app lacks a permission this call needs"),
            Map.entry(368, "The account is temporarily blocked for policy violations"),
            Map.entry(80007, "The WhatsApp Business Account reached its rate limit; retrying"),
            Map.entry(130429, "Cloud API throughput reached for this number; retrying with backoff"),
            Map.entry(130472, "The recipient is part of a Meta experiment and did not get the marketing message"),
            Map.entry(131000, "Meta failed to send the message for an unknown reason; retrying"),
            Map.entry(131005, "Access denied: the number or token lacks permission"),
            Map.entry(131008, "A required parameter is missing"),
            Map.entry(131009, "A parameter value is not valid"),
            Map.entry(131016, "Meta's service is temporarily unavailable; retrying"),
            Map.entry(131021, "The recipient cannot be the sender"),
            Map.entry(131026, "Not on WhatsApp or unreachable: the recipient cannot receive this message"),
            Map.entry(131031, "The business account is locked"),
            Map.entry(131042, "A payment problem on the business account"),
            Map.entry(131045, "The phone number's certificate is wrong"),
            Map.entry(131047, "More than 24 hours since the recipient last wrote: only a template can be sent"),
            Map.entry(131048, "Spam rate limit hit: too many messages from this number were blocked or reported"),
            Map.entry(131049, "Meta chose not to deliver this marketing message, to keep engagement healthy"),
            Map.entry(131050, "The recipient stopped marketing messages from this business"),
            Map.entry(131051, "The message type is not supported"),
            Map.entry(131052, "The recipient's media could not be downloaded"),
            Map.entry(131053, "The media could not be uploaded or fetched from its link"),
            Map.entry(131056, "Too many messages to this recipient from this number in a short time; retrying"),
            Map.entry(131057, "The business account is in maintenance mode; retrying"),
            Map.entry(132000, "The number of parameters does not match the template's placeholders"),
            Map.entry(132001, "The template does not exist in this language or is not approved"),
            Map.entry(132005, "The text with its parameters is too long"),
            Map.entry(132007, "The template's content breaks WhatsApp's policy"),
            Map.entry(132012, "A parameter does not have the format the template expects"),
            Map.entry(132015, "The template is paused for low quality"),
            Map.entry(132016, "The template is disabled"),
            Map.entry(133004, "Meta's server was temporarily unavailable; retrying"),
            Map.entry(133010, "The phone number is not registered with the Cloud API"));

    private MetaErrors() {}

    static boolean isTransient(int code) {
        return TRANSIENT.contains(code);
    }

    /** Whether the code asks for fewer requests a second rather than refusing the message. */
    static boolean asksToSlowDown(int code) {
        return SLOW_DOWN.contains(code);
    }

    /**
     * Whether a refusal with this code (or HTTP status, when Meta gave no code) is about the sender rather than the
     * message: its access token, its app's permissions (3, 10, 200–299), its account or its number.
     */
    static boolean concernsTheSender(int code) {
        return SENDERS_OWN.contains(code) || code >= 200 && code < 300;
    }

    static String describe(int code, String metaTitle) {
        String known = DESCRIPTIONS.get(code);
        if (known != null) {
            return known;
        }
        return metaTitle == null || metaTitle.isBlank() ? "WhatsApp error " + code : metaTitle;
    }
}
