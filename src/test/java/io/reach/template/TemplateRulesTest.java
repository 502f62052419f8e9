package io.reach.template;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.shared.FieldProblem;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TemplateRulesTest {

    private static TemplateComponent body(String text) {
        return new TemplateComponent("BODY", null, text, null);
    }

    private static List<String> fields(TemplateRequest request) {
        return TemplateRules.check(request).stream().map(FieldProblem::field).toList();
    }

    @Test
    void acceptsAFullTemplate() {
        TemplateRequest request = new TemplateRequest("order_update", "en_US", "utility", null, List.of(
                new TemplateComponent("HEADER", "TEXT", "Order {{1}}", null),
                body("Hi {{1}}, order {{2}} ships {{3}}."),
                new TemplateComponent("FOOTER", null, "Shop", null),
                new TemplateComponent("BUTTONS", null, null, List.of(
                        new TemplateButton("QUICK_REPLY", "Yes", null, null, null),
                        new TemplateButton("URL", "Track", "https://shop.example/t/{{1}}", null, null),
                        new TemplateButton("PHONE_NUMBER", "Call", null, "+31201234567", null),
                        new TemplateButton("COPY_CODE", null, null, null, "SAVE10")))));
        assertThat(TemplateRules.check(request)).isEmpty();
    }

    @Test
    void needsABody() {
        assertThat(fields(new TemplateRequest("x", "en", "marketing", null, List.of()))).containsExactly("components");
    }

    @Test
    void placeholdersAreNumberedWithoutGapsOrAllNamed() {
        assertThat(fields(new TemplateRequest("x", "en", "marketing", null, List.of(body("Hi {{1}} and {{3}}")))))
                .containsExactly("components[0].text");
        assertThat(fields(new TemplateRequest("x", "en", "marketing", null, List.of(body("Hi {{first_name}}, {{day_2}}")))))
                .isEmpty();
        assertThat(fields(new TemplateRequest("x", "en", "marketing", null, List.of(body("Hi {{1}}, {{day}}")))))
                .containsExactly("components[0].text");
        assertThat(fields(new TemplateRequest("x", "en", "marketing", null, List.of(body("Hi {{First Name}}")))))
                .containsExactly("components[0].text");
        assertThat(fields(new TemplateRequest("x", "en", "marketing", null, List.of(
                new TemplateComponent("HEADER", "TEXT", "Order {{order}}", null), body("Hi {{1}}")))))
                .as("one parameter format per template").containsExactly("components");
        assertThat(fields(new TemplateRequest("x", "en", "marketing", null, List.of(body("Hi {{first_name}}")), "named")))
                .as("Meta's parameter_format, when given, agrees with the placeholders").isEmpty();
        assertThat(fields(new TemplateRequest("x", "en", "marketing", null, List.of(body("Hi {{1}}")), "NAMED")))
                .containsExactly("parameterFormat");
        assertThat(fields(new TemplateRequest("x", "en", "marketing", null, List.of(body("Hi.")), "NUMBERED")))
                .containsExactly("parameterFormat");
        assertThat(TemplateRules.placeholderCount("{{2}} {{1}} {{1}}", "f", new ArrayList<>())).isEqualTo(2);
        assertThat(TemplateRules.placeholders("{{2}} {{1}} {{1}}", "f", new ArrayList<>())).containsExactly("1", "2");
        assertThat(TemplateRules.placeholders("{{day}} for {{ guests }}, {{day}}", "f", new ArrayList<>()))
                .as("in the order they first appear").containsExactly("day", "guests");
    }

    @Test
    void aTextHeaderHasAtMostOnePlaceholderAndAMediaHeaderNoText() {
        assertThat(fields(new TemplateRequest("x", "en", "marketing", null, List.of(
                new TemplateComponent("HEADER", "TEXT", "{{1}} {{2}}", null), body("b"))))).containsExactly("components[0].text");
        assertThat(fields(new TemplateRequest("x", "en", "marketing", null, List.of(
                new TemplateComponent("HEADER", "IMAGE", "caption", null), body("b"))))).containsExactly("components[0].text");
        assertThat(fields(new TemplateRequest("x", "en", "marketing", null, List.of(
                new TemplateComponent("HEADER", "GIF", null, null), body("b"))))).containsExactly("components[0].format");
    }

    @Test
    void aUrlTakesOneDynamicSuffixAtItsEnd() {
        assertThat(fields(new TemplateRequest("x", "en", "marketing", null, List.of(body("b"),
                new TemplateComponent("BUTTONS", null, null, List.of(
                        new TemplateButton("URL", "Go", "https://x.example/{{1}}/y", null, null)))))))
                .containsExactly("components[1].buttons[0].url");
    }

    @Test
    void refusesDuplicateComponentsUnknownTypesAndTooManyButtons() {
        List<TemplateButton> eleven = IntStream.range(0, 11)
                .mapToObj(i -> new TemplateButton("QUICK_REPLY", "b" + i, null, null, null)).toList();
        assertThat(fields(new TemplateRequest("x", "en", "marketing", null, List.of(body("a"), body("b"),
                new TemplateComponent("CAROUSEL", null, null, null),
                new TemplateComponent("BUTTONS", null, null, eleven)))))
                .containsExactly("components[1].type", "components[2].type", "components[3].buttons");
    }

    @Test
    void namesLanguageAndCategoryFollowMetasRules() {
        assertThat(fields(new TemplateRequest("Order Update", "EN", "promo", "LIVE", List.of(body("b")))))
                .containsExactly("name", "language", "category", "status");
    }
}
