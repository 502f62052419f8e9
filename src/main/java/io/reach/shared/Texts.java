package io.reach.shared;

/** Texts fitted to the columns that keep them. */
public final class Texts {

    private Texts() {}

    /**
     * {@code text} as a column of {@code maxLength} characters can keep it: whole when it fits, else cut (never
     * inside a surrogate pair) and ended with "…". For descriptions and what providers say, whose length Reach does
     * not control: a value too long would make the database refuse the whole write, again on every retry.
     */
    public static String clip(String text, int maxLength) {
        if (text == null || text.length() <= maxLength) {
            return text;
        }
        int end = maxLength - 1;
        return text.substring(0, Character.isHighSurrogate(text.charAt(end - 1)) ? end - 1 : end) + "…";
    }

    /**
     * {@code text} without the NUL character (U+0000), which PostgreSQL's text cannot store: for what a provider sends,
     * which Reach keeps rather than refuses (a callback refused would come again, and fail again).
     */
    public static String withoutNul(String text) {
        return text == null || text.indexOf('\u0000') < 0 ? text : text.replace("\u0000", "");
    }
}
