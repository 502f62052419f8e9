package io.reach.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class JsonTemplateTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static String fill(String template, Map<String, String> values) {
        return JsonTemplate.fill(template, inner -> values.getOrDefault(inner, ""));
    }

    @Test
    void escapesAValueInsideAStringSoThatNoQuoteOrLineBreakBreaksTheBody() {
        String name = "Anne \"Annie\" O'Neil\\n\nKade 1\t\u00e9\u2603";
        String body = fill("{\"name\": \"{{name}}\", \"greeting\": \"Hi {{name}}!\"}", Map.of("name", name));

        JsonNode read = JSON.readTree(body);
        assertThat(read.path("name").asString()).isEqualTo(name);
        assertThat(read.path("greeting").asString()).isEqualTo("Hi " + name + "!");
        assertThat(read.propertyNames()).containsExactly("name", "greeting");
    }

    @Test
    void putsAJsonValueOutsideAStringAsItIsAndAnyOtherTextAsAString() {
        String body = fill("{\"amount\": {{amount}}, \"vip\": {{vip}}, \"items\": {{items}}, \"city\": {{city}}, \"none\": {{missing}}}",
                Map.of("amount", "12.50", "vip", " true ", "items", "[1, {\"sku\": \"a\"}]", "city", "Utrecht"));

        JsonNode read = JSON.readTree(body);
        assertThat(read.path("amount").isNumber()).isTrue();
        assertThat(read.path("amount").decimalValue()).isEqualByComparingTo("12.50");
        assertThat(read.path("vip").booleanValue()).isTrue();
        assertThat(read.path("items").get(1).path("sku").asString()).isEqualTo("a");
        assertThat(read.path("city").asString()).isEqualTo("Utrecht");
        assertThat(read.path("none").asString()).isEmpty();
    }

    @Test
    void aValueOutsideAStringCannotAddFields() {
        String body = fill("{\"amount\": {{amount}}}", Map.of("amount", "1, \"admin\": true"));

        JsonNode read = JSON.readTree(body);
        assertThat(read.propertyNames()).containsExactly("amount");
        assertThat(read.path("amount").asString()).isEqualTo("1, \"admin\": true");
    }

    @Test
    void followsEscapedQuotesAndBracesInTheTemplatesOwnStrings() {
        String body = fill("{\"note\": \"say \\\"{{word}}\\\" {not a placeholder} \\\\\", \"n\": {{n}}}", Map.of("word", "a\"b", "n", "7"));

        JsonNode read = JSON.readTree(body);
        assertThat(read.path("note").asString()).isEqualTo("say \"a\"b\" {not a placeholder} \\");
        assertThat(read.path("n").intValue()).isEqualTo(7);
    }

    @Test
    void tellsWhatIsWrongWithABodyThatIsNotJsonOnceFilled() {
        assertThat(JsonTemplate.problem("{\"a\": \"{{x}}\", \"b\": {{y}}}")).isNull();
        assertThat(JsonTemplate.problem("{\"a\": {{x}}")).isEqualTo("Unexpected end-of-input: expected close marker for Object");
        assertThat(JsonTemplate.problem("{\"a\": 1,}")).startsWith("Unexpected character ('}'");
        assertThat(JsonTemplate.problem("   ")).isEqualTo("it is empty");
        assertThat(JsonTemplate.problem("[1] 2")).isEqualTo("more follows its JSON value");
    }
}
