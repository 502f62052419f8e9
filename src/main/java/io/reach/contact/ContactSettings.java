package io.reach.contact;

import java.util.List;
import java.util.Optional;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Contact settings ({@code reach.contacts.*}).
 *
 * @param defaultRegion    ISO 3166 region assumed for numbers written without a country code (e.g. NL); blank: none
 * @param optOutKeywords   a contact's typed message that is one of these words (any case, alone, punctuation around
 *                         it ignored) opts it out of all messages; empty: no word does
 * @param optInKeywords    one of these opts a contact who had opted out back in; empty: no word does
 * @param optOutReply      what Reach answers a contact whose keyword opted it out, in the same conversation; blank:
 *                         nothing
 * @param optInReply       what Reach answers a contact whose keyword opted it back in; blank: nothing
 */
@ConfigurationProperties("reach.contacts")
public record ContactSettings(String defaultRegion, List<String> optOutKeywords, List<String> optInKeywords,
                              String optOutReply, String optInReply) {

    public ContactSettings {
        optOutKeywords = optOutKeywords == null ? List.of() : List.copyOf(optOutKeywords);
        optInKeywords = optInKeywords == null ? List.of() : List.copyOf(optInKeywords);
        optOutReply = optOutReply == null || optOutReply.isBlank() ? null : optOutReply.strip();
        optInReply = optInReply == null || optInReply.isBlank() ? null : optInReply.strip();
    }

    /** What Reach answers a keyword that opted a contact out ({@code optedOut}) or back in; empty: nothing. */
    public Optional<String> replyTo(boolean optedOut) {
        return Optional.ofNullable(optedOut ? optOutReply : optInReply);
    }
}
