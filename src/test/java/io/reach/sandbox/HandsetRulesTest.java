package io.reach.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reach.shared.CannotStart;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HandsetRulesTest {

    @Test
    void theShippedRulesGiveTheDocumentedMixByLastDigit() {
        HandsetRules rules = HandsetRules.load("");
        assertThat(rules.forRecipient("+31612345670").onWhatsApp()).isFalse();
        assertThat(rules.forRecipient("+31612345671").reply().button()).isEqualTo("YES");
        assertThat(rules.forRecipient("+31612345672").readAfterMs()).isNull();
        assertThat(rules.forRecipient("+31612345673").reply().text()).isNotBlank();
        assertThat(rules.forRecipient("+31612345674").failWith()).isEqualTo(131049);
        assertThat(rules.forRecipient("+31612345674").smsDeliverable()).isFalse();
        assertThat(rules.forRecipient("+31612345674").callOutcome()).isEqualTo("busy");
        assertThat(rules.forRecipient("+31612345672").callOutcome()).isEqualTo("no-answer");
        assertThat(rules.forRecipient("+31612345670").smsDeliverable()).isTrue();
        for (String last : new String[] {"5", "6", "7", "8", "9"}) {
            Handset handset = rules.forRecipient("+3161234567" + last);
            assertThat(handset.name()).isEqualTo("reads");
            assertThat(handset.readAfterMs()).isNotNull();
        }
        // README's three numbers for what the digits do not show; their neighbours follow their last digit.
        assertThat(rules.forRecipient("+31655500001").username()).isTrue();
        assertThat(rules.forRecipient("+31655500001").reply().text()).isEqualTo("See you at five");
        assertThat(rules.forRecipient("+31655500002").stopsPromotionsAfterMs()).isNotNull();
        assertThat(rules.forRecipient("+31655500003").smsUnsubscribed()).isTrue();
        assertThat(rules.forRecipient("+31655500011").name()).isEqualTo("quick-reply-yes");
        assertThat(rules.forRecipient("+31655500004").name()).isEqualTo("meta-did-not-deliver");
    }

    @Test
    void theFirstMatchingRuleWinsAndPatternsUseStarAndQuestionMark(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("rules.yml");
        Files.writeString(file, """
                handsets:
                  - match: "+4477009001??"
                    name: uk-test-range
                    whatsapp: false
                  - match: "+44*"
                    name: uk
                    deliveredAfterMs: 10
                """);
        HandsetRules rules = HandsetRules.load(file.toString());
        assertThat(rules.forRecipient("+447700900123").name()).isEqualTo("uk-test-range");
        assertThat(rules.forRecipient("+4477009001234").name()).isEqualTo("uk");
        assertThat(rules.forRecipient("+31612345678").name()).isEqualTo("default");
    }

    @Test
    void refusesUnknownKeysAndBadPatternsWithTheFileName(@TempDir Path dir) throws Exception {
        Path typo = dir.resolve("typo.yml");
        Files.writeString(typo, "handsets:\n  - match: \"+1*\"\n    readAfter: 10\n");
        assertThatThrownBy(() -> HandsetRules.load(typo.toString())).isInstanceOf(CannotStart.class)
                .hasMessageStartingWith("The sandbox's handset rules " + typo + " are not valid: handsets[0].readAfter: is not"
                        + " a field here (the fields are ").hasMessageContaining("readAfterMs")
                .hasMessageNotContaining("io.reach");
        Path pattern = dir.resolve("pattern.yml");
        Files.writeString(pattern, "handsets:\n  - match: \"+1.*\"\n");
        assertThatThrownBy(() -> HandsetRules.load(pattern.toString())).hasMessageContaining("+, digits, * and ?");
        assertThatThrownBy(() -> HandsetRules.load(dir.resolve("missing.yml").toString()))
                .hasMessage("The sandbox's handset rules " + dir.resolve("missing.yml") + " do not exist.");
        Path broken = Files.writeString(dir.resolve("broken.yml"), "handsets:\n  - match: \"+1\n");
        assertThatThrownBy(() -> HandsetRules.load(broken.toString())).hasMessageContaining("are not valid YAML: ")
                .hasMessageContaining("(line ")
                .satisfies(e -> assertThat(((CannotStart) e).action()).contains("REACH_SANDBOX_RULESFILE"));
    }
}
