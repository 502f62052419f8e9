package io.reach.contact;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads a contact's own message as an opt-out or an opt-in, the way SMS carriers read STOP and START: the whole
 * message must be the word, in any case, with nothing but spaces and punctuation around it; "please stop" is a
 * sentence, not a keyword, and a flow may well be waiting for it.
 */
final class OptOutKeywords {

    private static final Pattern AROUND = Pattern.compile("^[\\s\\p{Punct}]+|[\\s\\p{Punct}]+$",
            Pattern.UNICODE_CHARACTER_CLASS);
    // Longer than any keyword: a long message is never compared word by word.
    private static final int LONGEST = 64;

    private final Set<String> optOut;
    private final Set<String> optIn;

    OptOutKeywords(Collection<String> optOut, Collection<String> optIn) {
        this.optOut = normalised(optOut);
        this.optIn = normalised(optIn);
        Set<String> both = this.optOut.stream().filter(this.optIn::contains).collect(Collectors.toSet());
        if (!both.isEmpty()) {
            throw new IllegalArgumentException("reach.contacts: " + both
                    + " is both an opt-out and an opt-in keyword; a word can only mean one of them");
        }
    }

    /** True for an opt-out keyword, false for an opt-in keyword, empty for any other message. */
    Optional<Boolean> optsOut(String text) {
        if (text == null || text.length() > LONGEST) {
            return Optional.empty();
        }
        String word = word(text);
        if (optOut.contains(word)) {
            return Optional.of(true);
        }
        return optIn.contains(word) ? Optional.of(false) : Optional.empty();
    }

    private static Set<String> normalised(Collection<String> keywords) {
        return keywords.stream().map(OptOutKeywords::word).filter(word -> !word.isEmpty()).collect(Collectors.toUnmodifiableSet());
    }

    private static String word(String text) {
        return AROUND.matcher(text).replaceAll("").toUpperCase(Locale.ROOT);
    }
}
