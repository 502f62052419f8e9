package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.UnexpectedEndOfInputException;
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
    void saysWhereAnUnclosedObjectOrArrayOpenedWithoutTheParsersInternals() {
        JsonProblem object = problemReading("{\"items\": [\n  {\"id\": \"a\"}");
        JsonProblem array = problemReading("{\"items\": [");

        assertThat(object.message()).isEqualTo("is not valid JSON: it ends before the array opened at line 1, column 11 is closed"
                + " (line 2, column 14)");
        assertThat(array.message()).isEqualTo("is not valid JSON: it ends before the array opened at line 1, column 11 is closed"
                + " (line 1, column 12)");
        assertThat(problemReading("{").message()).isEqualTo("is not valid JSON: it ends before the object opened at line 1,"
                + " column 1 is closed (line 1, column 2)");
        assertThat(problemReading("{\"items\": [{\"id\": \"a").message())
                .startsWith("is not valid JSON: Unexpected end-of-input").doesNotContain("Source").endsWith("(line 1, column 21)");
        // A parser no longer at hand (the failure rethrown without it): the internals are cut from Jackson's message.
        assertThat(JsonProblem.of(new UnexpectedEndOfInputException(null, null,
                "Unexpected end-of-input: expected close marker for Object (start marker at [Source: REDACTED"
                        + " (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); byte offset: #UNKNOWN])")).message())
                .isEqualTo("is not valid JSON: Unexpected end-of-input: expected close marker for Object");
    }

    @Test
    void findsTheArrayElementAPathGoesThrough() {
        JacksonException failure = catchThrowableOfType(JacksonException.class,
                () -> json.readValue("{\"items\":[{},{},{\"count\":\"x\"}]}", Order.class));

        assertThat(JsonProblem.indexUnder(failure, "items")).isEqualTo(2);
        assertThat(JsonProblem.indexUnder(failure, "steps")).isEqualTo(-1);
    }
}
