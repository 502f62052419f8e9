package io.reach.contact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

class OptOutKeywordsTest {

    private final OptOutKeywords keywords = new OptOutKeywords(List.of("STOP", "unsubscribe", " Quit "), List.of("START"));

    @Test
    void aKeywordAloneInAnyCaseWithPunctuationAroundItOptsOut() {
        assertThat(keywords.optsOut("STOP")).contains(true);
        assertThat(keywords.optsOut("stop")).contains(true);
        assertThat(keywords.optsOut("  Stop.\n")).contains(true);
        assertThat(keywords.optsOut("¡Unsubscribe!")).contains(true);
        assertThat(keywords.optsOut("quit")).contains(true);
    }

    @Test
    void anOptInKeywordOptsBackIn() {
        assertThat(keywords.optsOut("Start")).contains(false);
    }

    @Test
    void aSentenceOrAnotherWordIsNoKeyword() {
        assertThat(keywords.optsOut("please stop")).isEmpty();
        assertThat(keywords.optsOut("STOPPED")).isEmpty();
        assertThat(keywords.optsOut("YES")).isEmpty();
        assertThat(keywords.optsOut("")).isEmpty();
        assertThat(keywords.optsOut(null)).isEmpty();
        assertThat(keywords.optsOut("stop ".repeat(40))).isEmpty();
    }

    @Test
    void noKeywordsMeansNoMessageOptsAnyoneOutOrIn() {
        OptOutKeywords none = new OptOutKeywords(List.of(), List.of(""));

        assertThat(none.optsOut("STOP")).isEmpty();
        assertThat(none.optsOut("START")).isEmpty();
    }

    @Test
    void refusesAWordThatWouldMeanBoth() {
        assertThatThrownBy(() -> new OptOutKeywords(List.of("STOP", "END"), List.of("end")))
                .hasMessageContaining("END").hasMessageContaining("both");
    }

    @Test
    void aBlankSettingTurnsTheKeywordsOffAndACommaListSetsThem() {
        ContactSettings off = settings(Map.of("reach.contacts.opt-out-keywords", "", "reach.contacts.opt-in-keywords", ""));
        ContactSettings listed = settings(Map.of("reach.contacts.opt-out-keywords", "STOPP, HALT"));

        assertThat(off.optOutKeywords()).isEmpty();
        assertThat(off.optInKeywords()).isEmpty();
        assertThat(new OptOutKeywords(listed.optOutKeywords(), listed.optInKeywords()).optsOut("halt")).contains(true);
        assertThat(new OptOutKeywords(listed.optOutKeywords(), listed.optInKeywords()).optsOut("stop")).isEmpty();
    }

    @Test
    void repliesToAKeywordOnlyWithATextThatIsSet() {
        ContactSettings blank = settings(Map.of("reach.contacts.opt-out-reply", "  ", "reach.contacts.default-region", "NL"));
        ContactSettings set = settings(Map.of("reach.contacts.opt-out-reply", " Bye. Reply START to come back. ",
                "reach.contacts.opt-in-reply", "Welcome back"));

        assertThat(blank.replyTo(true)).isEmpty();
        assertThat(blank.replyTo(false)).isEmpty();
        assertThat(set.replyTo(true)).contains("Bye. Reply START to come back.");
        assertThat(set.replyTo(false)).contains("Welcome back");
    }

    private static ContactSettings settings(Map<String, String> properties) {
        return new Binder(new MapConfigurationPropertySource(properties)).bindOrCreate("reach.contacts",
                ContactSettings.class);
    }
}
