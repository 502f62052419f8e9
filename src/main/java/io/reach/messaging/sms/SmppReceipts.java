package io.reach.messaging.sms;

import io.reach.messaging.MessageError;
import io.reach.messaging.MessageStatus;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * SMPP delivery receipts in Reach's status model: ENROUTE and ACCEPTD are {@code sent}, DELIVRD is
 * {@code delivered}, UNDELIV, EXPIRED, REJECTD, DELETED and UNKNOWN are {@code failed} with the receipt's err code.
 */
final class SmppReceipts {

    private SmppReceipts() {}

    static MessageStatus status(String stat) {
        return switch (stat.toUpperCase(Locale.ROOT)) {
            case "DELIVRD" -> MessageStatus.DELIVERED;
            case "ENROUTE", "ACCEPTD" -> MessageStatus.SENT;
            default -> MessageStatus.FAILED;
        };
    }

    static MessageError error(String stat, String err) {
        String description = switch (stat.toUpperCase(Locale.ROOT)) {
            case "UNDELIV" -> "Undeliverable: the operator could not deliver the SMS";
            case "EXPIRED" -> "Expired: not delivered within its validity period";
            case "REJECTD" -> "Rejected by the operator";
            case "DELETED" -> "Deleted by the operator before delivery";
            default -> "Unknown final state reported by the SMSC";
        };
        int code;
        try {
            code = err == null || err.isBlank() ? 0 : Integer.parseInt(err.trim());
        } catch (NumberFormatException e) {
            code = 0;
        }
        return new MessageError(code, description + " (" + stat.toUpperCase(Locale.ROOT) + ", err " + err + ")", null);
    }

    /**
     * The ids a receipt's id may stand for: SMSCs disagree whether the receipt repeats the submit_sm_resp id as it
     * was or converts it between hexadecimal and decimal.
     */
    static List<String> candidates(String id) {
        List<String> ids = new ArrayList<>(List.of(id));
        if (id.matches("[0-9]{1,30}")) {
            ids.add(new BigInteger(id).toString(16));
            ids.add(new BigInteger(id).toString(16).toUpperCase(Locale.ROOT));
        }
        if (id.matches("[0-9a-fA-F]{1,24}")) {
            ids.add(new BigInteger(id, 16).toString());
        }
        return ids.stream().distinct().toList();
    }
}
