package io.reach.template;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.shared.FieldProblem;
import io.reach.shared.MessageCategory;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class TemplateRendererTest {

    private static final Template TEMPLATE = new Template(UUID.randomUUID(), "order", "en", MessageCategory.UTILITY,
            "APPROVED", List.of(
                    new TemplateComponent("HEADER", "TEXT", "Order {{1}}", null),
                    new TemplateComponent("BODY", null, "Hi {{1}}, {{2}} is ready. Bye {{1}}!", null),
                    new TemplateComponent("FOOTER", null, "Shop", null),
                    new TemplateComponent("BUTTONS", null, null, List.of(
                            new TemplateButton("QUICK_REPLY", "Yes", null, null, null),
                            new TemplateButton("URL", "Track", "https://x.example/{{1}}", null, null),
                            new TemplateButton("URL", "Home", "https://x.example", null, null),
                            new TemplateButton("COPY_CODE", null, null, null, null)))),
            Instant.EPOCH, Instant.EPOCH, null);

    private static List<String> fields(TemplateParameters parameters) {
        return TemplateRenderer.check(TEMPLATE, parameters).stream().map(FieldProblem::field).toList();
    }

    @Test
    void fillsHeaderBodyAndFooter() {
        TemplateParameters parameters = new TemplateParameters(List.of("A-1"), List.of("Ann", "A-1"),
                List.of(new ButtonParameter(1, "A-1"), new ButtonParameter(3, "SAVE10")));
        assertThat(TemplateRenderer.check(TEMPLATE, parameters)).isEmpty();
        assertThat(TemplateRenderer.text(TEMPLATE, parameters)).isEqualTo("Order A-1\n\nHi Ann, A-1 is ready. Bye Ann!\n\nShop");
    }

    @Test
    void countsParametersAgainstThePlaceholders() {
        assertThat(fields(new TemplateParameters(List.of(), List.of("Ann"),
                List.of(new ButtonParameter(1, "x"), new ButtonParameter(3, "y")))))
                .containsExactly("headerParameters", "bodyParameters");
    }

    @Test
    void aDynamicUrlAndACouponCodeNeedTheirValuesAndAStaticButtonTakesNone() {
        assertThat(fields(new TemplateParameters(List.of("A"), List.of("a", "b"), List.of(new ButtonParameter(2, "x")))))
                .containsExactly("buttonParameters[0]", "buttonParameters", "buttonParameters");
        assertThat(fields(new TemplateParameters(List.of("A"), List.of("a", "b"),
                List.of(new ButtonParameter(1, "x"), new ButtonParameter(3, "y"), new ButtonParameter(9, "z")))))
                .containsExactly("buttonParameters[2].index");
    }

    @Test
    void theShapeAloneCountsTheValuesAndTheButtonsButLeavesTheValuesToTheSend() {
        List<ButtonParameter> buttons = List.of(new ButtonParameter(1, "{{event.order_id}}"),
                new ButtonParameter(3, "{{event.coupon_code_from_the_shop}}"));

        assertThat(TemplateRenderer.checkShape(TEMPLATE, new TemplateParameters(List.of("{{event.order_id}}"),
                List.of("{{contact.first_name}}", "line\nbreak"), buttons))).isEmpty();
        assertThat(TemplateRenderer.checkShape(TEMPLATE, new TemplateParameters(List.of(), List.of("{{x}}"),
                List.of(new ButtonParameter(2, "x")))).stream().map(FieldProblem::field))
                .containsExactly("headerParameters", "bodyParameters", "buttonParameters[0]", "buttonParameters", "buttonParameters");
    }

    @Test
    void refusesValuesWhatsAppRefuses() {
        assertThat(fields(new TemplateParameters(List.of("A"), List.of("line\nbreak", " "),
                List.of(new ButtonParameter(1, "x"), new ButtonParameter(3, "y")))))
                .containsExactly("bodyParameters[0]", "bodyParameters[1]");
    }

    @Test
    void namesANullValueOrButtonByItsPlaceInsteadOfFailing() {
        assertThat(fields(new TemplateParameters(Arrays.asList((String) null), Arrays.asList("Ann", null),
                Arrays.asList(new ButtonParameter(1, "x"), null, new ButtonParameter(3, "y")))))
                .containsExactly("headerParameters[0]", "bodyParameters[1]", "buttonParameters[1].index");
    }

    private static final Template NAMED = new Template(UUID.randomUUID(), "booked", "en", MessageCategory.UTILITY,
            "APPROVED", List.of(new TemplateComponent("HEADER", "TEXT", "Table for {{guests}}", null),
                    new TemplateComponent("BODY", null, "See you {{day}}, {{name}}! ({{day}})", null)),
            Instant.EPOCH, Instant.EPOCH, null);

    @Test
    void fillsNamedPlaceholdersFromValuesByNameOrInTheOrderTheyFirstAppear() {
        TemplateParameters byName = new TemplateParameters(TemplateValues.named(Map.of("guests", "4")),
                TemplateValues.named(new TreeMap<>(Map.of("name", "Ann", "day", "Saturday"))), List.of());
        TemplateParameters inOrder = new TemplateParameters(List.of("4"), List.of("Saturday", "Ann"), List.of());

        assertThat(TemplateRenderer.check(NAMED, byName)).isEmpty();
        assertThat(TemplateRenderer.check(NAMED, inOrder)).isEmpty();
        TemplateParameters ordered = TemplateRenderer.ordered(NAMED, byName);
        assertThat(ordered.body().list()).as("in the template's order, not the object's").containsExactly("Saturday", "Ann");
        assertThat(TemplateRenderer.text(NAMED, ordered)).isEqualTo("Table for 4\n\nSee you Saturday, Ann! (Saturday)");
        assertThat(TemplateRenderer.text(NAMED, TemplateRenderer.ordered(NAMED, inOrder))).isEqualTo(TemplateRenderer.text(NAMED, ordered));
        assertThat(NAMED.parameterFormat()).isEqualTo("NAMED");
        assertThat(TEMPLATE.parameterFormat()).isEqualTo("POSITIONAL");
    }

    @Test
    void namesEachMissingOrUnknownValueByNameAndRefusesNamesForNumberedPlaceholders() {
        List<FieldProblem> problems = TemplateRenderer.check(NAMED, new TemplateParameters(
                TemplateValues.named(Map.of("guests", "4")),
                TemplateValues.named(new LinkedHashMap<>(Map.of("dag", "Saturday"))), List.of()));
        assertThat(problems).extracting(FieldProblem::field).containsExactly("bodyParameters.dag", "bodyParameters.day",
                "bodyParameters.name");
        assertThat(problems.getFirst().message()).isEqualTo("the template's body has no {{dag}} (it has {{day}}, {{name}})");
        assertThat(problems.get(1).message()).isEqualTo("is missing: the template's body has {{day}}");

        assertThat(TemplateRenderer.check(NAMED, new TemplateParameters(List.of("4"), List.of("Saturday"), List.of())))
                .extracting(FieldProblem::message).containsExactly("the template's body has 2 placeholder(s) ({{day}}, {{name}},"
                        + " in that order) but 1 value(s) were given");
        assertThat(TemplateRenderer.check(TEMPLATE, new TemplateParameters(TemplateValues.of(List.of("A-1")),
                TemplateValues.named(Map.of("first", "Ann")), List.of(new ButtonParameter(1, "A-1"),
                        new ButtonParameter(3, "SAVE10"))))).extracting(FieldProblem::message)
                .containsExactly("the template's body has numbered placeholders ({{1}}, {{2}}): give its values as a list,"
                        + " in that order");
        assertThat(TemplateRenderer.check(NAMED, new TemplateParameters(TemplateValues.named(Map.of("guests", " ")),
                TemplateValues.named(Map.of("day", "Saturday", "name", "Ann\nB")), List.of())))
                .extracting(FieldProblem::field).containsExactly("headerParameters.guests", "bodyParameters.name");
    }

    @Test
    void keepsDollarSignsAndBackslashesInValues() {
        assertThat(TemplateRenderer.fill("Pay {{1}}", List.of("1"), List.of("$5 \\ 3"))).isEqualTo("Pay $5 \\ 3");
        assertThat(TemplateRenderer.fill("Pay {{ 01 }}", List.of("1"), List.of("5"))).isEqualTo("Pay 5");
    }
}
