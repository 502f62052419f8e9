package io.reach.sandbox;

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
        Reply reply) {

    /** What the handset answers: a quick-reply button payload (with its text) or a text. */
    public record Reply(Long afterMs, String button, String buttonText, String text) {}

    boolean onWhatsApp() {
        return whatsapp == null || whatsapp;
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
}
