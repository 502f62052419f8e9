package io.reach.flow;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** The step vocabulary of DESIGN.md, and what each type needs to be valid. */
public final class StepTypes {

    public static final String SEND_WHATSAPP = "send_whatsapp";
    public static final String SEND_TEXT = "send_text";
    public static final String BRANCH_ON_STATUS = "branch_on_status";
    public static final String WAIT = "wait";
    public static final String WAIT_FOR_REPLY = "wait_for_reply";
    public static final String SEND_SMS = "send_sms";
    public static final String VOICE_CALL = "voice_call";
    public static final String FETCH_VARIABLES = "fetch_variables";
    public static final String ADD_REPORT_ROW = "add_report_row";
    public static final String ADD_TAG = "add_tag";
    public static final String REMOVE_TAG = "remove_tag";
    public static final String SET_ATTRIBUTE = "set_attribute";
    public static final String CONDITION = "condition";
    public static final String END = "end";

    public static final Set<String> ALL = Set.of(SEND_WHATSAPP, SEND_TEXT, BRANCH_ON_STATUS, WAIT, WAIT_FOR_REPLY, SEND_SMS,
            VOICE_CALL, FETCH_VARIABLES, ADD_REPORT_ROW, ADD_TAG, REMOVE_TAG, SET_ATTRIBUTE, CONDITION, END);

    /** Steps that send a message another step can branch on. */
    public static final Set<String> SENDING = Set.of(SEND_WHATSAPP, SEND_TEXT, SEND_SMS, VOICE_CALL);

    /** Steps that branch instead of going on through {@code next}. */
    public static final Set<String> BRANCHING = Set.of(BRANCH_ON_STATUS, WAIT_FOR_REPLY, FETCH_VARIABLES, CONDITION);

    /** Steps where a journey waits for time to pass (so a loop through one is not an endless loop). */
    public static final Set<String> WAITING = Set.of(BRANCH_ON_STATUS, WAIT, WAIT_FOR_REPLY);

    /** The branch keys of a status branch; any other key is an error. */
    public static final Set<String> STATUS_BRANCHES = Set.of("sent", "delivered", "read", "failed", "blocked", "timeout");

    /**
     * The fields each type uses besides {@code id}, {@code type}, {@code description} (a note on any step, a report
     * row's description on {@code add_report_row}) and how it goes on ({@code next} or {@code branches}), in the order
     * docs/flows.md lists them: another type's field on a step would be left unused.
     */
    public static final Map<String, List<String>> FIELDS = Map.ofEntries(
            Map.entry(SEND_WHATSAPP, List.of("sender", "template", "language", "headerParameters",
                    "bodyParameters", "buttonParameters")),
            Map.entry(SEND_TEXT, List.of("sender", "text")),
            Map.entry(SEND_SMS, List.of("sender", "text", "category")),
            Map.entry(VOICE_CALL, List.of("sender", "text", "language", "voice", "category")),
            Map.entry(BRANCH_ON_STATUS, List.of("message", "timeout")),
            Map.entry(WAIT, List.of("duration", "window")),
            Map.entry(WAIT_FOR_REPLY, List.of("message", "timeout")),
            Map.entry(FETCH_VARIABLES, List.of("request", "extract")),
            Map.entry(ADD_REPORT_ROW, List.of("status", "message")),
            Map.entry(ADD_TAG, List.of("tag")),
            Map.entry(REMOVE_TAG, List.of("tag")),
            Map.entry(SET_ATTRIBUTE, List.of("attribute", "value")),
            Map.entry(CONDITION, List.of("condition")),
            Map.entry(END, List.of()));

    /** The special branch keys of a reply wait, besides quick-reply payloads. */
    public static final String ANY_TEXT = "any_text";
    public static final String NO_REPLY = "no_reply";

    private StepTypes() {}

    /**
     * What a variable that a start, an event or a fetch sets may be named: Reach keeps its own under "_", and
     * {@code {{contact.…}}} reads the contact, never a variable (one named so would be set and never read).
     */
    public static final String USERS_VARIABLES = "names starting with _ are Reach's own (e.g. _message.<step>, the message"
            + " a step sent), those starting with contact. read the contact's attributes ({{contact.city}}; a set_attribute"
            + " step sets one), and a name is not blank";

    /** Whether a start, an event or a fetch_variables step may set a variable of this name (see {@link #USERS_VARIABLES}). */
    public static boolean isUsersVariable(String name) {
        return name != null && !name.isBlank() && !name.startsWith("_") && !name.startsWith("contact.");
    }
}
