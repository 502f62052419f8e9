package io.reach.sandbox;

import java.time.Duration;
import java.time.Instant;

/**
 * One rule of virtual handsets: the recipients whose E.164 number matches {@code match} (a pattern where * is any
 * run of digits and ? one digit) behave like this. Times are milliseconds after the send; an absent time means
 * "never".
 *
 * @param whatsapp       false: the number is not on WhatsApp, the message fails with 131026
 * @param failWith       the message is accepted, then fails with this Meta error code
 * @param failAfterMs    when the failure arrives (default 300)
 * @param rejectWith     the send call itself is refused with this Meta error code (HTTP 400)
 * @param throttleFirst  the first N attempts of each message get 130429 (throughput reached)
 * @param deliveredAfterFailMs a multi-device user: delivered arrives this long after the failure
 * @param username       true: a user who took a username, whose number Meta withholds: its replies' webhooks carry no
 *                       {@code from} and no {@code wa_id} (its quick replies still quote the message)
 * @param stopsPromotionsAfterMs the user stops the business's marketing messages ("Stop promotions") this long after
 *                       the send: Meta's {@code user_preferences} webhook says so
 * @param smsDelivered   false: SMS to this number are not delivered (receipt {@code smsFailStat}, Twilio 30003)
 * @param smsUnsubscribed true: the number replied STOP to the Twilio number, whose API refuses each SMS to it (21610)
 * @param smsAfterMs     when the SMS's final receipt or callback arrives (default 300)
 * @param smsFailStat    the receipt state of an undelivered SMS: UNDELIV (default), EXPIRED or REJECTD
 * @param smsError       the receipt's err code of an undelivered SMS (default 001)
 * @param smsThrottleFirst the first N submits of each SMS part are answered ESME_RTHROTTLED (0x58), then it goes through
 * @param smsSubmitRespAfterMs the SMSC answers each submit_sm (its submit_sm_resp) this long after it came: a slow SMSC
 * @param call           what a call does: answered (default), busy, no-answer or failed
 * @param callAfterMs    when the call is answered or its outcome is known (default 400)
 * @param callDurationSec how long an answered call lasts (default 5)
 */
public record Handset(
        String match,
        String name,
        Boolean whatsapp,
        Long sentAfterMs,
        Long deliveredAfterMs,
        Long readAfterMs,
        Integer failWith,
        Long failAfterMs,
        Long deliveredAfterFailMs,
        Integer rejectWith,
        Integer throttleFirst,
        Reply reply,
        Boolean username,
        Long stopsPromotionsAfterMs,
        Boolean smsDelivered,
        Boolean smsUnsubscribed,
        Long smsAfterMs,
        String smsFailStat,
        String smsError,
        Integer smsThrottleFirst,
        Long smsSubmitRespAfterMs,
        String call,
        Long callAfterMs,
        Integer callDurationSec) {

    /**
     * What the handset answers: a quick-reply button payload (with its text), which quotes the message as WhatsApp's
     * do, or a text, which quotes it only when {@code quoted} (a swipe to reply): most typed replies quote nothing.
     */
    public record Reply(Long afterMs, String button, String buttonText, String text, Boolean quoted) {}

    boolean onWhatsApp() {
        return whatsapp == null || whatsapp;
    }

    boolean smsDeliverable() {
        return smsDelivered == null || smsDelivered;
    }

    long smsDelay() {
        return smsAfterMs == null ? 300 : smsAfterMs;
    }

    String callOutcome() {
        return call == null ? "answered" : call;
    }

    long callDelay() {
        return callAfterMs == null ? 400 : callAfterMs;
    }

    boolean matches(String e164) {
        return e164.matches(toRegex(match));
    }

    static String toRegex(String pattern) {
        StringBuilder regex = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            switch (c) {
                case '*' -> regex.append("[0-9]*");
                case '?' -> regex.append("[0-9]");
                case '+' -> regex.append("\\+");
                default -> {
                    if (Character.isDigit(c)) {
                        regex.append(c);
                    } else {
                        throw new IllegalArgumentException("handset pattern '" + pattern + "' may hold only +, digits, * and ?");
                    }
                }
            }
        }
        return regex.toString();
    }

    /**
     * Milliseconds from now until {@code afterMs} after {@code start}, when a handset's event falls due; 0 when that is
     * past (an event owed from before a restart goes out at once).
     */
    static long delayUntil(Instant start, long afterMs) {
        return Math.max(0, Duration.between(Instant.now(), start.plusMillis(afterMs)).toMillis());
    }
}
