package io.reach.template;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.shared.FieldProblem;
import io.reach.shared.MessageCategory;
import java.time.Instant;
import java.util.List;
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
            Instant.EPOCH, Instant.EPOCH);

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
        assertThat(fields(new TemplateParameters(java.util.Arrays.asList((String) null), java.util.Arrays.asList("Ann", null),
                java.util.Arrays.asList(new ButtonParameter(1, "x"), null, new ButtonParameter(3, "y")))))
                .containsExactly("headerParameters[0]", "bodyParameters[1]", "buttonParameters[1].index");
    }

    @Test
    void keepsDollarSignsAndBackslashesInValues() {
        assertThat(TemplateRenderer.fill("Pay {{1}}", List.of("$5 \\ 3"))).isEqualTo("Pay $5 \\ 3");
    }
}
