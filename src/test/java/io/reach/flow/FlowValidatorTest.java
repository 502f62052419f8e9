package io.reach.flow;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.reach.shared.MessageCategory;
import io.reach.template.Template;
import io.reach.template.TemplateButton;
import io.reach.template.TemplateComponent;
import io.reach.template.TemplateParameters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** One test per kind of problem, each asserting the step the problem names. */
class FlowValidatorTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    // The README's templates, by their number of header and body placeholders (Templates#checkShape says more).
    private static final Map<String, List<Integer>> TEMPLATES = Map.of("order_ready", List.of(1, 2),
            "spring_sale", List.of(0, 1));
    private final FlowValidator validator = new FlowValidator((sender, name, language, parameters) ->
            Optional.ofNullable(TEMPLATES.get(name)).map(counts -> Stream.of(
                    parameters.header().size() == counts.get(0) ? null : "headerParameters: takes " + counts.get(0),
                    parameters.body().size() == counts.get(1) ? null : "bodyParameters: takes " + counts.get(1))
                    .filter(Objects::nonNull).toList()),
            sender -> Optional.ofNullable(Map.of("sandbox", "whatsapp", "sandbox-sms", "sms",
                    "sandbox-voice", "voice").get(sender)), new FetchHosts(List.of("127.0.0.1", "*.shop.example")));

    private List<FlowProblem> check(String steps) {
        return check("{\"type\":\"api\"}", "a", steps);
    }

    private List<FlowProblem> check(String entry, String start, String steps) {
        String document = "{\"name\":\"t\",\"entry\":" + entry + ",\"start\":\"" + start + "\",\"steps\":[" + steps + "]}";
        return validator.check(JSON.readValue(document, FlowDocument.class));
    }

    private static void assertOnlyProblem(List<FlowProblem> problems, String step, String text) {
        assertThat(problems).as(problems.toString()).singleElement().satisfies(p -> {
            assertThat(p.step()).isEqualTo(step);
            assertThat(p.message()).contains(text);
        });
    }

    @Test
    void theExampleFlowsAreValidAndTheSchemaAcceptsThem() throws Exception {
        List<Path> examples;
        try (Stream<Path> files = Files.list(Path.of("examples/flows"))) {
            examples = files.filter(path -> path.toString().endsWith(".json")).sorted().toList();
        }
        assertThat(examples).extracting(path -> path.getFileName().toString())
                .contains("whatsapp-fallback.json", "broadcast.json");
        for (Path path : examples) {
            String example = Files.readString(path);
            assertThat(validator.check(JSON.readValue(example, FlowDocument.class))).as(path.toString()).isEmpty();
            assertThat(schemaProblems(example)).as(path.toString()).isEmpty();
        }
    }

    @Test
    void theJsonSchemaKnowsTheSameStepTypesAndStatusBranches() throws Exception {
        JsonNode schema = JSON.readTree(Files.readString(Path.of("docs/flow.schema.json")));
        Set<String> types = new TreeSet<>();
        schema.at("/$defs/step/properties/type/enum").forEach(t -> types.add(t.asString()));
        assertThat(types).isEqualTo(new TreeSet<>(StepTypes.ALL));
        Set<String> statuses = new TreeSet<>();
        schema.at("/$defs/step/allOf/3/then/properties/branches/propertyNames/enum").forEach(t -> statuses.add(t.asString()));
        assertThat(statuses).isEqualTo(new TreeSet<>(StepTypes.STATUS_BRANCHES));
        List<String> operators = new ArrayList<>();
        schema.at("/$defs/step/properties/condition/properties/operator/enum").forEach(o -> operators.add(o.asString()));
        assertThat(operators).isEqualTo(ConditionCheck.OPERATORS);
    }

    @Test
    void theJsonSchemaGivesEachStepTypeTheFieldsReachTakesAndRefusesAnotherTypesField() throws Exception {
        JsonNode schema = JSON.readTree(Files.readString(Path.of("docs/flow.schema.json")));
        Map<String, Set<String>> byType = new TreeMap<>();
        schema.at("/$defs/step/allOf").forEach(rule -> {
            String type = rule.at("/if/properties/type/const").asString(null);
            if (type != null && rule.at("/then/propertyNames/enum").isArray()) {
                Set<String> names = new TreeSet<>();
                rule.at("/then/propertyNames/enum").forEach(name -> names.add(name.asString()));
                byType.put(type, names);
            }
        });
        Map<String, Set<String>> expected = new TreeMap<>();
        StepTypes.FIELDS.forEach((type, fields) -> {
            Set<String> names = new TreeSet<>(fields);
            names.addAll(List.of("id", "type", "description", "next", "branches"));
            expected.put(type, names);
        });
        assertThat(byType).isEqualTo(expected);
        assertThat(expected.keySet()).isEqualTo(new TreeSet<>(StepTypes.ALL));

        String stray = "{\"name\":\"t\",\"entry\":{\"type\":\"api\"},\"start\":\"a\",\"steps\":[{\"id\":\"a\",\"type\":\"wait\","
                + "\"duration\":\"PT1H\"%s,\"next\":\"e\"},{\"id\":\"e\",\"type\":\"end\"}]}";
        assertThat(schemaProblems(stray.formatted(""))).isEmpty();
        assertThat(schemaProblems(stray.formatted(",\"timeout\":\"PT2H\""))).isNotEmpty();
    }

    /** The documented JSON Schema, read by a JSON Schema validator (draft 2020-12). */
    private static JsonSchema schema() throws Exception {
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(Files.readString(Path.of("docs/flow.schema.json")));
    }

    private static Set<ValidationMessage> schemaProblems(String document) throws Exception {
        return schema().validate(new ObjectMapper().readTree(document));
    }

    @Test
    void theJsonSchemaAcceptsTheFlowsReachAcceptsWithEveryStepTypeAndEntry() throws Exception {
        List<Path> documents = List.of(Path.of("examples/flows/whatsapp-fallback.json"),
                Path.of("src/test/resources/flows/every-step-type.json"),
                Path.of("src/test/resources/flows/audience-by-activity.json"),
                Path.of("src/test/resources/flows/on-event.json"));
        Set<String> typesUsed = new TreeSet<>();
        for (Path path : documents) {
            String document = Files.readString(path);
            FlowDocument flow = JSON.readValue(document, FlowDocument.class);
            flow.steps().forEach(step -> typesUsed.add(step.type()));
            assertThat(validator.check(flow)).as(path.toString()).isEmpty();
            assertThat(schemaProblems(document)).as(path.toString()).isEmpty();
        }
        assertThat(typesUsed).isEqualTo(new TreeSet<>(StepTypes.ALL));
    }

    @Test
    void theJsonSchemaRefusesWhatReachRefuses() throws Exception {
        String valid = Files.readString(Path.of("src/test/resources/flows/audience-by-activity.json"));
        assertThat(schemaProblems(valid)).isEmpty();
        for (String invalid : List.of(
                valid.replace("\"add_report_row\"", "\"send_fax\""),
                valid.replace("\"next\": \"end\"", "\"nxet\": \"end\""),
                valid.replace("\"activeWithin\": \"P365D\"", "\"activeWithin\": \"365 days\""),
                valid.replace("\"start\": \"report\"", "\"variables\": {\"_last_from\": \"x\"}, \"start\": \"report\""),
                valid.replace("\"start\": \"report\"", "\"exitOn\": [\"picked up!\"], \"start\": \"report\""))) {
            assertThat(invalid).isNotEqualTo(valid);
            assertThat(schemaProblems(invalid)).as(invalid).isNotEmpty();
        }
    }

    @Test
    void refusesAFlowOfMoreThanAThousandStepsWithoutCheckingItFurtherAndTheSchemaAgrees() throws Exception {
        // Pairs of an SMS and a report row about it, the shape whose check walks the steps once per SMS.
        IntFunction<String> chain = pairs -> {
            StringBuilder steps = new StringBuilder();
            for (int i = 0; i < pairs; i++) {
                steps.append("{\"id\":\"s").append(i).append("\",\"type\":\"send_sms\",\"sender\":\"sandbox-sms\",")
                        .append("\"text\":\"hi\",\"category\":\"utility\",\"next\":\"r").append(i).append("\"},")
                        .append("{\"id\":\"r").append(i).append("\",\"type\":\"add_report_row\",\"status\":\"sent\",")
                        .append("\"message\":\"s").append(i).append("\",\"next\":\"").append(i + 1 < pairs ? "s" + (i + 1) : "end")
                        .append("\"},");
            }
            return steps.append("{\"id\":\"end\",\"type\":\"end\"}").toString();
        };
        String largest = chain.apply((FlowDocument.MAX_STEPS - 1) / 2); // 999 steps
        String oneMore = chain.apply((FlowDocument.MAX_STEPS - 1) / 2).replace("{\"id\":\"end\",\"type\":\"end\"}",
                "{\"id\":\"end\",\"type\":\"wait\",\"duration\":\"PT1M\",\"next\":\"last\"},{\"id\":\"last\",\"type\":\"end\"}");
        String tooMany = chain.apply(50_000); // 100,001 steps: hours of a core before the limit

        assertThat(check("{\"type\":\"api\"}", "s0", largest)).isEmpty();
        assertThat(check("{\"type\":\"api\"}", "s0", oneMore)).isEmpty();
        assertOnlyProblem(check("{\"type\":\"api\"}", "s0", oneMore.replace("{\"id\":\"last\",\"type\":\"end\"}",
                "{\"id\":\"last\",\"type\":\"end\"},{\"id\":\"orphan\",\"type\":\"end\"}")), null,
                "steps: a flow holds at most 1000 steps (this one has 1001)");
        assertOnlyProblem(check("{\"type\":\"api\"}", "s0", tooMany), null, "(this one has 100001)");
        String document = "{\"name\":\"t\",\"entry\":{\"type\":\"api\"},\"start\":\"s0\",\"steps\":[%s]}";
        assertThat(schemaProblems(document.formatted(oneMore))).isEmpty();
        assertThat(schemaProblems(document.formatted(chain.apply(501)))).extracting(Object::toString)
                .anySatisfy(problem -> assertThat(problem).contains("steps").contains("at most 1,000 items"));
    }

    @Test
    void namesAnExitEventThatIsNoEventsNameListedTwiceOrTheOneTheFlowStartsOn() {
        Function<String, List<FlowProblem>> exits = exitOn -> validator.check(JSON.readValue(
                "{\"name\":\"t\",\"entry\":{\"type\":\"event\",\"event\":\"order_ready\"},\"exitOn\":" + exitOn
                        + ",\"start\":\"e\",\"steps\":[{\"id\":\"e\",\"type\":\"end\"}]}", FlowDocument.class));
        assertThat(exits.apply("[\"order_picked_up\",\"order.cancelled\"]")).isEmpty();
        assertOnlyProblem(exits.apply("[\"picked up!\"]"), null, "exitOn[0]: an event's name");
        assertOnlyProblem(exits.apply("[\"picked_up\",\"picked_up\"]"), null, "exitOn[1]: 'picked_up' is listed twice");
        assertOnlyProblem(exits.apply("[\"order_ready\"]"), null, "exitOn[0]: 'order_ready' is the event the flow starts on");
        assertOnlyProblem(exits.apply("[]"), null, "exitOn: lists 1 to 20 events");
    }

    @Test
    void namesAnAudiencesActivityBoundThatIsNotAPositiveDuration() {
        String end = "{\"id\":\"a\",\"type\":\"end\"}";
        assertOnlyProblem(check("{\"type\":\"audience\",\"audience\":{\"activeWithin\":\"30 days\"}}", "a", end),
                null, "entry.audience.activeWithin: '30 days' is not an ISO-8601 duration");
        assertOnlyProblem(check("{\"type\":\"audience\",\"audience\":{\"inactiveFor\":\"-P1D\"}}", "a", end),
                null, "entry.audience.inactiveFor: must be more than 0");
        assertThat(check("{\"type\":\"audience\",\"audience\":{\"activeWithin\":\"P365D\",\"inactiveFor\":\"PT12H\"}}", "a", end))
                .isEmpty();
    }

    @Test
    void namesATagNoContactCouldHaveUnlessPlaceholdersFillIt() {
        String long_ = "t".repeat(101);
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"add_tag\",\"tag\":\"" + long_ + "\",\"next\":\"b\"},"
                + "{\"id\":\"b\",\"type\":\"remove_tag\",\"tag\":\"{{campaign}}-" + long_ + "\",\"next\":\"e\"},"
                + "{\"id\":\"e\",\"type\":\"end\"}"), "a", "tag: a tag is at most 100 characters");
        assertOnlyProblem(check("{\"type\":\"audience\",\"audience\":{\"tags\":[\"vip\",\"" + long_ + "\"]}}", "e",
                "{\"id\":\"e\",\"type\":\"end\"}"), null, "entry.audience.tags[1]: a tag is at most 100 characters");
        assertOnlyProblem(check("{\"type\":\"audience\",\"audience\":{\"excludeTags\":[\"" + long_ + "\"]}}", "e",
                "{\"id\":\"e\",\"type\":\"end\"}"), null, "entry.audience.excludeTags[0]: a tag is at most 100 characters");
        assertOnlyProblem(check("{\"type\":\"audience\",\"audience\":{\"excludeTags\":[\"ok\",null]}}", "e",
                "{\"id\":\"e\",\"type\":\"end\"}"), null, "entry.audience.excludeTags[1]");
    }

    @Test
    void namesAnAudienceThatExcludesATagItRequires() {
        assertOnlyProblem(check("{\"type\":\"audience\",\"audience\":{\"tags\":[\"vip\",\"nl\"],\"excludeTags\":[\"nl\",\"x\"]}}",
                "e", "{\"id\":\"e\",\"type\":\"end\"}"), null,
                "entry.audience.excludeTags: 'nl' is among the tags too, so the audience would take nobody");
        // Spaces around a tag do not make it another: contacts' tags are kept trimmed.
        assertOnlyProblem(check("{\"type\":\"audience\",\"audience\":{\"tags\":[\" nl\"],\"excludeTags\":[\"nl \"]}}",
                "e", "{\"id\":\"e\",\"type\":\"end\"}"), null,
                "entry.audience.excludeTags: 'nl' is among the tags too, so the audience would take nobody");
        assertThat(check("{\"type\":\"audience\",\"audience\":{\"tags\":[\"vip\"],\"excludeTags\":[\"bought\"]}}", "e",
                "{\"id\":\"e\",\"type\":\"end\"}")).isEmpty();
    }

    @Test
    void namesDefaultVariablesNamedLikeReachsOwnOrWithoutAValue() {
        String document = "{\"name\":\"t\",\"entry\":{\"type\":\"api\"},\"variables\":{\"_last_from\":\"x\",\"shop\":null,\"ok\":\"y\"},"
                + "\"start\":\"a\",\"steps\":[{\"id\":\"a\",\"type\":\"end\"}]}";
        assertThat(validator.check(JSON.readValue(document, FlowDocument.class))).extracting(FlowProblem::message)
                .containsExactlyInAnyOrder("variables._last_from: " + StepTypes.USERS_VARIABLES,
                        "variables.shop: is null; give a value");
    }

    @Test
    void namesANullWhereAParameterTagOrHeaderGoes() {
        assertThat(check("{\"type\":\"api\"}", "s", "{\"id\":\"s\",\"type\":\"send_whatsapp\",\"sender\":\"sandbox\","
                + "\"template\":\"order_ready\",\"language\":\"en_US\",\"headerParameters\":[null],\"bodyParameters\":[\"a\",null],"
                + "\"buttonParameters\":[null],\"next\":\"f\"},{\"id\":\"f\",\"type\":\"fetch_variables\","
                + "\"request\":{\"url\":\"http://127.0.0.1:9/x\",\"headers\":{\"X-Key\":null}},\"branches\":{\"success\":\"e\"}},"
                + "{\"id\":\"e\",\"type\":\"end\"}"))
                .extracting(p -> p.step() + " " + p.message())
                .containsExactlyInAnyOrder("s headerParameters[0]: is null; give a value", "s bodyParameters[1]: is null; give a value",
                        "s buttonParameters[0]: is null; give a value", "f request.headers.X-Key: is null; give a value");
        assertThat(check("{\"type\":\"audience\",\"audience\":{\"tags\":[\"vip\",null],\"attributes\":{\"city\":null}}}", "e",
                "{\"id\":\"e\",\"type\":\"end\"}")).extracting(FlowProblem::message)
                .containsExactlyInAnyOrder("entry.audience.tags[1]: is null; give a value",
                        "entry.audience.attributes.city: is null; give a value");
    }

    @Test
    void namesAHeaderAFetchCannotSet() {
        assertThat(check("{\"type\":\"api\"}", "f", "{\"id\":\"f\",\"type\":\"fetch_variables\",\"request\":{\"url\":"
                + "\"http://127.0.0.1:9/x\",\"headers\":{\"Host\":\"a\",\"Bad Name\":\"b\",\"X-Ok\":\"c\"}},\"branches\":{\"success\":\"e\"}},"
                + "{\"id\":\"e\",\"type\":\"end\"}"))
                .extracting(p -> p.step() + " " + p.message().substring(0, p.message().indexOf(':')))
                .containsExactlyInAnyOrder("f request.headers.Host", "f request.headers.Bad Name");
    }

    @Test
    void namesAnUnknownStepType() {
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"send_fax\",\"next\":\"e\"},{\"id\":\"e\",\"type\":\"end\"}"),
                "a", "unknown step type 'send_fax'");
    }

    @Test
    void namesADanglingBranchTarget() {
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"condition\",\"condition\":{\"left\":\"{{x}}\",\"operator\":\"exists\"},"
                + "\"branches\":{\"true\":\"e\",\"false\":\"nowhere\"}},{\"id\":\"e\",\"type\":\"end\"}"), "a", "dangling target: 'nowhere'");
    }

    @Test
    void saysThatAStartOrATargetNamesAStepRefusedForItsIdRatherThanNoStep() {
        List<FlowProblem> problems = check("{\"type\":\"api\"}", "ask me", "{\"id\":\"ask me\",\"type\":\"wait\","
                + "\"duration\":\"PT1M\",\"next\":\"done!\"},{\"id\":\"a\",\"type\":\"wait\",\"duration\":\"PT1M\","
                + "\"next\":\"done!\"},{\"id\":\"done!\",\"type\":\"end\"}");

        assertThat(problems).extracting(FlowProblem::message).as(problems.toString()).containsExactlyInAnyOrder(
                "steps[0]: a step id is 1 to 100 letters, digits, _ or -",
                "steps[2]: a step id is 1 to 100 letters, digits, _ or -",
                "start: 'ask me' names a step whose id is refused (see that step's problem): rename it here too",
                "dangling target: 'done!' names a step whose id is refused (see that step's problem): rename it here too");
        assertThat(check("{\"id\":\"a\",\"type\":\"wait\",\"duration\":\"PT1M\",\"next\":\"nowhere\"},"
                + "{\"id\":\"e\",\"type\":\"end\"}").toString()).contains("'nowhere' is not a step of this flow");
    }

    @Test
    void namesAReplyBranchLongerThanAPayloadCanBe() {
        String key = "Y".repeat(1001);
        assertOnlyProblem(check("{\"type\":\"api\"}", "r", "{\"id\":\"r\",\"type\":\"wait_for_reply\",\"branches\":{\"" + key + "\":\"e\",\"YES\":\"e\"}},"
                + "{\"id\":\"e\",\"type\":\"end\"}"), "r", "is longer than a reply's payload can be (1000 characters)");
        assertThat(check("{\"type\":\"api\"}", "r", "{\"id\":\"r\",\"type\":\"wait_for_reply\",\"branches\":{\"" + "Y".repeat(1000) + "\":\"e\"}},"
                + "{\"id\":\"e\",\"type\":\"end\"}")).isEmpty();
    }

    @Test
    void namesAFetchThatWouldSetOneOfReachsOwnVariables() {
        assertOnlyProblem(check("{\"type\":\"api\"}", "f", "{\"id\":\"f\",\"type\":\"fetch_variables\","
                + "\"request\":{\"url\":\"http://127.0.0.1:9/x\"},\"extract\":{\"_message.send\":\"/id\",\"name\":\"/name\"},"
                + "\"branches\":{\"success\":\"e\",\"failure\":\"e\"}},{\"id\":\"e\",\"type\":\"end\"}"),
                "f", "extract._message.send: names starting with _ are Reach's own");
        assertThat(StepTypes.isUsersVariable("order_id")).isTrue();
        assertThat(StepTypes.isUsersVariable(" ")).isFalse();
        assertThat(StepTypes.isUsersVariable("contact_tier")).isTrue();
    }

    @Test
    void namesAFetchThatWouldSetAVariableNoPlaceholderReadsAsAContactsAttributeDoes() {
        assertOnlyProblem(check("{\"type\":\"api\"}", "f", "{\"id\":\"f\",\"type\":\"fetch_variables\","
                + "\"request\":{\"url\":\"http://127.0.0.1:9/x\"},\"extract\":{\"contact.tier\":\"/tier\"},"
                + "\"branches\":{\"success\":\"e\",\"failure\":\"e\"}},{\"id\":\"e\",\"type\":\"end\"}"),
                "f", "extract.contact.tier: names starting with _ are Reach's own (e.g. _message.<step>, the message a step"
                        + " sent), those starting with contact. read the contact's attributes ({{contact.city}}; a"
                        + " set_attribute step sets one)");
    }

    @Test
    void namesAnUnreachableStep() {
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"end\"},{\"id\":\"orphan\",\"type\":\"end\"}"), "orphan", "unreachable step");
    }

    @Test
    void namesACycleWithNoWaitInIt() {
        List<FlowProblem> problems = check("{\"id\":\"a\",\"type\":\"add_tag\",\"tag\":\"x\",\"next\":\"b\"},"
                + "{\"id\":\"b\",\"type\":\"condition\",\"condition\":{\"left\":\"{{x}}\",\"operator\":\"exists\"},"
                + "\"branches\":{\"true\":\"a\",\"false\":\"e\"}},{\"id\":\"e\",\"type\":\"end\"}");
        assertThat(problems).singleElement().satisfies(p -> {
            assertThat(p.step()).isIn("a", "b");
            assertThat(p.message()).contains("cycle with no wait", "a", "b");
        });
    }

    @Test
    void walksAChainOfTheMostStepsAFlowHoldsWithoutAWaitAndNamesTheCycleAtItsEnd() {
        // Walked on the thread's own stack, a chain of 10,000 steps overflowed it (before flows had a most steps).
        StringBuilder steps = new StringBuilder();
        int length = FlowDocument.MAX_STEPS - 1;
        for (int i = 0; i < length; i++) {
            steps.append(i == 0 ? "" : ",").append("{\"id\":\"").append(i == 0 ? "a" : "s" + i)
                    .append("\",\"type\":\"add_tag\",\"tag\":\"x\",\"next\":\"").append(i + 1 < length ? "s" + (i + 1) : "e")
                    .append("\"}");
        }
        String chain = steps + ",{\"id\":\"e\",\"type\":\"end\"}";
        assertThat(check(chain)).isEmpty();

        String looping = chain.replace("\"next\":\"e\"", "\"next\":\"s500\"");
        List<FlowProblem> problems = check(looping.replace(",{\"id\":\"e\",\"type\":\"end\"}", ""));
        assertThat(problems).singleElement().satisfies(p -> {
            assertThat(p.step()).isEqualTo("s500");
            assertThat(p.message()).startsWith("cycle with no wait in it: s500 → s501 → ").endsWith("s998 → s500");
        });
    }

    @Test
    void acceptsACycleThroughAWait() {
        assertThat(check("{\"id\":\"a\",\"type\":\"wait\",\"duration\":\"P1D\",\"next\":\"b\"},"
                + "{\"id\":\"b\",\"type\":\"condition\",\"condition\":{\"left\":\"{{x}}\",\"operator\":\"exists\"},"
                + "\"branches\":{\"true\":\"a\",\"false\":\"e\"}},{\"id\":\"e\",\"type\":\"end\"}")).isEmpty();
    }

    @Test
    void namesATimeoutOverSevenDays() {
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"send_sms\",\"sender\":\"sandbox-sms\",\"text\":\"hi\",\"category\":\"utility\","
                + "\"next\":\"b\"},{\"id\":\"b\",\"type\":\"branch_on_status\",\"message\":\"a\",\"timeout\":\"P8D\","
                + "\"branches\":{\"delivered\":\"e\",\"timeout\":\"e\"}},{\"id\":\"e\",\"type\":\"end\"}"), "b", "over 7 days");
    }

    @Test
    void takesAWeekWrittenInWeeksAndNamesTwoAsOverSevenDays() {
        String weeks = "{\"id\":\"a\",\"type\":\"send_sms\",\"sender\":\"sandbox-sms\",\"text\":\"hi\",\"category\":\"utility\","
                + "\"next\":\"b\"},{\"id\":\"b\",\"type\":\"branch_on_status\",\"message\":\"a\",\"timeout\":\"%s\","
                + "\"branches\":{\"delivered\":\"e\",\"timeout\":\"e\"}},{\"id\":\"e\",\"type\":\"end\"}";
        assertThat(check(weeks.formatted("P1W"))).isEmpty();
        assertOnlyProblem(check(weeks.formatted("P2W")), "b", "timeout: P2W is over 7 days");
    }

    @Test
    void namesADurationInMonthsAsOfNoFixedLength() {
        String wait = "{\"id\":\"a\",\"type\":\"wait\",\"duration\":\"%s\",\"next\":\"e\"},{\"id\":\"e\",\"type\":\"end\"}";

        assertOnlyProblem(check(wait.formatted("P1M")), "a", "duration: 'P1M' counts months or years, which have no fixed length");
        assertOnlyProblem(check(wait.formatted("P1Y2DT3H")), "a", "counts months or years");
        // PT1M is a minute, not a month.
        assertThat(check(wait.formatted("PT1M"))).isEmpty();
        assertOnlyProblem(check(wait.formatted("soon")), "a", "duration: 'soon' is not an ISO-8601 duration");
    }

    @Test
    void namesAMissingTemplate() {
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"send_whatsapp\",\"sender\":\"sandbox\",\"template\":\"gone\","
                + "\"language\":\"en_US\",\"next\":\"e\"},{\"id\":\"e\",\"type\":\"end\"}"), "a", "missing template: gone (en_US)");
    }

    @Test
    void namesTheLanguagesAMissingTemplateIsInAndWarnsOfTemplatesNotApproved() {
        FlowValidator reviewed = new FlowValidator(new FlowValidator.TemplateCheck() {
            @Override
            public Optional<List<String>> problems(String sender, String name, String language,
                                                             TemplateParameters parameters) {
                return name.equals("hello_world") && language.equals("en_US") || name.equals("autumn_sale")
                        ? Optional.of(List.of()) : Optional.empty();
            }

            @Override
            public List<String> languagesOf(String name) {
                return name.equals("hello_world") ? List.of("en_GB", "en_US") : List.of();
            }

            @Override
            public Optional<Template> template(String sender, String name, String language) {
                return Optional.of(registered(name, MessageCategory.UTILITY,
                        name.equals("autumn_sale") ? "PENDING" : "APPROVED", List.of()));
            }
        }, sender -> Optional.of("whatsapp"), new FetchHosts(List.of()));
        String send = "{\"id\":\"%s\",\"type\":\"send_whatsapp\",\"sender\":\"sandbox\",\"template\":\"%s\","
                + "\"language\":\"%s\",\"next\":\"%s\"}";
        FlowDocument misspelt = JSON.readValue("{\"name\":\"t\",\"entry\":{\"type\":\"api\"},\"start\":\"a\",\"steps\":["
                + send.formatted("a", "hello_world", "en", "e") + ",{\"id\":\"e\",\"type\":\"end\"}]}", FlowDocument.class);
        assertOnlyProblem(reviewed.check(misspelt), "a", "missing template: hello_world (en) is not registered; it is in en_GB, en_US");

        FlowDocument inReview = JSON.readValue("{\"name\":\"t\",\"entry\":{\"type\":\"api\"},\"start\":\"a\",\"steps\":["
                + send.formatted("a", "hello_world", "en_US", "b") + "," + send.formatted("b", "autumn_sale", "en_US", "e")
                + ",{\"id\":\"e\",\"type\":\"end\"}]}", FlowDocument.class);
        assertThat(reviewed.check(inReview)).isEmpty();
        assertThat(reviewed.warnings(inReview)).containsExactly(new FlowProblem("b", "template autumn_sale (en_US) is PENDING:"
                + " its sends are blocked (the journeys take their blocked or failed branch) until Meta approves it"));
    }

    /** Templates that all exist and fit: a test overrides what it looks at. */
    private interface AllFit extends FlowValidator.TemplateCheck {
        @Override
        default Optional<List<String>> problems(String sender, String name, String language,
                                                          TemplateParameters parameters) {
            return Optional.of(List.of());
        }
    }

    @Test
    void warnsOfATemplateItsSenderWouldSendFromAnotherAccount() {
        FlowValidator accounts = new FlowValidator(new AllFit() {
            @Override
            public Optional<String> otherAccountOf(String sender, String name, String language) {
                return sender.equals("second-brand") ? Optional.of("200000000000001") : Optional.empty();
            }
        }, sender -> Optional.of("whatsapp"), new FetchHosts(List.of()));
        String send = "{\"id\":\"%s\",\"type\":\"send_whatsapp\",\"sender\":\"%s\",\"template\":\"hello_world\","
                + "\"language\":\"en_US\",\"next\":\"%s\"}";
        FlowDocument flow = JSON.readValue("{\"name\":\"t\",\"entry\":{\"type\":\"api\"},\"start\":\"a\",\"steps\":["
                + send.formatted("a", "sandbox", "b") + "," + send.formatted("b", "second-brand", "e")
                + ",{\"id\":\"e\",\"type\":\"end\"}]}", FlowDocument.class);

        assertThat(accounts.check(flow)).isEmpty();
        assertThat(accounts.warnings(flow)).containsExactly(new FlowProblem("b", "template hello_world (en_US) is WhatsApp"
                + " Business Account 200000000000001's, not sender second-brand's account's: Meta refuses it unless that"
                + " account has it too (POST /api/v1/templates/sync with this sender takes its account's templates)"));
    }

    private List<FlowProblem> textsBeforeAReply(String steps) {
        return warningsOfValid(validator, "{\"name\":\"t\",\"entry\":{\"type\":\"api\"},\"start\":\"a\",\"steps\":["
                + steps + "]}");
    }

    /** The warnings of a document that {@code validator} finds valid. */
    private static List<FlowProblem> warningsOfValid(FlowValidator validator, String document) {
        FlowDocument flow = JSON.readValue(document, FlowDocument.class);
        assertThat(validator.check(flow)).as("a valid flow").isEmpty();
        return validator.warnings(flow);
    }

    /**
     * A validator to which every template it is asked about is registered and approved, with a quick reply "Yes", a
     * URL and a quick reply "No" as its buttons and utility as its category (spring_sale: marketing), and fits every
     * send's parameters.
     */
    private static final FlowValidator REGISTERED = new FlowValidator(new AllFit() {
        @Override
        public Optional<Template> template(String sender, String name, String language) {
            return Optional.of(registered(name, name.equals("spring_sale") ? MessageCategory.MARKETING
                    : MessageCategory.UTILITY, "APPROVED", List.of(
                    new TemplateButton("QUICK_REPLY", "Yes", null, null, null),
                    new TemplateButton("URL", "Track", "https://shop.example/{{1}}", null, null),
                    new TemplateButton("QUICK_REPLY", "No", null, null, null))));
        }
    }, sender -> Optional.of(sender.equals("sandbox-sms") ? "sms" : "whatsapp"), new FetchHosts(List.of("127.0.0.1")));

    /** A template registered in en_US of no account: a body, and the buttons given. */
    private static Template registered(String name, MessageCategory category, String status,
                                                         List<TemplateButton> buttons) {
        List<TemplateComponent> components = new ArrayList<>(List.of(
                new TemplateComponent("BODY", null, "Hi.", null)));
        if (!buttons.isEmpty()) {
            components.add(new TemplateComponent("BUTTONS", null, null, buttons));
        }
        return new Template(UUID.randomUUID(), name, "en_US", category, status, components,
                Instant.EPOCH, Instant.EPOCH, null);
    }

    @Test
    void warnsOfAFreeFormTextAPathReachesBeforeTheContactHasWrittenAndOfNoOther() {
        String ask = "{\"id\":\"ask\",\"type\":\"send_whatsapp\",\"sender\":\"sandbox\",\"template\":\"spring_sale\","
                + "\"language\":\"en_US\",\"bodyParameters\":[\"Ann\"],\"next\":\"wait\"}";
        String text = "{\"id\":\"%s\",\"type\":\"send_text\",\"sender\":\"sandbox\",\"text\":\"Thanks!\",\"next\":\"e\"}";
        String end = "{\"id\":\"e\",\"type\":\"end\"}";

        // The journey's first message: a free-form text to a contact who may never have written.
        assertThat(textsBeforeAReply(text.formatted("a") + "," + end)).singleElement().satisfies(warning -> {
            assertThat(warning.step()).isEqualTo("a");
            assertThat(warning.message()).startsWith("a path from the start reaches this free-form text before the contact"
                    + " has written").contains("within 24 hours of the contact's last message").endsWith("send a template"
                    + " (send_whatsapp) on that path");
        });
        // After a quick reply or a text the contact sent: the window is open.
        String waitOnTheTemplate = "{\"id\":\"wait\",\"type\":\"wait_for_reply\",\"message\":\"ask\",\"timeout\":\"P1D\","
                + "\"branches\":{\"YES\":\"yes\",\"any_text\":\"typed\",\"no_reply\":\"%s\"}}";
        assertThat(textsBeforeAReply("{\"id\":\"a\",\"type\":\"wait\",\"duration\":\"PT1H\",\"next\":\"ask\"}," + ask
                + "," + waitOnTheTemplate.formatted("e") + "," + text.formatted("yes") + "," + text.formatted("typed") + ","
                + end)).isEmpty();
        // Its no-reply branch: the contact has not written.
        String reminder = "{\"id\":\"reminder\",\"type\":\"send_text\",\"sender\":\"sandbox\",\"text\":\"Still there?\","
                + "\"next\":\"e\"}";
        assertThat(textsBeforeAReply("{\"id\":\"a\",\"type\":\"wait\",\"duration\":\"PT1H\",\"next\":\"ask\"}," + ask
                + "," + waitOnTheTemplate.formatted("reminder") + "," + text.formatted("yes") + "," + text.formatted("typed")
                + "," + reminder + "," + end)).extracting(FlowProblem::step).containsExactly("reminder");
        // A reply to an SMS opens no WhatsApp window.
        assertThat(textsBeforeAReply("{\"id\":\"a\",\"type\":\"send_sms\",\"sender\":\"sandbox-sms\",\"text\":\"Reply YES\","
                + "\"category\":\"utility\",\"next\":\"wait\"},{\"id\":\"wait\",\"type\":\"wait_for_reply\",\"message\":\"a\","
                + "\"timeout\":\"P1D\",\"branches\":{\"any_text\":\"typed\",\"no_reply\":\"e\"}}," + text.formatted("typed") + "," + end))
                .extracting(FlowProblem::step).containsExactly("typed");
        // Reached both after a reply and without one: warned of.
        assertThat(textsBeforeAReply(ask.replace("\"id\":\"ask\"", "\"id\":\"a\"") + "," + waitOnTheTemplate.replace(
                "\"message\":\"ask\"", "\"message\":\"a\"").formatted("typed").replace("\"YES\":\"yes\",", "")
                + "," + text.formatted("typed") + "," + end)).extracting(FlowProblem::step).containsExactly("typed");
    }

    @Test
    void warnsOfAPlaceholderNoJourneyFillsByWhatItsNameSays() {
        String sms = "{\"id\":\"a\",\"type\":\"send_sms\",\"sender\":\"sandbox-sms\",\"category\":\"utility\","
                + "\"text\":\"%s\",\"next\":\"e\"},{\"id\":\"e\",\"type\":\"end\"}";
        BiFunction<String, String, List<FlowProblem>> warnings = (entry, text) -> warningsOfValid(validator,
                "{\"name\":\"t\",\"entry\":" + entry + ",\"start\":\"a\",\"steps\":["
                    + sms.formatted(text) + "]}");
        String api = "{\"type\":\"api\"}";
        String audience = "{\"type\":\"audience\",\"audience\":{}}";
        String event = "{\"type\":\"event\",\"event\":\"order_ready\"}";

        // An event's property in a flow that starts otherwise.
        assertThat(warnings.apply(api, "Order {{event.order_id}} is ready")).singleElement().satisfies(warning -> {
            assertThat(warning.step()).isEqualTo("a");
            assertThat(warning.message()).isEqualTo("text: {{event.order_id}} is a property of the event that started the"
                    + " journey, and this flow starts through the API: it has no value unless the start's variables name"
                    + " event.order_id (a message without it, and without a default, is blocked)");
        });
        assertThat(warnings.apply(audience, "Order {{event.order_id}} is ready")).singleElement()
                .satisfies(warning -> assertThat(warning.message()).isEqualTo("text: {{event.order_id}} is a property of"
                        + " the event that started the journey, and this flow starts on its audience, and a launch has no"
                        + " event: it has no value (a message without it, and without a default, is blocked)"));
        assertThat(warnings.apply(event, "Order {{event.order_id}} is ready")).isEmpty();
        assertThat(warnings.apply(api, "Order {{event.order_id | default: soon}} is ready")).isEmpty();
        // A contact's value with a dot in its attribute's name, which none has; a tag is read as has_tag.
        assertThat(warnings.apply(api, "{{contact.tags.vip}} {{contact.address.city}} {{contact.has_tag.vip}}"))
                .extracting(FlowProblem::message).containsExactly(
                        "text: {{contact.tags.vip}} names no attribute of the contact (an attribute's name holds no dot), so"
                                + " it never has a value (a message without it, and without a default, is blocked): did"
                                + " you mean {{contact.has_tag.vip}}?",
                        "text: {{contact.address.city}} names no attribute of the contact (an attribute's name holds no"
                                + " dot), so it never has a value (a message without it, and without a default, is blocked)");
        // A source written with another word.
        assertThat(warnings.apply(event, "Hi {{contacts.first_name}}, {{Event.order_id}} {{evnt.shop}}"))
                .extracting(FlowProblem::message).containsExactly(
                        "text: {{contacts.first_name}} reads a variable of that name, which nothing in the flow sets (a"
                                + " start's variables could): did you mean {{contact.first_name}}?",
                        "text: {{Event.order_id}} reads a variable of that name, which nothing in the flow sets (a start's"
                                + " variables could): did you mean {{event.order_id}}?",
                        "text: {{evnt.shop}} reads a variable of that name, which nothing in the flow sets (a start's"
                                + " variables could): did you mean {{event.shop}}?");
        // Variables of other names, and those the flow sets, are the author's.
        assertThat(warnings.apply(api, "{{order_id}} {{cart.total}} {{contact.city}}")).isEmpty();
        FlowDocument setting = JSON.readValue("{\"name\":\"t\",\"entry\":" + api + ",\"variables\":{\"event.order_id\":"
                + "\"-\"},\"start\":\"a\",\"steps\":[" + sms.formatted("{{event.order_id}} {{contacts.x}}") + "]}", FlowDocument.class);
        assertThat(validator.warnings(setting)).extracting(FlowProblem::message).singleElement(InstanceOfAssertFactories.STRING)
                .startsWith("text: {{contacts.x}}");
    }

    @Test
    void warnsOfAReplyReadOnAPathThatTookNoReplyBeforeIt() {
        String ask = "{\"id\":\"a\",\"type\":\"send_sms\",\"sender\":\"sandbox-sms\",\"category\":\"utility\","
                + "\"text\":\"Reply with your size\",\"next\":\"wait\"},"
                + "{\"id\":\"wait\",\"type\":\"wait_for_reply\",\"message\":\"a\",\"timeout\":\"P1D\","
                + "\"branches\":{\"any_text\":\"thanks\",\"no_reply\":\"%s\"}},"
                + "{\"id\":\"thanks\",\"type\":\"add_report_row\",\"status\":\"size {{reply.text}}\",\"next\":\"e\"},"
                + "{\"id\":\"e\",\"type\":\"end\"}";
        String reminder = ",{\"id\":\"reminder\",\"type\":\"add_report_row\",\"status\":\"%s\",\"next\":\"e\"}";
        Function<String, List<FlowProblem>> warnings = steps -> warningsOfValid(validator,
                "{\"name\":\"t\",\"entry\":{\"type\":\"api\"},\"start\":\"a\",\"steps\":["
                    + steps + "]}");

        // After the reply: it has one. On the no-reply branch: none.
        assertThat(warnings.apply(ask.formatted("reminder") + reminder.formatted("-"))).isEmpty();
        assertThat(warnings.apply(ask.formatted("reminder") + reminder.formatted("no size, {{reply.text}}"))).singleElement().satisfies(warning -> {
            assertThat(warning.step()).isEqualTo("reminder");
            assertThat(warning.message()).isEqualTo("status: {{reply.text}} is what the contact replied, and a path from the"
                    + " start reaches this step before a wait_for_reply took a reply (through its no_reply branch, or past"
                    + " none): there it has no value (without a default, it is filled in as an empty text)");
        });
        assertThat(warnings.apply(ask.formatted("reminder") + reminder.formatted("no size, {{reply.text | default: none}}")))
                .isEmpty();
        // A step reached both after a reply and without one.
        assertThat(warnings.apply(ask.formatted("thanks"))).extracting(FlowProblem::step).containsExactly("thanks");
        // A message is blocked without it; a condition asks whether there is one.
        assertThat(warnings.apply(ask.formatted("reminder") + ",{\"id\":\"reminder\",\"type\":\"send_sms\",\"sender\":"
                + "\"sandbox-sms\",\"category\":\"utility\",\"text\":\"Size {{reply.text}}?\",\"next\":\"e\"}"))
                .singleElement().satisfies(warning -> assertThat(warning.message())
                        .endsWith("there it has no value (a message without it, and without a default, is blocked)"));
        assertThat(warnings.apply(ask.formatted("replied") + ",{\"id\":\"replied\",\"type\":\"condition\",\"condition\":"
                + "{\"left\":\"{{reply.text}}\",\"operator\":\"exists\"},\"branches\":{\"true\":\"thanks\",\"false\":\"e\"}}"))
                .isEmpty();
        // Only a journey with a reply takes exists' true branch and not_exists' false one: the other has none.
        assertThat(warnings.apply(ask.formatted("replied") + ",{\"id\":\"replied\",\"type\":\"condition\",\"condition\":"
                + "{\"left\":\"{{reply.text}}\",\"operator\":\"not_exists\"},\"branches\":{\"true\":\"thanks\",\"false\":\"e\"}}"))
                .extracting(FlowProblem::step).containsExactly("thanks");
    }

    @Test
    void warnsOfAFetchedVariableReadOnAPathWhereItsFetchHasNotSucceeded() {
        String steps = "{\"id\":\"a\",\"type\":\"fetch_variables\",\"request\":{\"url\":\"http://127.0.0.1:9/orders/{{order}}\"},"
                + "\"extract\":{\"total\":\"/total\"},\"branches\":{\"success\":\"paid\",\"failure\":\"%s\"}},"
                + "{\"id\":\"paid\",\"type\":\"add_report_row\",\"status\":\"paid {{total}}\",\"next\":\"e\"},"
                + "{\"id\":\"unknown\",\"type\":\"add_report_row\",\"status\":\"%s\",\"next\":\"e\"},"
                + "{\"id\":\"e\",\"type\":\"end\"}";
        BiFunction<String, String, List<FlowProblem>> warnings = (variables, filled) -> warningsOfValid(validator,
                "{\"name\":\"t\",\"entry\":{\"type\":\"api\"}," + variables
                    + "\"start\":\"a\",\"steps\":[" + filled + "]}");

        assertThat(warnings.apply("", steps.formatted("unknown", "no total"))).isEmpty();
        assertThat(warnings.apply("", steps.formatted("unknown", "total {{total}}"))).singleElement().satisfies(warning -> {
            assertThat(warning.step()).isEqualTo("unknown");
            assertThat(warning.message()).isEqualTo("status: {{total}} is set by a when it succeeds, and a path from the start"
                    + " reaches this step before any did: there it has no value unless the start's variables give it"
                    + " (without a default, it is filled in as an empty text)");
        });
        assertThat(warnings.apply("", steps.formatted("unknown", "total {{total | default: unknown}}"))).isEmpty();
        // A value the document gives every journey first.
        assertThat(warnings.apply("\"variables\":{\"total\":\"0\"},", steps.formatted("unknown", "total {{total}}"))).isEmpty();
        // A condition that asks whether the fetch gave it.
        assertThat(warnings.apply("", steps.formatted("known", "-") + ",{\"id\":\"known\",\"type\":\"condition\","
                + "\"condition\":{\"left\":\"{{total}}\",\"operator\":\"exists\"},\"branches\":{\"true\":\"paid\","
                + "\"false\":\"unknown\"}}")).isEmpty();
        assertThat(warnings.apply("", steps.formatted("known", "-") + ",{\"id\":\"known\",\"type\":\"condition\","
                + "\"condition\":{\"left\":\"{{total}}\",\"operator\":\"equals\",\"right\":\"\"},\"branches\":{\"true\":\"paid\","
                + "\"false\":\"unknown\"}}")).extracting(FlowProblem::step).containsExactly("paid");
        // Reached after the success and after the failure.
        assertThat(warnings.apply("", steps.formatted("paid", "-").replace("{\"id\":\"unknown\",\"type\":\"add_report_row\","
                + "\"status\":\"-\",\"next\":\"e\"},", ""))).extracting(FlowProblem::step).containsExactly("paid");
    }

    @Test
    void warnsOfAReplyBranchNoReplyToItsMessageCanTake() {
        BiFunction<String, String, List<FlowProblem>> warnings = (send, branches) -> warningsOfValid(REGISTERED,
                "{\"name\":\"t\",\"entry\":{\"type\":\"api\"},\"start\":\"a\",\"steps\":["
                    + send + ",{\"id\":\"wait\",\"type\":\"wait_for_reply\",\"message\":\"a\",\"timeout\":\"P1D\","
                    + "\"branches\":{" + branches + ",\"no_reply\":\"e\"}},{\"id\":\"e\",\"type\":\"end\"}]}");
        String template = "{\"id\":\"a\",\"type\":\"send_whatsapp\",\"sender\":\"sandbox\",\"template\":\"order_ready\","
                + "\"language\":\"en_US\"%s,\"next\":\"wait\"}";
        String payloads = ",\"buttonParameters\":[{\"index\":0,\"value\":\"YES\"},{\"index\":1,\"value\":\"A-1\"},"
                + "{\"index\":2,\"value\":\"%s\"}]";

        // Without payloads given, a quick reply carries its text.
        assertThat(warnings.apply(template.formatted(""), "\"Yes\":\"e\",\"No\":\"e\",\"any_text\":\"e\"")).isEmpty();
        assertThat(warnings.apply(template.formatted(""), "\"YES\":\"e\",\"Maybe\":\"e\"")).extracting(FlowProblem::message)
                .containsExactly("branch 'YES' is no payload of the quick replies of a (Yes, No): did you mean Yes?; no reply takes it",
                        "branch 'Maybe' is no payload of the quick replies of a (Yes, No); no reply takes it");
        // With payloads given, those; the URL button's value is none.
        assertThat(warnings.apply(template.formatted(payloads.formatted("NO")), "\"YES\":\"e\",\"NO\":\"e\"")).isEmpty();
        assertThat(warnings.apply(template.formatted(payloads.formatted("NO")), "\"A-1\":\"e\"")).singleElement()
                .satisfies(warning -> {
                    assertThat(warning.step()).isEqualTo("wait");
                    assertThat(warning.message()).isEqualTo("branch 'A-1' is no payload of the quick replies of a (YES, NO);"
                            + " no reply takes it");
                });
        // A payload a placeholder gives is known per contact.
        assertThat(warnings.apply(template.formatted(payloads.formatted("{{answer}}")), "\"Maybe\":\"e\"")).isEmpty();
        // An SMS has no quick replies.
        assertThat(warnings.apply("{\"id\":\"a\",\"type\":\"send_sms\",\"sender\":\"sandbox-sms\",\"category\":\"utility\","
                + "\"text\":\"Reply YES\",\"next\":\"wait\"}", "\"YES\":\"e\",\"any_text\":\"e\"")).singleElement()
                .satisfies(warning -> assertThat(warning.message()).isEqualTo("branch 'YES': a sends an SMS, which has no quick"
                        + " replies: no reply to it carries a payload, so the branch is never taken (a typed answer takes any_text)"));
    }

    @Test
    void warnsOfAStatusBranchWithoutTimeoutThatNoOutcomeOfOneKindDecides() {
        String whatsApp = "{\"id\":\"a\",\"type\":\"send_whatsapp\",\"sender\":\"sandbox\",\"template\":\"spring_sale\","
                + "\"language\":\"en_US\",\"bodyParameters\":[\"Ann\"],\"next\":\"b\"}";
        String sms = "{\"id\":\"a\",\"type\":\"send_sms\",\"sender\":\"sandbox-sms\",\"category\":\"utility\","
                + "\"text\":\"hi\",\"next\":\"b\"}";
        BiFunction<String, String, List<FlowProblem>> warnings = (send, branches) -> warningsOfValid(validator,
                "{\"name\":\"t\",\"entry\":{\"type\":\"api\"},\"start\":\"a\",\"steps\":[" + send + ","
                        + "{\"id\":\"b\",\"type\":\"branch_on_status\",\"message\":\"a\"" + branches + "},"
                        + "{\"id\":\"e\",\"type\":\"end\"}]}");

        // "On failed, an SMS": every message that gets through would leave its journey waiting.
        assertThat(warnings.apply(whatsApp, ",\"branches\":{\"failed\":\"e\"}")).singleElement().satisfies(warning -> {
            assertThat(warning.step()).isEqualTo("b");
            assertThat(warning.message()).isEqualTo("no sent or delivered branch and no timeout: a journey whose message"
                    + " gets through waits here for ever; add a sent or delivered branch, or a timeout");
        });
        // "When read, ask": one delivered and never read waits too.
        assertThat(warnings.apply(whatsApp, ",\"branches\":{\"read\":\"e\",\"failed\":\"e\"}")).extracting(FlowProblem::message)
                .containsExactly("no sent or delivered branch and no timeout: a journey whose message gets through and is"
                        + " not read waits here for ever; add a sent or delivered branch, or a timeout");
        assertThat(warnings.apply(whatsApp, ",\"branches\":{\"delivered\":\"e\"}")).extracting(FlowProblem::message)
                .containsExactly("no failed branch and no timeout: a journey whose message fails, or that Reach blocks,"
                        + " waits here for ever; add a failed branch, or a timeout");
        assertThat(warnings.apply(whatsApp, ",\"branches\":{\"delivered\":\"e\",\"blocked\":\"e\"}")).isEmpty();
        // An SMS without its receipt stays sent.
        assertThat(warnings.apply(sms, ",\"branches\":{\"delivered\":\"e\",\"failed\":\"e\"}")).extracting(FlowProblem::message)
                .containsExactly("no timeout: an SMS whose delivery receipt never comes (an SMSC or a carrier may send none)"
                        + " stays sent, and its journey waits here for ever; add a timeout");
        assertThat(warnings.apply(sms, ",\"branches\":{\"sent\":\"e\",\"failed\":\"e\"}")).isEmpty();
        assertThat(warnings.apply(sms, ",\"timeout\":\"PT1H\",\"branches\":{\"delivered\":\"e\",\"timeout\":\"e\"}"))
                .isEmpty();
    }

    @Test
    void warnsOfAMarketingMessageToAnAudienceThatDoesNotRequireMarketingConsent() {
        BiFunction<String, String, List<FlowProblem>> warnings = (audience, send) -> warningsOfValid(REGISTERED,
                "{\"name\":\"t\",\"entry\":{\"type\":\"audience\",\"audience\":" + audience
                    + "},\"start\":\"a\",\"steps\":[" + send + ",{\"id\":\"e\",\"type\":\"end\"}]}");
        String template = "{\"id\":\"a\",\"type\":\"send_whatsapp\",\"sender\":\"sandbox\",\"template\":\"%s\","
                + "\"language\":\"en_US\",\"next\":\"e\"}";
        String sms = "{\"id\":\"a\",\"type\":\"send_sms\",\"sender\":\"sandbox-sms\",\"category\":\"%s\","
                + "\"text\":\"Sale!\",\"next\":\"e\"}";

        assertThat(warnings.apply("{\"tags\":[\"vip\"]}", template.formatted("spring_sale"))).singleElement()
                .satisfies(warning -> {
                    assertThat(warning.step()).isEqualTo("a");
                    assertThat(warning.message()).isEqualTo("a marketing message (template spring_sale) to an audience that"
                            + " does not require marketing consent: its contacts who did not agree to marketing have it"
                            + " blocked; add \"consent\": \"marketing\" to the audience to launch it to those who did");
                });
        assertThat(warnings.apply("{\"consent\":\"utility\"}", sms.formatted("Marketing"))).extracting(FlowProblem::message)
                .singleElement(InstanceOfAssertFactories.STRING).startsWith("a marketing message to an audience");
        assertThat(warnings.apply("{\"tags\":[\"vip\"],\"consent\":\"marketing\"}", template.formatted("spring_sale"))).isEmpty();
        assertThat(warnings.apply("{}", template.formatted("order_ready"))).isEmpty();
        assertThat(warnings.apply("{}", sms.formatted("utility"))).isEmpty();
    }

    @Test
    void namesParametersTheTemplateDoesNotTake() {
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"send_whatsapp\",\"sender\":\"sandbox\",\"template\":\"order_ready\","
                + "\"language\":\"en_US\",\"headerParameters\":[\"{{event.order_id}}\"],\"bodyParameters\":[\"{{event.order_id}}\"],"
                + "\"next\":\"e\"},{\"id\":\"e\",\"type\":\"end\"}"), "a", "bodyParameters: takes 2 (template order_ready, en_US)");
    }

    @Test
    void namesASenderOfAnotherChannelThanItsStepSendsOn() {
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"send_sms\",\"sender\":\"sandbox\",\"text\":\"hi\",\"category\":\"utility\","
                + "\"next\":\"b\"},{\"id\":\"b\",\"type\":\"voice_call\",\"sender\":\"sandbox-voice\",\"text\":\"hi\","
                + "\"category\":\"utility\",\"next\":\"e\"},{\"id\":\"e\",\"type\":\"end\"}"),
                "a", "sender: sandbox sends on whatsapp; a send_sms step needs a sender on sms");
    }

    @Test
    void namesAMissingSender() {
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"send_sms\",\"sender\":\"nobody\",\"text\":\"hi\",\"category\":\"utility\","
                + "\"next\":\"e\"},{\"id\":\"e\",\"type\":\"end\"}"), "a", "missing sender: nobody");
    }

    @Test
    void namesABranchOnTheStatusOfAStepThatSendsNothing() {
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"add_tag\",\"tag\":\"x\",\"next\":\"b\"},"
                + "{\"id\":\"b\",\"type\":\"branch_on_status\",\"message\":\"a\",\"branches\":{\"delivered\":\"e\"}},"
                + "{\"id\":\"e\",\"type\":\"end\"}"), "b", "'a' is not a sending step");
    }

    @Test
    void namesAStepThatFollowsAMessageAPathCanReachWithoutItsSend() {
        // The SMS goes out only when the condition holds; its status and the reply to it are followed on both paths.
        List<FlowProblem> problems = check("{\"id\":\"a\",\"type\":\"condition\",\"condition\":{\"left\":\"{{vip}}\","
                + "\"operator\":\"equals\",\"right\":\"yes\"},\"branches\":{\"true\":\"sms\",\"false\":\"b\"}},"
                + "{\"id\":\"sms\",\"type\":\"send_sms\",\"sender\":\"sandbox-sms\",\"text\":\"hi\",\"category\":\"utility\",\"next\":\"b\"},"
                + "{\"id\":\"b\",\"type\":\"branch_on_status\",\"message\":\"sms\",\"branches\":{\"delivered\":\"r\",\"failed\":\"e\"}},"
                + "{\"id\":\"r\",\"type\":\"wait_for_reply\",\"message\":\"sms\",\"timeout\":\"PT1H\",\"branches\":{\"any_text\":\"e\",\"no_reply\":\"e\"}},"
                + "{\"id\":\"e\",\"type\":\"end\"}");
        assertThat(problems).extracting(FlowProblem::step).containsExactly("b", "r");
        assertThat(check("{\"id\":\"a\",\"type\":\"condition\",\"condition\":{\"left\":\"{{vip}}\","
                + "\"operator\":\"equals\",\"right\":\"yes\"},\"branches\":{\"true\":\"sms\",\"false\":\"row\"}},"
                + "{\"id\":\"sms\",\"type\":\"send_sms\",\"sender\":\"sandbox-sms\",\"text\":\"hi\",\"category\":\"utility\",\"next\":\"row\"},"
                + "{\"id\":\"row\",\"type\":\"add_report_row\",\"message\":\"sms\",\"status\":\"x\",\"next\":\"e\"},"
                + "{\"id\":\"e\",\"type\":\"end\"}")).extracting(FlowProblem::step).containsExactly("row");
        assertThat(problems).allSatisfy(p -> assertThat(p.message()).contains("without passing 'sms'"));

        // After the send on every path, a loop back through it included: valid.
        assertThat(check("{\"id\":\"a\",\"type\":\"send_sms\",\"sender\":\"sandbox-sms\",\"text\":\"hi\",\"category\":\"utility\",\"next\":\"b\"},"
                + "{\"id\":\"b\",\"type\":\"branch_on_status\",\"message\":\"a\",\"timeout\":\"PT1H\","
                + "\"branches\":{\"delivered\":\"e\",\"failed\":\"w\",\"timeout\":\"w\"}},"
                + "{\"id\":\"w\",\"type\":\"wait\",\"duration\":\"PT1H\",\"next\":\"a\"},"
                + "{\"id\":\"e\",\"type\":\"end\"}")).isEmpty();
    }

    @Test
    void namesAWaitForAReplyToACall() {
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"voice_call\",\"sender\":\"sandbox-voice\",\"text\":\"hi\","
                + "\"language\":\"en-US\",\"category\":\"utility\",\"next\":\"r\"},"
                + "{\"id\":\"r\",\"type\":\"wait_for_reply\",\"message\":\"a\",\"timeout\":\"PT1H\",\"branches\":{\"any_text\":\"e\",\"no_reply\":\"e\"}},"
                + "{\"id\":\"e\",\"type\":\"end\"}"), "r", "places a call, which no one can reply to");
    }

    @Test
    void namesAReadBranchOnACallWhichIsNeverRead() {
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"voice_call\",\"sender\":\"sandbox-voice\",\"text\":\"hi\","
                + "\"language\":\"en-US\",\"category\":\"utility\",\"next\":\"b\"},"
                + "{\"id\":\"b\",\"type\":\"branch_on_status\",\"message\":\"a\",\"branches\":{\"read\":\"e\",\"failed\":\"e\"}},"
                + "{\"id\":\"e\",\"type\":\"end\"}"), "b", "'a' places a call, which is answered (delivered) or not, never read");
    }

    @Test
    void namesAnUnknownStatusBranch() {
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"send_sms\",\"sender\":\"sandbox-sms\",\"text\":\"hi\",\"category\":\"utility\","
                + "\"next\":\"b\"},{\"id\":\"b\",\"type\":\"branch_on_status\",\"message\":\"a\",\"branches\":{\"opened\":\"e\"}},"
                + "{\"id\":\"e\",\"type\":\"end\"}"), "b", "branch 'opened' is not a status");
    }

    @Test
    void namesATimeoutBranchWithoutTimeout() {
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"wait_for_reply\",\"branches\":{\"YES\":\"e\",\"no_reply\":\"e\"}},"
                + "{\"id\":\"e\",\"type\":\"end\"}"), "a", "timeout branch but no timeout");
    }

    @Test
    void namesAStepWithoutNext() {
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"add_tag\",\"tag\":\"x\"}"), "a", "needs next");
    }

    @Test
    void namesADuplicateStepId() {
        List<FlowProblem> problems = check("{\"id\":\"a\",\"type\":\"end\"},{\"id\":\"a\",\"type\":\"end\"}");
        assertThat(problems).extracting(FlowProblem::step).contains("a");
        assertThat(problems.toString()).contains("used twice");
    }

    @Test
    void namesABadDurationAndABadWindow() {
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"wait\",\"duration\":\"10 minutes\",\"next\":\"e\"},{\"id\":\"e\",\"type\":\"end\"}"),
                "a", "not an ISO-8601 duration");
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"wait\",\"window\":{\"from\":\"9am\",\"to\":\"18:00\"},\"next\":\"e\"},"
                + "{\"id\":\"e\",\"type\":\"end\"}"), "a", "window.from");
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"wait\",\"window\":{\"from\":\"09:00\",\"to\":\"09:00\"},\"next\":\"e\"},"
                + "{\"id\":\"e\",\"type\":\"end\"}"), "a", "from and to are the same time");
    }

    @Test
    void namesAFetchWithoutUrlAndAConditionWithoutOperator() {
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"fetch_variables\",\"request\":{\"url\":\"ftp://x\"},"
                + "\"branches\":{\"success\":\"e\",\"failure\":\"e\"}},{\"id\":\"e\",\"type\":\"end\"}"), "a", "request.url");
        assertOnlyProblem(condition("{\"left\":\"{{x}}\",\"operator\":\"like\",\"right\":\"y\"}"), "a",
                "condition.operator: 'like' is no operator; the operators are equals, not_equals, contains, exists, not_exists,"
                        + " greater_than, less_than, at_least, at_most");
        assertOnlyProblem(condition("{\"left\":\"{{x}}\",\"right\":\"y\"}"), "a", "condition.operator: needed;");
        assertOnlyProblem(condition(null), "a", "condition: needed:");
    }

    @Test
    void namesAConditionThatWouldSendEveryJourneyOneWayOrLeaveASideUnused() throws Exception {
        // Sides without a placeholder compare two texts that are the same for every journey.
        assertOnlyProblem(condition("{\"left\":\"contact.city\",\"operator\":\"equals\",\"right\":\"Amsterdam\"}"), "a",
                "condition: neither left ('contact.city') nor right holds a placeholder, so every journey would take the same"
                        + " branch; a value is read in braces (did you mean {{contact.city}}?)");
        assertOnlyProblem(condition("{\"left\":\"tier\",\"operator\":\"exists\"}"), "a", "(did you mean {{tier}}?)");
        assertOnlyProblem(condition("{\"left\":\"a b\",\"operator\":\"equals\",\"right\":\"c\"}"), "a",
                "a value is read in braces, such as {{contact.city}}");
        // A comparison without its right side compared with an empty text; exists reads no right side.
        assertOnlyProblem(condition("{\"left\":\"{{contact.city}}\",\"operator\":\"contains\"}"), "a",
                "condition.right: needed: contains compares left with it (\"\" for an empty value;");
        assertOnlyProblem(condition("{\"left\":\"{{contact.city}}\",\"operator\":\"not_exists\",\"right\":\"Amsterdam\"}"),
                "a", "condition.right: not_exists reads left alone, which would leave right unused");
        assertOnlyProblem(condition("{\"left\":\"\",\"operator\":\"exists\"}"), "a", "condition.left: needed:");
        // A value every contact has.
        assertOnlyProblem(condition("{\"left\":\"{{contact.has_tag.vip}}\",\"operator\":\"exists\"}"), "a",
                "condition: {{contact.has_tag.vip}} always has a value, so exists would take the same branch for every"
                        + " journey: it is true or false, compared with equals \"true\"");
        assertOnlyProblem(condition("{\"left\":\"{{contact.phone}}\",\"operator\":\"not_exists\"}"), "a",
                "condition: {{contact.phone}} always has a value, so not_exists would take the same branch for every journey");
        // An operator written as a symbol or near one is named.
        String[][] writtenAndMeant = {{"==", "equals"}, {"!=", "not_equals"}, {">", "greater_than"}, {"lt", "less_than"},
                {"Equals", "equals"}, {"not_equal", "not_equals"}, {"greater", "greater_than"}, {"notexists", "not_exists"},
                {"has", "contains"}, {">=", "at_least"}, {"lte", "at_most"}};
        for (String[] pair : writtenAndMeant) {
            assertOnlyProblem(condition("{\"left\":\"{{x}}\",\"operator\":" + JSON.writeValueAsString(pair[0])
                    + ",\"right\":\"1\"}"), "a", "(did you mean " + pair[1] + "?)");
        }
        // Each problem of one condition is said at once.
        assertThat(condition("{\"left\":\"contact.city\",\"operator\":\"==\",\"right\":\"Amsterdam\"}"))
                .extracting(FlowProblem::message).containsExactly(
                        "condition.operator: '==' is no operator (did you mean equals?); the operators are equals,"
                                + " not_equals, contains, exists, not_exists, greater_than, less_than, at_least, at_most",
                        "condition: neither left ('contact.city') nor right holds a placeholder, so every journey would"
                                + " take the same branch; a value is read in braces (did you mean {{contact.city}}?)");
        // What is right: a placeholder on either side, an empty right to compare with, exists alone.
        for (String condition : List.of("{\"left\":\"gold\",\"operator\":\"equals\",\"right\":\"{{tier}}\"}",
                "{\"left\":\"{{contact.city}}\",\"operator\":\"equals\",\"right\":\"\"}",
                "{\"left\":\"{{reply.text}}\",\"operator\":\"exists\"}",
                "{\"left\":\"{{amount | default: 0}}\",\"operator\":\"greater_than\",\"right\":\"100\"}")) {
            assertThat(condition(condition)).as(condition).isEmpty();
        }
        // The JSON Schema agrees on the sides each operator takes.
        String document = Files.readString(Path.of("src/test/resources/flows/every-step-type.json"));
        String compared = "\"operator\": \"equals\", \"right\": \"gold\"";
        assertThat(document).contains(compared);
        for (String sides : List.of("\"operator\": \"equals\"", "\"operator\": \"exists\", \"right\": \"gold\"")) {
            String invalid = document.replace(compared, sides);
            assertThat(validator.check(JSON.readValue(invalid, FlowDocument.class))).as(sides).singleElement()
                    .satisfies(problem -> assertThat(problem.message()).startsWith("condition.right: "));
            assertThat(schemaProblems(invalid)).as(sides).isNotEmpty();
        }
    }

    private List<FlowProblem> condition(String condition) {
        return check("{\"id\":\"a\",\"type\":\"condition\"" + (condition == null ? "" : ",\"condition\":" + condition)
                + ",\"branches\":{\"true\":\"e\",\"false\":\"e\"}},{\"id\":\"e\",\"type\":\"end\"}");
    }

    @Test
    void namesAFetchBodyThatIsNotJsonOnceFilledAndABodyOnAGet() {
        String fetch = "{\"id\":\"a\",\"type\":\"fetch_variables\",\"request\":{\"method\":\"%s\",\"url\":\"http://127.0.0.1:9/x\","
                + "\"body\":%s},\"branches\":{\"success\":\"e\",\"failure\":\"e\"}},{\"id\":\"e\",\"type\":\"end\"}";
        // Placeholders in and out of strings, filled as JSON: valid.
        assertThat(check(fetch.formatted("POST", JSON.writeValueAsString("{\"id\": \"{{contact.phone}}\", \"amount\": {{amount}}}"))))
                .isEmpty();
        assertOnlyProblem(check(fetch.formatted("POST", JSON.writeValueAsString("{\"id\": \"{{contact.phone}}\""))),
                "a", "request.body: not JSON once its placeholders are filled");
        assertOnlyProblem(check(fetch.formatted("POST", JSON.writeValueAsString("{\"a\": 1} {\"b\": 2}"))),
                "a", "request.body: not JSON once its placeholders are filled (more follows its JSON value)");
        assertOnlyProblem(check(fetch.formatted("GET", JSON.writeValueAsString("{\"a\": 1}"))), "a", "request.body: only a POST sends a body");
    }

    @Test
    void namesAFieldOfAnotherTypeThatTheStepWouldLeaveUnused() {
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"wait\",\"duration\":\"PT1H\",\"timeout\":\"PT2H\",\"next\":\"e\"},"
                + "{\"id\":\"e\",\"type\":\"end\"}"), "a",
                "timeout: not a field of a wait step, which would leave it unused (its fields: duration, window)");
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"send_whatsapp\",\"sender\":\"sandbox\",\"template\":\"spring_sale\","
                + "\"language\":\"en_US\",\"bodyParameters\":[\"Ann\"],\"text\":\"Hi Ann\",\"next\":\"e\"},{\"id\":\"e\",\"type\":\"end\"}"),
                "a", "text: not a field of a send_whatsapp step, which would leave it unused (its fields: sender, template,"
                        + " language, headerParameters, bodyParameters, buttonParameters)");
        assertOnlyProblem(check("{\"id\":\"a\",\"type\":\"end\",\"status\":\"done\"}"), "a",
                "status: not a field of an end step, which would leave it unused (its fields: none)");
        // A description is a note on any step.
        assertThat(check("{\"id\":\"a\",\"type\":\"wait\",\"duration\":\"PT1H\",\"description\":\"let it sink in\","
                + "\"next\":\"e\"},{\"id\":\"e\",\"type\":\"end\",\"description\":\"done\"}")).isEmpty();
    }

    @Test
    void namesAPlaceholderThatIsNotClosedWhichWouldGoOutAsItIsWritten() {
        String sms = "{\"id\":\"a\",\"type\":\"send_sms\",\"sender\":\"sandbox-sms\",\"category\":\"utility\","
                + "\"text\":%s,\"next\":\"e\"},{\"id\":\"e\",\"type\":\"end\"}";
        assertOnlyProblem(check(sms.formatted("\"Hi {{contact.first_name}, your order is ready\"")), "a",
                "text: '{{contact.first_name}, your order is ready' opens a placeholder with {{ that is not closed with }}");
        assertOnlyProblem(check(sms.formatted("\"Hi {{contact.first_name, order {{order_id}} is ready\"")), "a",
                "text: '{{contact.first_name, order ' opens a placeholder");
        assertOnlyProblem(check(sms.formatted("\"Hi {{}}, and {{contact.first_name}}\"")), "a",
                "text: '{{}}': a placeholder names its value first");
        assertOnlyProblem(check(sms.formatted("\"Hi {{{contact.first_name}}}\"")), "a",
                "text: '{{{contact.first_name}}': a placeholder holds no { or }");
        // Closing braces alone are text (and a JSON body's objects end so).
        assertThat(check(sms.formatted("\"Hi {{contact.first_name}} }} :-}}\""))).isEmpty();
        // A text of many is said in its first ten.
        assertThat(check(sms.formatted("\"" + "{{x ".repeat(30_000) + "\""))).extracting(FlowProblem::message)
                .hasSize(11).endsWith("text: and more: the first 10 are said");
        // Every field that holds placeholders is read, each problem with its field.
        List<FlowProblem> problems = check("""
                {"id":"a","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
                 "headerParameters":["{{order_id"],"bodyParameters":["{{contact.first_name}}","{{order_id}"],
                 "buttonParameters":[{"index":0,"value":"{{code"}],"next":"f"},
                {"id":"f","type":"fetch_variables","request":{"method":"POST","url":"http://127.0.0.1:9/{{id",
                 "headers":{"X-Key":"{{key"},"body":"{\\"a\\":{\\"b\\":{{amount}}}}"},
                 "branches":{"success":"c","failure":"c"}},
                {"id":"c","type":"condition","condition":{"left":"{{x","operator":"equals","right":"{{y"},
                 "branches":{"true":"r","false":"r"}},
                {"id":"r","type":"add_report_row","status":"{{s","description":"{{d","next":"t"},
                {"id":"t","type":"add_tag","tag":"{{t","next":"v"},
                {"id":"v","type":"set_attribute","attribute":"city","value":"{{v","next":"e"},
                {"id":"e","type":"end"}""");
        assertThat(problems).extracting(p -> p.step() + " " + p.message().substring(0, p.message().indexOf(':')))
                .containsExactly("a headerParameters[0]", "a bodyParameters[1]", "a buttonParameters[0].value",
                        "f request.url", "f request.headers.X-Key", "c condition.left", "c condition.right", "r status",
                        "r description", "t tag", "v value");
    }

    @Test
    void namesAModifierThatIsNoneWithTheOneItIsClosestTo() {
        String sms = "{\"id\":\"a\",\"type\":\"send_sms\",\"sender\":\"sandbox-sms\",\"category\":\"utility\","
                + "\"text\":%s,\"next\":\"e\"},{\"id\":\"e\",\"type\":\"end\"}";
        assertOnlyProblem(check(sms.formatted("\"Hi {{contact.first_name | Capitalise}}\"")), "a",
                "text: '{{contact.first_name | Capitalise}}': 'Capitalise' is not a modifier (did you mean CapitalizeFirst?);"
                        + " the modifiers are CapitalizeFirst, CapitalizeAllFirst, UPPERCASE, lowercase, regular and default: text");
        assertOnlyProblem(check(sms.formatted("\"Hi {{contact.first_name | uppercase}}\"")), "a",
                "'uppercase' is not a modifier (did you mean UPPERCASE?)");
        assertOnlyProblem(check(sms.formatted("\"Hi {{contact.first_name | default there}}\"")), "a",
                "'default there' is not a modifier: a default is written default: text");
        assertOnlyProblem(check(sms.formatted("\"Hi {{contact.first_name | shout}}\"")), "a",
                "'shout' is not a modifier; the modifiers are");
        assertOnlyProblem(check(sms.formatted("\"Hi {{contact.first_name |}}\"")), "a", "an empty modifier after |");
        // Every modifier there is, the default's name in any case.
        assertThat(check(sms.formatted("\"{{a | CapitalizeFirst}} {{b | CapitalizeAllFirst | Default: x}} {{c|UPPERCASE}}"
                + " {{d | lowercase | default: }} {{ e | regular }}\""))).isEmpty();
    }

    @Test
    void refusesAFetchOfAHostTheSettingDoesNotAllowWhenItsHostIsWrittenOutNamingTheStep() {
        String fetch = "{\"id\":\"a\",\"type\":\"fetch_variables\",\"request\":{\"url\":\"%s\"},"
                + "\"branches\":{\"success\":\"e\",\"failure\":\"e\"}},{\"id\":\"e\",\"type\":\"end\"}";

        assertOnlyProblem(check(fetch.formatted("http://169.254.169.254/latest/meta-data")), "a",
                "request.url: the host 169.254.169.254 is not one reach.flows.fetch-hosts allows (127.0.0.1, *.shop.example)");
        assertOnlyProblem(check(fetch.formatted("https://127.0.0.1@internal.example/{{id}}")), "a",
                "the host internal.example is not one");
        assertOnlyProblem(check(fetch.formatted("https://shop.example/orders")), "a", "the host shop.example is not one");
        assertThat(check(fetch.formatted("http://127.0.0.1:8080/orders/{{id}}"))).isEmpty();
        assertThat(check(fetch.formatted("https://API.Shop.Example/orders?id={{id}}"))).isEmpty();
        // Known only when a journey gets there: checked then.
        assertThat(check(fetch.formatted("https://{{host}}/orders"))).isEmpty();
        assertThat(check(fetch.formatted("{{backend}}/orders"))).isEmpty();
    }

    @Test
    void namesAStartThatIsNoStepAndAnEventEntryWithoutEvent() {
        List<FlowProblem> problems = check("{\"type\":\"event\"}", "nowhere", "{\"id\":\"a\",\"type\":\"end\"}");
        assertThat(problems.toString()).contains("entry.event", "start: 'nowhere' is not a step of this flow");
    }

    @Test
    void saysAFlowWithoutStartNeedsOneRatherThanNamingNull() {
        FlowDocument flow = JSON.readValue("{\"name\":\"t\",\"entry\":{\"type\":\"api\"},"
                + "\"steps\":[{\"id\":\"a\",\"type\":\"end\"}]}", FlowDocument.class);

        assertOnlyProblem(validator.check(flow), null, "start: a flow needs a start, the id of its first step");
    }
}
