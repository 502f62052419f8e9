package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

class JsonProblemTest {

    enum Colour { RED, GREEN }

    record Item(String id, Integer count, Map<String, String> labels, Colour colour) {}

    record Order(UUID customer, List<Item> items, boolean urgent) {}

    private final JsonMapper json = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    private JsonProblem problemReading(String body) {
        return JsonProblem.of(catchThrowableOfType(JacksonException.class, () -> json.readValue(body, Order.class)));
    }

    @Test
    void namesAnUnknownFieldByItsPathAndListsTheFieldsThere() {
        JsonProblem problem = problemReading("""
                {"items":[{"id":"a"},{"id":"b","cuont":3}]}""");

        assertThat(problem.path()).isEqualTo("items[1].cuont");
        assertThat(problem.message()).isEqualTo("is not a field here (the fields are colour, count, id, labels)");
    }

    @Test
    void saysWhatKindOfValueGoesWhereAnotherKindWasGivenWithoutJavasTypeNames() {
        assertThat(problemReading("""
                {"items":"a, b"}""").describe()).isEqualTo("items: must be an array, not text");
        assertThat(problemReading("""
                {"items":[{"labels":{"size":{"cm":3}}}]}""").describe()).isEqualTo("items[0].labels.size: must be text, not an object");
        assertThat(problemReading("""
                {"items":[{"count":"many"}]}""").describe()).isEqualTo("items[0].count: 'many' is not a number");
        assertThat(problemReading("""
                {"customer":"someone"}""").describe()).isEqualTo("customer: 'someone' is not an id (a UUID)");
        assertThat(problemReading("""
                {"items":[{"colour":"BLUE"}]}""").describe()).isEqualTo("items[0].colour: 'BLUE' is not one of red, green");
        assertThat(problemReading("""
                {"urgent":[true]}""").describe()).isEqualTo("urgent: must be true or false, not an array");
        assertThat(problemReading("[]").describe()).isEqualTo("must be an object, not an array");
    }

    @Test
    void pointsAtTheLineAndColumnOfJsonThatDoesNotParse() {
        JsonProblem problem = problemReading("{\"items\": [\n  {\"id\": \"a\",}\n]}");

        assertThat(problem.path()).isEqualTo("items[0]");
        assertThat(problem.message()).startsWith("is not valid JSON: ").endsWith("(line 2, column 14)");
    }

    @Test
    void findsTheArrayElementAPathGoesThrough() {
        JacksonException failure = catchThrowableOfType(JacksonException.class,
                () -> json.readValue("{\"items\":[{},{},{\"count\":\"x\"}]}", Order.class));

        assertThat(JsonProblem.indexUnder(failure, "items")).isEqualTo(2);
        assertThat(JsonProblem.indexUnder(failure, "steps")).isEqualTo(-1);
    }
}
