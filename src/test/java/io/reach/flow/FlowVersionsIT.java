package io.reach.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.shared.Ids;
import io.reach.support.Api;
import io.reach.support.Fixtures;
import io.reach.support.FlowFixtures;
import io.reach.support.OffsetClock;
import io.reach.support.OffsetClockConfiguration;
import io.reach.support.ReachIntegrationTest;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A flow's versions over the API: import and validation, drafts, publishing, export, and journeys on their version. */
@TestPropertySource(properties = "reach.journeys.poll-interval=100ms")
@Import(OffsetClockConfiguration.class)
class FlowVersionsIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final AtomicInteger FLOWS = new AtomicInteger();
    private static final AtomicInteger NUMBERS = new AtomicInteger();

    @Autowired
    OffsetClock clock;

    @Test
    void namesAFlowByItsNameWhereverItsIdGoes() {
        // A slash and a percent sign, percent-encoded in the path as every other character of a name that is not plain.
        String name = "Order ready / 50% off – by name ✓ " + FLOWS.incrementAndGet();
        Api.Response imported = api.post("/api/v1/flows", """
                {"name":"%s","entry":{"type":"api"},"start":"tag","steps":[
                 {"id":"tag","type":"add_tag","tag":"by-name","next":"end"},{"id":"end","type":"end"}]}""".formatted(name));
        assertThat(imported.status()).as(imported.body()).isEqualTo(201);
        String id = imported.json().path("flowId").asString();
        String byName = "/api/v1/flows/" + URLEncoder.encode(name, StandardCharsets.UTF_8)
                .replace("+", "%20");

        Api.Response published = api.post(byName + "/publish", "");
        String phone = "+316151" + String.format("%05d", NUMBERS.incrementAndGet());
        Fixtures.contact(api, phone, Map.of(), false);
        Api.Response started = api.post(byName + "/journeys", Map.of("to", phone));

        assertThat(published.status()).as(published.body()).isEqualTo(200);
        assertThat(published.json().path("flowId").asString()).isEqualTo(id);
        assertThat(api.get(byName).json().path("flowId").asString()).isEqualTo(id);
        assertThat(started.status()).as(started.body()).isEqualTo(201);
        await().atMost(PATIENCE).until(() -> api.get(byName + "/versions/1/counts").json().path("ended").asLong() == 1);
        assertThat(api.get(byName + "/journeys").json().path(0).path("id").asString())
                .isEqualTo(started.json().path("journeyId").asString());
        Api.Response unknown = api.get("/api/v1/flows/no%20such%20flow/versions");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().path("message").asString()).isEqualTo("No flow has the id or name 'no such flow'");
        assertThat(api.get("/api/v1/flows/" + UUID.randomUUID()).status()).isEqualTo(404);
    }

    @Test
    void refusesAnInvalidDocumentNamingTheStepAndWritesNothing() {
        String name = "versions-test-" + FLOWS.incrementAndGet();
        String dangling = """
                {"name":"%s","entry":{"type":"api"},"start":"pause","steps":[
                 {"id":"pause","type":"wait","duration":"PT1H","next":"nowhere"}]}""".formatted(name);

        Api.Response validated = api.post("/api/v1/flows/validate", dangling);
        Api.Response imported = api.post("/api/v1/flows", dangling);

        assertThat(validated.status()).isEqualTo(200);
        assertThat(validated.json().path("valid").asBoolean()).isFalse();
        assertThat(validated.json().path("problems").path(0).path("step").asString()).isEqualTo("pause");
        assertThat(imported.status()).isEqualTo(400);
        assertThat(imported.json().path("error").asString()).isEqualTo("invalid_flow");
        assertThat(imported.json().path("message").asString()).startsWith("step pause: ").contains("nowhere");
        assertThat(flowNames()).doesNotContain(name);

        String flow = importDraft(waitThenReport(name, "PT1H", "first"));
        Api.Response edited = api.put("/api/v1/flows/" + flow + "/draft", dangling);

        assertThat(edited.status()).isEqualTo(400);
        assertThat(document(flow, 1)).isEqualTo(waitThenReport(name, "PT1H", "first"));
    }

    @Test
    void refusesADocumentThatWritesAKeyTwiceRatherThanTakeTheLastOne() {
        String name = "versions-test-" + FLOWS.incrementAndGet();
        // A second "next" pasted into a step: which one was meant, Reach cannot tell.
        String twice = """
                {"name":"%s","entry":{"type":"api"},"start":"pause","steps":[
                 {"id":"pause","type":"wait","duration":"PT1H","next":"report","next":"end"},
                 {"id":"report","type":"add_report_row","status":"waited","next":"end"},
                 {"id":"end","type":"end"}]}""".formatted(name);

        Api.Response validated = api.post("/api/v1/flows/validate", twice);
        Api.Response imported = api.post("/api/v1/flows", twice);

        for (Api.Response refused : List.of(validated, imported)) {
            assertThat(refused.status()).as(refused.body()).isEqualTo(400);
            assertThat(refused.json().path("error").asString()).isEqualTo("invalid_flow");
            assertThat(refused.json().path("message").asString()).isEqualTo("The flow document is not of the flow shape:"
                    + " is not valid JSON: Duplicate Object property \"next\" (line 2, column 70)");
        }
        assertThat(flowNames()).doesNotContain(name);
        String flow = importDraft(waitThenReport(name, "PT1H", "first"));
        assertThat(api.put("/api/v1/flows/" + flow + "/draft", twice).status()).isEqualTo(400);
        assertThat(document(flow, 1)).isEqualTo(waitThenReport(name, "PT1H", "first"));
    }

    @Test
    void discardsADraftAndTheNextDraftTakesItsNumber() {
        String name = "versions-test-" + FLOWS.incrementAndGet();
        String flow = importDraft(waitThenReport(name, "PT1H", "first"));
        Api.Response draftOnly = api.delete("/api/v1/flows/" + flow + "/draft");
        assertThat(draftOnly.status()).as(draftOnly.body()).isEqualTo(409);
        assertThat(draftOnly.json().path("error").asString()).isEqualTo("draft_only");
        assertThat(draftOnly.json().path("message").asString()).isEqualTo("Flow " + name + " has its draft only: delete"
                + " the flow instead (DELETE /api/v1/flows/" + flow + ")");
        assertThat(api.post("/api/v1/flows/" + flow + "/publish", "").status()).isEqualTo(200);
        Api.Response noDraft = api.delete("/api/v1/flows/" + name + "/draft");
        assertThat(noDraft.status()).isEqualTo(409);
        assertThat(noDraft.json().path("error").asString()).isEqualTo("no_draft");
        assertThat(api.put("/api/v1/flows/" + flow + "/draft", waitThenReport(name, "PT2H", "tried")).status()).isEqualTo(200);

        Api.Response discarded = api.delete("/api/v1/flows/" + name + "/draft");

        assertThat(discarded.status()).as(discarded.body()).isEqualTo(200);
        assertThat(discarded.json().path("version").asInt()).isEqualTo(1);
        assertThat(discarded.json().path("status").asString()).isEqualTo("published");
        assertThat(api.get("/api/v1/flows/" + flow + "/versions").json()).hasSize(1);
        assertThat(api.get("/api/v1/flows/" + flow + "/versions/2/document").status()).isEqualTo(404);
        Api.Response nothingToPublish = api.post("/api/v1/flows/" + flow + "/publish", "");
        assertThat(nothingToPublish.status()).isEqualTo(409);
        assertThat(nothingToPublish.json().path("error").asString()).isEqualTo("no_draft");
        assertThat(nothingToPublish.json().path("message").asString()).contains("Flow " + name + " has no draft");
        assertThat(api.put("/api/v1/flows/" + flow + "/draft", waitThenReport(name, "PT3H", "second")).json().path("version")
                .asInt()).isEqualTo(2);
        assertThat(document(flow, 2)).isEqualTo(waitThenReport(name, "PT3H", "second"));
        assertThat(document(flow, 1)).isEqualTo(waitThenReport(name, "PT1H", "first"));
    }

    @Test
    void aNewFlowNamedInTheFormOfAnIdIsRefusedSinceItWouldBeReachedByItsIdOnly() {
        String name = UUID.randomUUID().toString();

        Api.Response validated = api.post("/api/v1/flows/validate", waitThenReport(name, "PT1H", "first"));
        Api.Response imported = api.post("/api/v1/flows", waitThenReport(name, "PT1H", "first"));

        assertThat(validated.json().path("valid").asBoolean()).as(validated.body()).isFalse();
        assertThat(validated.json().path("problems").path(0).path("message").asString())
                .startsWith("name: a new flow's name must not be in the form of an id");

        assertThat(imported.status()).as(imported.body()).isEqualTo(400);
        assertThat(imported.json().path("error").asString()).isEqualTo("invalid_flow");
        assertThat(imported.json().path("message").asString())
                .isEqualTo("name: a new flow's name must not be in the form of an id: the API, which takes a flow's id or"
                        + " name, would take it for an id");
        assertThat(flowNames()).doesNotContain(name);
        // A name that holds an id among other words names its flow as any other.
        String holding = "campaign " + name;
        String flow = importDraft(waitThenReport(holding, "PT1H", "first"));
        String byName = "/api/v1/flows/" + URLEncoder.encode(holding, StandardCharsets.UTF_8)
                .replace("+", "%20");
        assertThat(api.get(byName).json().path("flowId").asString()).isEqualTo(flow);
    }

    /** Registers a template in en_US of the sandbox's account, as Meta has it. */
    @SafeVarargs
    private void registerTemplate(String name, String category, String status, Map<String, ?>... components) {
        Api.Response registered = api.post("/api/v1/templates", Map.of("name", name, "language", "en_US", "category",
                category, "status", status, "components", List.of(components)));
        assertThat(registered.status()).as(registered.body()).isEqualTo(201);
    }

    /** A validation's warnings, each as "step: message". */
    private static List<String> warnings(Api.Response validated) {
        return validated.json().path("warnings").valueStream()
                .map(w -> w.path("step").asString() + ": " + w.path("message").asString()).toList();
    }

    @Test
    void warnsOfAQuickReplyBranchThatNoButtonOfTheRegisteredTemplateCarries() {
        String template = "pickup_question_" + FLOWS.incrementAndGet();
        registerTemplate(template, "utility", "APPROVED", Map.of("type", "BODY", "text", "Pick it up today?"),
                Map.of("type", "BUTTONS", "buttons", List.of(Map.of("type", "QUICK_REPLY", "text", "Yes"),
                        Map.of("type", "QUICK_REPLY", "text", "No"))));
        String flow = """
                {"name":"asks-%s","entry":{"type":"api"},"start":"ask","steps":[
                 {"id":"ask","type":"send_whatsapp","sender":"sandbox","template":"%s","language":"en_US","next":"wait"},
                 {"id":"wait","type":"wait_for_reply","message":"ask","timeout":"P1D",
                  "branches":{"%s":"end","No":"end","no_reply":"end"}},
                 {"id":"end","type":"end"}]}""";

        Api.Response checked = api.post("/api/v1/flows/validate", flow.formatted(template, template, "YES"));
        assertThat(checked.json().path("valid").asBoolean()).as(checked.body()).isTrue();
        assertThat(warnings(checked)).containsExactly("wait: branch 'YES' is no payload of the quick replies of ask (Yes, No): did you mean Yes?;"
                        + " no reply takes it");
        Api.Response fitting = api.post("/api/v1/flows/validate", flow.formatted(template, template, "Yes"));
        assertThat(warnings(fitting)).as(fitting.body()).isEmpty();
    }

    @Test
    void warnsOfAMarketingTemplateLaunchedToAnAudienceThatNeedNotHaveAgreedToMarketing() {
        String template = "autumn_offer_" + FLOWS.incrementAndGet();
        registerTemplate(template, "marketing", "APPROVED", Map.of("type", "BODY", "text", "20% off."));
        String flow = """
                {"name":"offers-%s","entry":{"type":"audience","audience":{"tags":["vip"]%s}},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"%s","language":"en_US","next":"end"},
                 {"id":"end","type":"end"}]}""";

        Api.Response checked = api.post("/api/v1/flows/validate", flow.formatted(template, "", template));
        assertThat(warnings(checked)).as(checked.body()).containsExactly("send: a marketing message (template " + template + ") to an"
                + " audience that does not require marketing consent: its contacts who did not agree to marketing have it"
                + " blocked; add \"consent\": \"marketing\" to the audience to launch it to those who did");
        Api.Response consenting = api.post("/api/v1/flows/validate", flow.formatted(template, ",\"consent\":\"marketing\"", template));
        assertThat(warnings(consenting)).as(consenting.body()).isEmpty();
    }

    @Test
    void warnsOfATemplateMetaHasNotApprovedAndNamesTheLanguagesOfOneMisspelt() {
        String template = "in_review_" + FLOWS.incrementAndGet();
        registerTemplate(template, "utility", "PENDING", Map.of("type", "BODY", "text", "Hi."));
        String flow = """
                {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"%s","language":"%s","next":"end"},
                 {"id":"end","type":"end"}]}""";

        Api.Response pending = api.post("/api/v1/flows/validate", flow.formatted("warned-" + template, template, "en_US"));
        assertThat(pending.json().path("valid").asBoolean()).as(pending.body()).isTrue();
        assertThat(pending.json().path("warnings").path(0).path("step").asString()).isEqualTo("send");
        assertThat(pending.json().path("warnings").path(0).path("message").asString()).startsWith("template " + template
                + " (en_US) is PENDING: its sends are blocked");
        Api.Response misspelt = api.post("/api/v1/flows/validate", flow.formatted("misspelt-" + template, template, "en"));
        assertThat(misspelt.json().path("problems").path(0).path("message").asString())
                .isEqualTo("missing template: " + template + " (en) is not registered; it is in en_US");
        assertThat(misspelt.json().path("warnings").isEmpty()).isTrue();
    }

    @Test
    void warnsOfAFreeFormTextSentBeforeTheContactWroteWhenTheFlowIsCheckedImportedAndPublishedAndLaunchesItAnyway() {
        String name = "text-first-" + FLOWS.incrementAndGet();
        String flow = """
                {"name":"%s","entry":{"type":"audience","audience":{"tags":["%s"]}},"start":"hello","steps":[
                 {"id":"hello","type":"send_text","sender":"sandbox","text":"Hello!","next":"end"},
                 {"id":"end","type":"end"}]}""".formatted(name, name);
        String warning = "a path from the start reaches this free-form text before the contact has written";

        Api.Response checked = api.post("/api/v1/flows/validate", flow);
        assertThat(checked.json().path("valid").asBoolean()).as(checked.body()).isTrue();
        assertThat(checked.json().path("warnings").path(0).path("step").asString()).isEqualTo("hello");
        assertThat(checked.json().path("warnings").path(0).path("message").asString()).startsWith(warning);
        Api.Response imported = api.post("/api/v1/flows", flow);
        assertThat(imported.status()).as(imported.body()).isEqualTo(201);
        assertThat(imported.json().path("warnings").path(0).path("message").asString()).startsWith(warning);
        String id = imported.json().path("flowId").asString();
        Api.Response replaced = api.put("/api/v1/flows/" + id + "/draft", flow);
        assertThat(replaced.json().path("warnings").path(0).path("step").asString()).as(replaced.body()).isEqualTo("hello");
        Api.Response published = api.post("/api/v1/flows/" + id + "/publish", "");
        assertThat(published.status()).as(published.body()).isEqualTo(200);
        assertThat(published.json().path("warnings").path(0).path("step").asString()).isEqualTo("hello");
        // Only the answers to those three carry the warnings.
        assertThat(api.get("/api/v1/flows/" + id).json().has("warnings")).isFalse();
        // No template waits for Meta's approval: the launch goes ahead.
        assertThat(api.post("/api/v1/flows/" + id + "/launch", "").status()).isEqualTo(202);

        Api.Response clean = api.post("/api/v1/flows", flow.replace("text-first-", "template-first-").replace(
                "{\"id\":\"hello\",\"type\":\"send_text\",\"sender\":\"sandbox\",\"text\":\"Hello!\",\"next\":\"end\"}",
                "{\"id\":\"hello\",\"type\":\"wait\",\"duration\":\"PT1M\",\"next\":\"end\"}"));
        assertThat(clean.status()).as(clean.body()).isEqualTo(201);
        assertThat(clean.json().path("warnings").isArray()).isTrue();
        assertThat(clean.json().path("warnings").isEmpty()).isTrue();
    }

    @Test
    void launchesNoAudienceOnATemplateMetaHasNotApprovedUnlessAskedTo() {
        String template = "launch_review_" + FLOWS.incrementAndGet();
        Api.Response registered = api.post("/api/v1/templates", Map.of("name", template, "language", "en_US",
                "category", "utility", "status", "PENDING",
                "components", List.of(Map.of("type", "BODY", "text", "Hi."))));
        assertThat(registered.status()).isEqualTo(201);
        String tag = "review-" + FLOWS.incrementAndGet();
        Fixtures.contact(api, "+3161299" + String.format("%04d", NUMBERS.incrementAndGet()),
                Map.of("utility", true), false);
        String flow = FlowFixtures.publish(api, """
                {"name":"%s","entry":{"type":"audience","audience":{"tags":["%s"]}},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"%s","language":"en_US","next":"end"},
                 {"id":"end","type":"end"}]}""".formatted("launch-" + template, tag, template));

        Api.Response refused = api.post("/api/v1/flows/" + flow + "/launch", "");
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.json().path("error").asString()).isEqualTo("template_not_approved");
        assertThat(refused.json().path("message").asString()).startsWith("Flow launch-" + template + " version 1 was not"
                + " launched: step send: template " + template + " (en_US) is PENDING")
                .endsWith("Launch it once Meta has approved it, or with ?despiteUnapprovedTemplates=true");
        assertThat(refused.json().path("details").path(0).path("step").asString()).isEqualTo("send");
        assertThat(api.get("/api/v1/flows/" + flow + "/launches").json().isEmpty()).isTrue();

        assertThat(api.post("/api/v1/flows/" + flow + "/launch?despiteUnapprovedTemplates=true", "").status()).isEqualTo(202);
        assertThat(api.patch("/api/v1/templates/" + registered.json().path("id").asString(),
                Map.of("status", "APPROVED")).status()).isEqualTo(200);
        assertThat(api.post("/api/v1/flows/" + flow + "/launch", "").status()).isEqualTo(202);
    }

    @Test
    void aScheduledLaunchChecksItsTemplatesWhenItsTimeComesAndIsRefusedIfMetaHasNotApprovedThemByThen() {
        String stillPending = "scheduled_review_" + FLOWS.incrementAndGet();
        String approvedMeanwhile = "scheduled_review_" + FLOWS.incrementAndGet();
        String approvedId = null;
        for (String template : List.of(stillPending, approvedMeanwhile)) {
            Api.Response registered = api.post("/api/v1/templates", Map.of("name", template, "language", "en_US",
                    "category", "utility", "status", "PENDING", "components", List.of(Map.of("type", "BODY", "text", "Hi."))));
            assertThat(registered.status()).as(registered.body()).isEqualTo(201);
            approvedId = registered.json().path("id").asString();
        }
        String tag = "scheduled-review-" + FLOWS.incrementAndGet();
        Api.Response contact = api.post("/api/v1/contacts", Map.of("phone", "+3161298" + String.format("%04d",
                NUMBERS.incrementAndGet()), "tags", List.of(tag), "consent", Map.of("utility", true)));
        assertThat(contact.status()).as(contact.body()).isEqualTo(201);
        String sends = """
                {"name":"%s","entry":{"type":"audience","audience":{"tags":["%s"]}},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"%s","language":"en_US","next":"end"},
                 {"id":"end","type":"end"}]}""";
        String refusedFlow = FlowFixtures.publish(api, sends.formatted("refused-" + stillPending, tag, stillPending));
        String despiteFlow = FlowFixtures.publish(api, sends.formatted("despite-" + stillPending, tag, stillPending));
        String approvedFlow = FlowFixtures.publish(api,
                sends.formatted("approved-" + approvedMeanwhile, tag, approvedMeanwhile));
        Map<String, String> at = Map.of("at", clock.instant().plus(Duration.ofHours(1)).toString());

        // Scheduled while the template is in Meta's review, as a campaign is planned: warned of, checked at its time.
        Api.Response scheduled = api.post("/api/v1/flows/" + refusedFlow + "/launch", at);
        Api.Response despite = api.post("/api/v1/flows/" + despiteFlow + "/launch?despiteUnapprovedTemplates=true", at);
        Api.Response approved = api.post("/api/v1/flows/" + approvedFlow + "/launch", at);
        assertThat(scheduled.status()).as(scheduled.body()).isEqualTo(202);
        assertThat(scheduled.json().path("state").asString()).isEqualTo("SCHEDULED");
        assertThat(scheduled.json().path("despiteUnapprovedTemplates").asBoolean()).isFalse();
        assertThat(scheduled.json().path("warnings").path(0).path("step").asString()).isEqualTo("send");
        assertThat(scheduled.json().path("warnings").path(0).path("message").asString())
                .startsWith("template " + stillPending + " (en_US) is PENDING").endsWith("; checked again when the launch"
                        + " begins: not approved by then, the launch is refused and takes nobody");
        assertThat(despite.status()).as(despite.body()).isEqualTo(202);
        assertThat(despite.json().path("despiteUnapprovedTemplates").asBoolean()).isTrue();
        assertThat(despite.json().path("warnings").path(0).path("message").asString())
                .endsWith("; the launch begins despite it");
        assertThat(approved.status()).as(approved.body()).isEqualTo(202);
        // Only the answer to the launch carries the warnings; a launch now is still refused at once.
        assertThat(api.get("/api/v1/launches/" + scheduled.json().path("id").asString()).json().has("warnings")).isFalse();
        assertThat(api.post("/api/v1/flows/" + refusedFlow + "/launch", "").status()).isEqualTo(409);
        assertThat(api.patch("/api/v1/templates/" + approvedId, Map.of("status", "APPROVED")).status()).isEqualTo(200);
        String refusals = "reach_launches_refused_total{cause=\"template_not_approved\"}";
        double refusedBefore = api.metrics().get(refusals);

        clock.advance(Duration.ofHours(1));

        JsonNode refused = FlowFixtures.awaitLaunch(api, scheduled.json().path("id").asString(), "REFUSED");
        assertThat(refused.path("reason").asString()).as(refused.toString()).isEqualTo("Flow refused-" + stillPending
                + " version 1 was not launched at its time: step send: template " + stillPending + " (en_US) is PENDING: its"
                + " sends are blocked (the journeys take their blocked or failed branch) until Meta approves it. Launch"
                + " it again once Meta has approved it (Reach learns of it from Meta's review webhook, or from"
                + " POST /api/v1/templates/sync), or schedule it with ?despiteUnapprovedTemplates=true");
        assertThat(refused.path("taken").asLong()).isZero();
        assertThat(refused.has("finishedAt")).isTrue();
        // Counted for an alert: a campaign that did not go out at its time.
        assertThat(api.metricsOnce(metrics -> metrics.get(refusals) == refusedBefore + 1).get(refusals))
                .isEqualTo(refusedBefore + 1);
        assertThat(api.post("/api/v1/launches/" + refused.path("id").asString() + "/cancel", "").json().path("error")
                .asString()).isEqualTo("launch_over");
        assertThat(api.get("/api/v1/flows/" + refusedFlow + "/journeys").json()).isEmpty();
        assertThat(Api.ids(api.get("/api/v1/launches?state=refused").json()))
                .contains(scheduled.json().path("id").asString());
        assertThat(FlowFixtures.awaitLaunch(api, despite.json().path("id").asString(), "DONE")
                .path("started").asLong()).isEqualTo(1);
        assertThat(FlowFixtures.awaitLaunch(api, approved.json().path("id").asString(), "DONE")
                .path("started").asLong()).isEqualTo(1);
    }

    @Test
    void deletesATemplateOnlyWhileNoPublishedFlowSendsIt() {
        String template = "deletable_" + FLOWS.incrementAndGet();
        Map<String, Object> request = Map.of("name", template, "language", "en_US", "category", "utility",
                "components", List.of(Map.of("type", "BODY", "text", "Hi.")));
        String id = api.post("/api/v1/templates", request).json().path("id").asString();
        String flowName = "sends-" + template;
        String document = """
                {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"%s","language":"en_US","next":"end"},
                 {"id":"end","type":"end"}]}""".formatted(flowName, template);
        String flow = importDraft(document);

        // A draft does not hold it (its publish would name the template missing).
        assertThat(api.delete("/api/v1/templates/" + id).status()).isEqualTo(204);
        assertThat(api.get("/api/v1/templates/" + id).status()).isEqualTo(404);
        assertThat(api.delete("/api/v1/templates/" + id).status()).isEqualTo(404);
        assertThat(api.post("/api/v1/flows/" + flow + "/publish", "").status()).isEqualTo(400);

        String again = api.post("/api/v1/templates", request).json().path("id").asString();
        assertThat(api.post("/api/v1/flows/" + flow + "/publish", "").status()).isEqualTo(200);
        Api.Response inUse = api.delete("/api/v1/templates/" + again);
        assertThat(inUse.status()).isEqualTo(409);
        assertThat(inUse.json().path("error").asString()).isEqualTo("template_in_use");
        assertThat(inUse.json().path("message").asString()).isEqualTo("Template " + template + " (en_US) is sent by flow "
                + flowName + " version 1: it stays registered while a published version sends it");
        assertThat(api.get("/api/v1/templates/" + again).status()).isEqualTo(200);
    }

    @Test
    void aTemplateDeletedWhileAFlowThatSendsItIsPublishedIsEitherKeptOrTheFlowIsRefused() {
        for (int round = 0; round < 8; round++) {
            String template = "contended_" + FLOWS.incrementAndGet();
            String id = api.post("/api/v1/templates", Map.of("name", template, "language", "en_US",
                    "category", "utility", "components", List.of(Map.of("type", "BODY", "text", "Hi.")))).json()
                    .path("id").asString();
            String flow = importDraft("""
                    {"name":"sends-%s","entry":{"type":"api"},"start":"send","steps":[
                     {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"%s","language":"en_US","next":"end"},
                     {"id":"end","type":"end"}]}""".formatted(template, template));
            Map<String, Api.Response> answers = new ConcurrentHashMap<>();
            List<Runnable> operations = List.of(
                    () -> answers.put("publish", api.post("/api/v1/flows/" + flow + "/publish", "")),
                    () -> answers.put("delete", api.delete("/api/v1/templates/" + id)));
            AtomicInteger next = new AtomicInteger();

            Api.atOnce(2, () -> {
                operations.get(next.getAndIncrement()).run();
                return null;
            });

            // Both may not go through: the flow would be published sending a template that is gone.
            assertThat(List.of(answers.get("publish").status(), answers.get("delete").status(),
                    api.get("/api/v1/templates/" + id).status())).as("round %d: %s", round, answers)
                    .isIn(List.of(200, 409, 200), List.of(400, 204, 404));
        }
    }

    @Test
    void refusesASendWhoseParametersItsTemplateDoesNotTakeNamingTheStepAndTheField() {
        FlowFixtures.orderReadyTemplate(api);
        String name = "versions-test-" + FLOWS.incrementAndGet();
        String send = """
                {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
                  "headerParameters":["{{order}}"],"bodyParameters":[%s],"next":"end"},
                 {"id":"end","type":"end"}]}""";

        Api.Response short1 = api.post("/api/v1/flows", send.formatted(name, "\"{{contact.first_name}}\""));

        assertThat(short1.status()).isEqualTo(400);
        assertThat(short1.json().path("message").asString()).isEqualTo("step send: bodyParameters: the template's body has 2"
                + " placeholder(s) but 1 value(s) were given (template order_ready, en_US)");
        assertThat(flowNames()).doesNotContain(name);
        // Values by name are for a template whose placeholders are named; a single text is neither a list nor those.
        Api.Response byName = api.post("/api/v1/flows", send.replace("[%s]", "{\"first\":%s}")
                .formatted(name, "\"{{contact.first_name}}\""));
        assertThat(byName.status()).isEqualTo(400);
        assertThat(byName.json().path("message").asString()).isEqualTo("step send: bodyParameters: the template's body has"
                + " numbered placeholders ({{1}}, {{2}}): give its values as a list, in that order (template order_ready, en_US)");
        Api.Response text = api.post("/api/v1/flows", send.replace("[%s]", "%s").formatted(name, "\"{{order}}\""));
        assertThat(text.status()).isEqualTo(400);
        assertThat(text.json().path("message").asString()).as(text.body()).contains("bodyParameters")
                .contains("a list of texts, or an object of texts by placeholder name");
        assertThat(flowNames()).doesNotContain(name);
        // Values are filled in per contact: placeholders stand for them, whatever they will be.
        Api.Response fits = api.post("/api/v1/flows", send.formatted(name, "\"{{contact.first_name}}\", \"{{order}}\""));
        assertThat(fits.status()).as(fits.body()).isEqualTo(201);
    }

    @Test
    void refusesADocumentOfTheWrongShapeNamingTheStepAndThePathInIt() {
        String name = "versions-test-" + FLOWS.incrementAndGet();
        String misspelt = """
                {"name":"%s","entry":{"type":"api"},"start":"pause","steps":[
                 {"id":"pause","type":"wait","duration":"PT1H","next":"ask"},
                 {"id":"ask","type":"condition","if":{"left":"a","operator":"equals","right":"b"},"next":"pause"}]}""".formatted(name);
        String branchesAsList = """
                {"name":"%s","entry":{"type":"api"},"start":"pause","steps":[
                 {"id":"pause","type":"wait","duration":"PT1H","branches":["a","b"]}]}""".formatted(name);
        String broken = "{\"name\":\"" + name + "\",\n \"steps\": [}";
        String schemaNotText = waitThenReport(name, "PT1H", "x").replace("{\"name\"", "{\"$schema\": {\"a\": 1}, \"name\"");

        Api.Response unknownField = api.post("/api/v1/flows", misspelt);
        Api.Response wrongKind = api.post("/api/v1/flows/validate", branchesAsList);
        Api.Response notJson = api.post("/api/v1/flows", broken);

        assertThat(unknownField.status()).isEqualTo(400);
        assertThat(unknownField.json().path("error").asString()).isEqualTo("invalid_flow");
        assertThat(unknownField.json().path("message").asString())
                .startsWith("step ask: ").contains("steps[1].if: is not a field here").contains("condition");
        assertThat(unknownField.json().path("details").path(0).path("step").asString()).isEqualTo("ask");
        assertThat(wrongKind.status()).isEqualTo(400);
        assertThat(wrongKind.json().path("message").asString())
                .isEqualTo("step pause: The flow document is not of the flow shape: steps[0].branches: must be an object, not an array");
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.json().path("message").asString()).contains("is not valid JSON").contains("line 2");
        assertThat(api.post("/api/v1/flows/validate", schemaNotText).json().path("message").asString())
                .isEqualTo("The flow document is not of the flow shape: $schema: must be text, not an object");
        for (Api.Response response : List.of(unknownField, wrongKind, notJson)) {
            assertThat(response.body()).doesNotContain("io.reach").doesNotContain("java.").doesNotContain("JsonToken");
        }
        assertThat(flowNames()).doesNotContain(name);
    }

    @Test
    void servesTheFlowDocumentsJsonSchemaOfItsVersionWithoutTheTokenForEditors() throws Exception {
        Api.Response schema = api.getWithoutToken("/schemas/flow.schema.json");

        assertThat(schema.status()).isEqualTo(200);
        assertThat(schema.headers().get("content-type")).singleElement().asString().startsWith("application/json");
        assertThat(schema.json()).isEqualTo(JsonMapper.builder().build().readTree(
                        Files.readString(Path.of("docs/flow.schema.json"))));
    }

    @Test
    void findsAFlowByItsIdAndAnswers404ForOneThatDoesNotExistAnd400ForAnUnknownState() {
        String name = "versions-test-" + FLOWS.incrementAndGet();
        String flow = importDraft(waitThenReport(name, "PT1H", "first"));
        String unknown = "/api/v1/flows/" + UUID.randomUUID();

        Api.Response found = api.get("/api/v1/flows/" + flow);

        assertThat(found.status()).as(found.body()).isEqualTo(200);
        assertThat(found.json().path("name").asString()).isEqualTo(name);
        assertThat(found.json().path("status").asString()).isEqualTo("draft");
        for (String path : List.of("", "/versions", "/journeys", "/reports", "/launches")) {
            Api.Response missing = api.get(unknown + path);
            assertThat(missing.status()).as(path).isEqualTo(404);
            assertThat(missing.json().path("error").asString()).isEqualTo("not_found");
        }
        for (String path : List.of("/journeys", "/launch", "/stop", "/resume")) {
            Api.Response missing = api.post(unknown + path, path.equals("/journeys") ? "{\"to\":\"+31612349902\"}" : "");
            assertThat(missing.status()).as(path + " " + missing.body()).isEqualTo(404);
        }
        assertThat(api.get("/api/v1/launches/" + Ids.newId()).status()).isEqualTo(404);
        Api.Response badState = api.get("/api/v1/flows/" + flow + "/journeys?state=finished");
        assertThat(badState.status()).isEqualTo(400);
        assertThat(badState.json().path("details").path(0).path("field").asString()).isEqualTo("state");
        assertThat(api.get("/api/v1/flows/" + flow + "/journeys?state=Waiting").status()).isEqualTo(200);
    }

    @Test
    void saysThatAVersionsIdIsNotAFlowsIdWhereAFlowsIdGoes() {
        // The import's answer gives the version's id first: a user's first request with it was told no such flow exists.
        String name = "versions-test-" + FLOWS.incrementAndGet();
        String document = waitThenReport(name, "PT1H", "first");
        Api.Response imported = api.post("/api/v1/flows", document);
        String versionId = imported.json().path("id").asString();
        String flowId = imported.json().path("flowId").asString();
        String flow = "/api/v1/flows/" + versionId;
        String said = versionId + " is the id of version 1 of flow '" + name + "', not of a flow: use the flow's id ("
                + flowId + ", its flowId) or its name";

        List<Api.Response> answers = new ArrayList<>();
        for (String path : List.of("", "/versions", "/journeys", "/reports", "/launches", "/versions/1/counts",
                "/versions/1/document", "/cancellations")) {
            answers.add(api.get(flow + path));
        }
        for (String path : List.of("/publish", "/stop", "/resume")) {
            answers.add(api.post(flow + path, ""));
        }
        answers.add(api.put(flow + "/draft", document));
        answers.add(api.delete(flow + "/draft"));
        answers.add(api.delete(flow));
        api.post("/api/v1/flows/" + flowId + "/publish", "");
        api.post("/api/v1/contacts", "{\"phone\":\"+31612349907\"}");
        answers.add(api.post(flow + "/journeys", "{\"to\":\"+31612349907\"}"));

        assertThat(answers).allSatisfy(answer -> {
            assertThat(answer.status()).as(answer.body()).isEqualTo(404);
            assertThat(answer.json().path("message").asString()).isEqualTo(said);
        });
        assertThat(api.get("/api/v1/flows/" + flowId).json().path("status").asString()).isEqualTo("published");
    }

    @Test
    void listsEveryFlowByNameAsItsNewestVersionPageByPageWithoutGapsOrRepeats() {
        // Names with a space, a slash, a percent sign and a letter beyond ASCII: the next page's link carries the last.
        String prefix = "listed " + UUID.randomUUID().toString().substring(0, 8);
        List<String> names = List.of(prefix + " / a", prefix + " b 50%", prefix + " c ✓");
        names.forEach(name -> importDraft(waitThenReport(name, "PT1H", "listed")));
        String republished = importDraft(waitThenReport(names.get(1), "PT1H", "listed"));
        assertThat(api.post("/api/v1/flows/" + republished + "/publish", "").status()).isEqualTo(200);
        assertThat(api.put("/api/v1/flows/" + republished + "/draft", waitThenReport(names.get(1), "PT2H", "listed"))
                .status()).isEqualTo(200);

        Api.Response whole = api.get("/api/v1/flows?limit=1000");
        List<JsonNode> paged = api.allItems("/api/v1/flows?limit=2");
        Api.Response afterFirst = api.get("/api/v1/flows?limit=1&after="
                + URLEncoder.encode(names.getFirst(), StandardCharsets.UTF_8));

        assertThat(whole.status()).isEqualTo(200);
        assertThat(whole.headers()).doesNotContainKey("link");
        List<String> all = whole.json().valueStream().map(flow -> flow.path("name").asString()).toList();
        assertThat(all).containsSubsequence(names).doesNotHaveDuplicates();
        assertThat(paged.stream().map(flow -> flow.path("name").asString()).toList()).isEqualTo(all);
        JsonNode second = paged.stream().filter(flow -> flow.path("name").asString().equals(names.get(1))).findFirst()
                .orElseThrow();
        assertThat(second.path("version").asInt()).isEqualTo(2);
        assertThat(second.path("status").asString()).isEqualTo("draft");
        assertThat(second.has("document")).isFalse();
        assertThat(afterFirst.json().path(0).path("name").asString()).isEqualTo(names.get(1));
        assertThat(afterFirst.headers().get("link")).singleElement().asString().contains("after=");
        for (String limit : List.of("0", "1001")) {
            Api.Response refused = api.get("/api/v1/flows?limit=" + limit);
            assertThat(refused.status()).as(limit).isEqualTo(400);
            assertThat(refused.json().path("details").path(0).path("field").asString()).isEqualTo("limit");
        }
    }

    /** Every flow's name, from every page of the list. */
    private List<String> flowNames() {
        return api.allItems("/api/v1/flows?limit=1000").stream().map(flow -> flow.path("name").asString()).toList();
    }

    @Test
    void draftsAreEditablePublishingFreezesAVersionAndExportGivesBackTheExactDocument() {
        String name = "versions-test-" + FLOWS.incrementAndGet();
        // Odd spacing and key order: the export must give back these bytes, not a re-serialised document. A "$schema"
        // (for an editor's checks) is kept.
        String first = waitThenReport(name, "PT1H", "first").replace(",\"entry\"", " ,  \"entry\"")
                .replace("{\"name\"", "{\"$schema\": \"../docs/flow.schema.json\", \"name\"");
        String edited = waitThenReport(name, "PT2H", "edited");
        String next = waitThenReport(name, "PT3H", "next");

        String flow = importDraft(first);
        assertThat(document(flow, 1)).isEqualTo(first);
        Api.Response saved = api.put("/api/v1/flows/" + flow + "/draft", edited);
        assertThat(saved.status()).as(saved.body()).isEqualTo(200);
        assertThat(saved.json().path("version").asInt()).isEqualTo(1);
        assertThat(document(flow, 1)).isEqualTo(edited);

        Api.Response published = api.post("/api/v1/flows/" + flow + "/publish", "");
        assertThat(published.status()).as(published.body()).isEqualTo(200);
        assertThat(published.json().path("status").asString()).isEqualTo("published");
        assertThat(api.post("/api/v1/flows/" + flow + "/publish", "").status()).isEqualTo(409);

        Api.Response draft = api.put("/api/v1/flows/" + flow + "/draft", next);
        assertThat(draft.json().path("version").asInt()).isEqualTo(2);
        assertThat(draft.json().path("status").asString()).isEqualTo("draft");
        Api.Response reimported = api.post("/api/v1/flows", next.replace("\"next\"}", "\"reimported\"}"));
        assertThat(reimported.status()).as(reimported.body()).isEqualTo(201);
        assertThat(reimported.json().path("flowId").asString()).isEqualTo(flow);
        assertThat(reimported.json().path("version").asInt()).isEqualTo(2);

        assertThat(document(flow, 1)).isEqualTo(edited);
        assertThat(document(flow, 2)).isEqualTo(next.replace("\"next\"}", "\"reimported\"}"));
        JsonNode versions = api.get("/api/v1/flows/" + flow + "/versions").json();
        assertThat(versions).hasSize(2);
        assertThat(versions.path(0).path("status").asString()).isEqualTo("published");
        assertThat(versions.path(1).path("status").asString()).isEqualTo("draft");
        assertThat(api.put("/api/v1/flows/" + flow + "/draft", waitThenReport("another-name", "PT1H", "x")).status())
                .isEqualTo(400);
    }

    @Test
    void importsOfOneNameAtOnceMakeOneFlowAndOneDraftAfterAPublishedVersion() {
        String name = "versions-test-" + FLOWS.incrementAndGet();

        List<Api.Response> first = Api.atOnce(6, () -> api.post("/api/v1/flows", waitThenReport(name, "PT1H", "first")));

        assertThat(first).allSatisfy(imported -> assertThat(imported.status()).as(imported.body()).isEqualTo(201));
        String flow = first.getFirst().json().path("flowId").asString();
        assertThat(first).allSatisfy(imported -> assertThat(imported.json().path("flowId").asString()).isEqualTo(flow));
        assertThat(api.get("/api/v1/flows/" + flow + "/versions").json()).hasSize(1);
        assertThat(api.post("/api/v1/flows/" + flow + "/publish", "").status()).isEqualTo(200);

        List<Api.Response> next = Api.atOnce(6, () -> api.post("/api/v1/flows", waitThenReport(name, "PT2H", "next")));

        assertThat(next).allSatisfy(imported -> assertThat(imported.status()).as(imported.body()).isEqualTo(201));
        assertThat(next).allSatisfy(imported -> assertThat(imported.json().path("version").asInt()).isEqualTo(2));
        JsonNode versions = api.get("/api/v1/flows/" + flow + "/versions").json();
        assertThat(versions).hasSize(2);
        assertThat(versions.path(1).path("status").asString()).isEqualTo("draft");
    }

    @Test
    void publishesStopsResumesEditsAndStartsOfOneFlowAtOnceTakeTurnsInsteadOfFailing() {
        // Two operators (or a deployment script and an operator) working on one flow at the same moment.
        String name = "versions-test-" + FLOWS.incrementAndGet();
        String flow = importDraft(waitThenReport(name, "P1D", "v1"));
        assertThat(api.post("/api/v1/flows/" + flow + "/publish", "").status()).isEqualTo(200);
        start(flow);
        for (int round = 0; round < 5; round++) {
            String draft = waitThenReport(name, "P" + (round + 2) + "D", "v" + (round + 2));
            assertThat(api.put("/api/v1/flows/" + flow + "/draft", draft).status()).isEqualTo(200);
            String phone = "+316130" + "9" + String.format("%04d", NUMBERS.incrementAndGet());
            Fixtures.contact(api, phone, Map.of("utility", true), false);
            List<Supplier<Api.Response>> operations = List.of(
                    () -> api.post("/api/v1/flows/" + flow + "/publish", ""),
                    () -> api.post("/api/v1/flows/" + flow + "/stop", ""),
                    () -> api.post("/api/v1/flows/" + flow + "/stop?cancelJourneys=true", ""),
                    () -> api.post("/api/v1/flows/" + flow + "/resume", ""),
                    () -> api.put("/api/v1/flows/" + flow + "/draft", draft),
                    () -> api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", phone)));
            AtomicInteger next = new AtomicInteger();

            List<Api.Response> answers = Api.atOnce(operations.size(), () -> operations.get(next.getAndIncrement()).get());

            assertThat(answers).as("round %d: %s", round, answers).allSatisfy(answer ->
                    assertThat(answer.status()).isIn(200, 201, 202, 409));
            assertThat(answers).filteredOn(answer -> answer.status() == 409)
                    .extracting(answer -> answer.json().path("error").asString()).as(answers.toString())
                    .isSubsetOf("conflict", "no_draft", "flow_stopped", "flow_cancelling");
        }
        // The flow is whole afterwards: once its journeys are cancelled it resumes, and a start runs on its newest version.
        await().atMost(PATIENCE).until(() -> api.post("/api/v1/flows/" + flow + "/resume", "").status() == 200);
        String journey = start(flow);
        JsonNode versions = api.get("/api/v1/flows/" + flow + "/versions").json();
        String newestPublished = null;
        for (JsonNode version : versions) {
            if ("published".equals(version.path("status").asString())) {
                newestPublished = version.path("id").asString();
            }
        }
        assertThat(journey(journey).path("flowVersionId").asString()).isEqualTo(newestPublished);
    }

    @Test
    void runningJourneysStayOnTheVersionTheyStartedOnAndTheFlowListsThemAll() {
        String name = "versions-test-" + FLOWS.incrementAndGet();
        String flow = importDraft(waitThenReport(name, "P1D", "version one"));
        assertThat(api.post("/api/v1/flows/" + flow + "/publish", "").status()).isEqualTo(200);
        String onFirst = start(flow);
        await().atMost(PATIENCE).until(() -> "WAITING".equals(journey(onFirst).path("state").asString()));

        // Version 2 leaves the same wait step for a step of another name.
        String second = """
                {"name":"%s","entry":{"type":"api"},"start":"pause","steps":[
                 {"id":"pause","type":"wait","duration":"P1D","next":"report_two"},
                 {"id":"report_two","type":"add_report_row","status":"version two","description":"second","next":"end"},
                 {"id":"end","type":"end"}]}""".formatted(name);
        assertThat(api.put("/api/v1/flows/" + flow + "/draft", second).status()).isEqualTo(200);
        assertThat(api.post("/api/v1/flows/" + flow + "/publish", "").status()).isEqualTo(200);
        String onSecond = start(flow);
        await().atMost(PATIENCE).until(() -> "WAITING".equals(journey(onSecond).path("state").asString()));
        clock.advance(Duration.ofDays(1).plusMinutes(1));

        await().atMost(PATIENCE).until(() -> "ENDED".equals(journey(onFirst).path("state").asString())
                && "ENDED".equals(journey(onSecond).path("state").asString()));
        assertThat(steps(onFirst)).containsExactly("pause", "report", "end");
        assertThat(steps(onSecond)).containsExactly("pause", "report_two", "end");
        JsonNode versions = api.get("/api/v1/flows/" + flow + "/versions").json();
        assertThat(journey(onFirst).path("flowVersionId").asString()).isEqualTo(versions.path(0).path("id").asString());
        assertThat(journey(onSecond).path("flowVersionId").asString()).isEqualTo(versions.path(1).path("id").asString());
        List<String> listed = new ArrayList<>();
        api.get("/api/v1/flows/" + flow + "/journeys").json().forEach(j -> listed.add(j.path("id").asString()));
        assertThat(listed).containsExactlyInAnyOrder(onFirst, onSecond);
        List<String> reported = new ArrayList<>();
        api.get("/api/v1/flows/" + flow + "/reports").json().forEach(r -> reported.add(r.path("status").asString()));
        assertThat(reported).containsExactlyInAnyOrder("version one", "version two");
    }

    @Test
    void listsAContactsJourneysInEveryFlowNewestFirstPageByPage() {
        String quick = importDraft(waitThenReport("versions-test-" + FLOWS.incrementAndGet(), "PT1M", "quick"));
        String slow = importDraft(waitThenReport("versions-test-" + FLOWS.incrementAndGet(), "P1D", "slow"));
        assertThat(api.post("/api/v1/flows/" + quick + "/publish", "").status()).isEqualTo(200);
        assertThat(api.post("/api/v1/flows/" + slow + "/publish", "").status()).isEqualTo(200);
        String first = start(quick);
        String contact = journey(first).path("contactId").asString();
        String phone = api.get("/api/v1/contacts/" + contact).json().path("phone").asString();
        Api.Response second = api.post("/api/v1/flows/" + slow + "/journeys", Map.of("to", phone));
        assertThat(second.status()).as(second.body()).isEqualTo(201);
        String other = start(slow);
        await().atMost(PATIENCE).until(() -> "WAITING".equals(journey(first).path("state").asString()));
        clock.advance(Duration.ofMinutes(2));
        await().atMost(PATIENCE).until(() -> "ENDED".equals(journey(first).path("state").asString()));

        List<String> all = Api.ids(api.get("/api/v1/journeys?contactId=" + contact).json());
        List<String> waiting = Api.ids(api.get("/api/v1/journeys?contactId=" + contact + "&state=waiting").json());

        assertThat(all).containsExactly(second.json().path("journeyId").asString(), first).doesNotContain(other);
        assertThat(waiting).containsExactly(second.json().path("journeyId").asString());
        List<String> pageByPage = api.followPages("/api/v1/journeys?contactId=" + contact + "&limit=1").stream()
                .flatMap(page -> Api.ids(page).stream()).toList();
        assertThat(pageByPage).as("a page of one, then the next through its Link header")
                .containsExactly(second.json().path("journeyId").asString(), first);
        assertThat(api.get("/api/v1/journeys?contactId=" + contact + "&after=" + other).status())
                .as("a cursor that is another contact's journey").isEqualTo(400);
        assertThat(api.get("/api/v1/journeys").status()).isEqualTo(400);
        assertThat(api.get("/api/v1/journeys?contactId=" + contact + "&state=asleep").status()).isEqualTo(400);
        assertThat(api.get("/api/v1/journeys?contactId=" + UUID.randomUUID()).status()).isEqualTo(404);
        // By the number the customer gives, written as people write it; the next pages name the contact by its id.
        String written = phone.substring(0, 3) + " " + phone.substring(3);
        assertThat(Api.ids(api.get("/api/v1/journeys?to=" + URLEncoder.encode(written,
                StandardCharsets.UTF_8)).json())).isEqualTo(all);
        assertThat(api.get("/api/v1/journeys?to=%2B" + phone.substring(1) + "&limit=1").headers().get("link"))
                .singleElement(InstanceOfAssertFactories.STRING).contains("contactId=" + contact);
        Api.Response unknown = api.get("/api/v1/journeys?to=%2B4915199999999");
        assertThat(unknown.status()).as(unknown.body()).isEqualTo(404);
        assertThat(unknown.json().path("error").asString()).isEqualTo("contact_not_found");
        assertThat(api.get("/api/v1/journeys?to=%2B" + phone.substring(1) + "&contactId=" + contact).status())
                .as("both").isEqualTo(400);
        assertThat(api.get("/api/v1/journeys?to=not-a-number").status()).isEqualTo(400);
    }

    @Test
    void waitsAWeekWrittenAsP1W() {
        String flow = importDraft(waitThenReport("versions-test-" + FLOWS.incrementAndGet(), "P1W", "a week later"));
        assertThat(api.post("/api/v1/flows/" + flow + "/publish", "").status()).isEqualTo(200);
        String journey = start(flow);
        await().atMost(PATIENCE).until(() -> "WAITING".equals(journey(journey).path("state").asString()));
        Instant wakeAt = Instant.parse(journey(journey).path("wakeAt").asString());
        Instant startedAt = Instant.parse(journey(journey).path("startedAt").asString());

        assertThat(Duration.between(startedAt, wakeAt)).isBetween(Duration.ofDays(7), Duration.ofDays(7).plusMinutes(1));
        clock.advance(Duration.ofDays(7).plusMinutes(2));
        await().atMost(PATIENCE).until(() -> "ENDED".equals(journey(journey).path("state").asString()));
        assertThat(steps(journey)).containsExactly("pause", "report", "end");
    }

    @Test
    void aRepeatedEventAnswersWithTheJourneyItStartedAndTheVersionThatJourneyIsOnAfterANewVersionIsPublished() {
        String name = "versions-test-" + FLOWS.incrementAndGet();
        String event = name + "-event";
        String onEvent = waitThenReport(name, "P1D", "first").replace("{\"type\":\"api\"}",
                "{\"type\":\"event\",\"event\":\"" + event + "\"}");
        String flow = importDraft(onEvent);
        assertThat(api.post("/api/v1/flows/" + flow + "/publish", "").status()).isEqualTo(200);
        String phone = "+316130" + "9" + String.format("%04d", NUMBERS.incrementAndGet());
        Fixtures.contact(api, phone, Map.of("utility", true), false);
        Map<String, Object> keyed = Map.of("name", event, "to", phone, "key", "order-7");
        JsonNode first = api.post("/api/v1/events", keyed).json().path("journeys").path(0);
        assertThat(api.put("/api/v1/flows/" + flow + "/draft", onEvent.replace("\"first\"", "\"second\"")).status()).isEqualTo(200);
        assertThat(api.post("/api/v1/flows/" + flow + "/publish", "").status()).isEqualTo(200);

        JsonNode repeated = api.post("/api/v1/events", keyed).json().path("journeys");

        JsonNode versions = api.get("/api/v1/flows/" + flow + "/versions").json();
        assertThat(first.path("flowVersionId").asString()).isEqualTo(versions.path(0).path("id").asString());
        assertThat(repeated).hasSize(1);
        assertThat(repeated.path(0).path("journeyId").asString()).isEqualTo(first.path("journeyId").asString());
        assertThat(repeated.path(0).path("replayed").asBoolean()).isTrue();
        assertThat(repeated.path(0).path("flowVersionId").asString()).as("the version the journey is on")
                .isEqualTo(versions.path(0).path("id").asString());
        assertThat(journey(first.path("journeyId").asString()).path("flowVersionId").asString())
                .isEqualTo(versions.path(0).path("id").asString());
    }

    @Test
    void pagesAFlowsJourneysAcrossItsVersionsOldestFirstWithoutGapsOrRepeatsThroughTheNextLink() {
        String name = "versions-test-" + FLOWS.incrementAndGet();
        String first = "pages-a-" + FLOWS.get();
        String second = "pages-b-" + FLOWS.get();
        String flow = importDraft(audienceWait(name, first));
        assertThat(api.post("/api/v1/flows/" + flow + "/publish", "").status()).isEqualTo(200);
        for (int i = 0; i < 7; i++) {
            taggedContact(first);
        }
        // A launch starts its page of contacts at one instant: seven journeys tie on their start.
        launchAndAwait(flow);
        assertThat(api.put("/api/v1/flows/" + flow + "/draft", audienceWait(name, second)).status()).isEqualTo(200);
        assertThat(api.post("/api/v1/flows/" + flow + "/publish", "").status()).isEqualTo(200);
        for (int i = 0; i < 5; i++) {
            taggedContact(second);
        }
        launchAndAwait(flow);
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/flows/" + flow + "/journeys?state=waiting").json().size() == 12);
        List<String> whole = Api.ids(api.get("/api/v1/flows/" + flow + "/journeys").json());

        List<JsonNode> pages = api.followPages("/api/v1/flows/" + flow + "/journeys?limit=5&state=waiting");
        List<String> paged = pages.stream().flatMap(page -> Api.ids(page).stream()).toList();
        List<Integer> sizes = pages.stream().map(JsonNode::size).toList();

        assertThat(whole).hasSize(12).doesNotHaveDuplicates();
        assertThat(paged).isEqualTo(whole);
        // 12 in pages of 5: the third page is short and links no further; a full last page would link an empty one.
        assertThat(sizes).containsExactly(5, 5, 2);
        JsonNode all = api.get("/api/v1/flows/" + flow + "/journeys").json();
        for (int i = 1; i < all.size(); i++) {
            assertThat(Instant.parse(all.path(i - 1).path("startedAt").asString())).as("journey %d starts no earlier", i)
                    .isBeforeOrEqualTo(Instant.parse(all.path(i).path("startedAt").asString()));
        }
        assertThat(all.path(0).path("startedAt").asString()).as("a launch's page starts at one instant")
                .isEqualTo(all.path(6).path("startedAt").asString());
        assertThat(Api.ids(api.get("/api/v1/flows/" + flow + "/journeys?limit=5&offset=5").json())).isEqualTo(whole.subList(5, 10));
        assertThat(Api.ids(api.get("/api/v1/flows/" + flow + "/journeys?after=" + whole.get(6) + "&limit=3").json()))
                .isEqualTo(whole.subList(7, 10));
        assertThat(api.get("/api/v1/flows/" + flow + "/journeys?state=ended&after=" + whole.getFirst()).json()).isEmpty();

        String otherFlow = importDraft(waitThenReport("versions-test-" + FLOWS.incrementAndGet(), "PT1H", "x"));
        Api.Response elsewhere = api.get("/api/v1/flows/" + otherFlow + "/journeys?after=" + whole.getFirst());
        Api.Response both = api.get("/api/v1/flows/" + flow + "/journeys?after=" + whole.getFirst() + "&offset=5");
        Api.Response notAnId = api.get("/api/v1/flows/" + flow + "/journeys?after=last");
        assertThat(elsewhere.status()).isEqualTo(400);
        assertThat(elsewhere.json().path("details").path(0).path("field").asString()).isEqualTo("after");
        assertThat(elsewhere.json().path("message").asString()).contains("no journey " + whole.getFirst() + " in this flow");
        assertThat(both.status()).isEqualTo(400);
        assertThat(both.json().path("details").path(0).path("field").asString()).isEqualTo("offset");
        assertThat(notAnId.status()).isEqualTo(400);
        assertThat(notAnId.json().path("details").path(0).path("field").asString()).isEqualTo("after");
    }

    @Test
    void deletesAFlowThatWasNeverPublishedAndRefusesOneThatWas() {
        String name = "versions-test-" + FLOWS.incrementAndGet();
        String onEvent = waitThenReport(name, "P1D", "first").replace("{\"type\":\"api\"}",
                "{\"type\":\"event\",\"event\":\"deleted-" + FLOWS.get() + "\"},\"exitOn\":[\"gone-" + FLOWS.get() + "\"]");
        String tried = importDraft(onEvent);
        assertThat(api.put("/api/v1/flows/" + tried + "/draft", onEvent.replace("\"first\"", "\"second\"")).status()).isEqualTo(200);
        // A stop that cancels its journeys records the cancellation (of none) all the same.
        assertThat(api.post("/api/v1/flows/" + tried + "/stop?cancelJourneys=true", "").status()).isEqualTo(200);
        String kept = importDraft(waitThenReport("versions-test-" + FLOWS.incrementAndGet(), "P1D", "kept"));
        assertThat(api.post("/api/v1/flows/" + kept + "/publish", "").status()).isEqualTo(200);
        String ran = start(kept);
        await().atMost(PATIENCE).until(() -> "WAITING".equals(journey(ran).path("state").asString()));

        Api.Response deleted = api.delete("/api/v1/flows/" + tried);
        Api.Response published = api.delete("/api/v1/flows/" + kept);
        Api.Response again = api.delete("/api/v1/flows/" + tried);

        assertThat(deleted.status()).as(deleted.body()).isEqualTo(204);
        assertThat(api.get("/api/v1/flows/" + tried).status()).isEqualTo(404);
        assertThat(api.allItems("/api/v1/flows?limit=1000")).extracting(flow -> flow.path("flowId").asString())
                .doesNotContain(tried).contains(kept);
        assertThat(again.status()).isEqualTo(404);
        assertThat(published.status()).isEqualTo(409);
        assertThat(published.json().path("error").asString()).isEqualTo("flow_published");
        assertThat(published.json().path("message").asString()).contains("has a published version",
                "stop it instead (POST /api/v1/flows/" + kept + "/stop)");
        assertThat(api.get("/api/v1/flows/" + kept + "/versions").json()).hasSize(1);
        assertThat(journey(ran).path("state").asString()).isEqualTo("WAITING");
        // The name is free again: an import of it is a new flow.
        String reimported = importDraft(onEvent);
        assertThat(reimported).isNotEqualTo(tried);
        assertThat(api.get("/api/v1/flows/" + reimported + "/versions").json()).hasSize(1);
    }

    @Test
    void listsTheJourneysOfOneVersionAtOneStepAsAHeatmapsStepIsDrilledInto() {
        String name = "versions-test-" + FLOWS.incrementAndGet();
        String flow = importDraft(waitThenReport(name, "P1D", "first"));
        assertThat(api.post("/api/v1/flows/" + flow + "/publish", "").status()).isEqualTo(200);
        List<String> pausing = List.of(start(flow), start(flow), start(flow));
        String second = """
                {"name":"%s","entry":{"type":"api"},"start":"route","steps":[
                 {"id":"route","type":"condition","condition":{"left":"{{route}}","operator":"equals","right":"hold"},
                  "branches":{"true":"hold","false":"done"}},
                 {"id":"hold","type":"wait","duration":"P1D","next":"done"},
                 {"id":"done","type":"end"}]}""".formatted(name);
        assertThat(api.put("/api/v1/flows/" + flow + "/draft", second).status()).isEqualTo(200);
        assertThat(api.post("/api/v1/flows/" + flow + "/publish", "").status()).isEqualTo(200);
        List<String> holding = List.of(start(flow, "hold"), start(flow, "hold"));
        String ended = start(flow, "through");
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/flows/" + flow + "/journeys?state=waiting").json().size() == 5
                && api.get("/api/v1/flows/" + flow + "/journeys?state=ended").json().size() == 1);

        List<JsonNode> pausingPages = api.followPages("/api/v1/flows/" + flow + "/journeys?step=pause&limit=2");
        List<String> atHold = Api.ids(api.get("/api/v1/flows/" + flow + "/journeys?version=2&step=hold&state=waiting").json());
        List<String> atDone = Api.ids(api.get("/api/v1/flows/" + flow + "/journeys?version=2&step=done").json());

        assertThat(pausingPages.stream().map(JsonNode::size).toList()).as("the next page's link keeps the step").containsExactly(2, 1);
        assertThat(pausingPages.stream().flatMap(page -> Api.ids(page).stream()).toList()).isEqualTo(pausing);
        assertThat(atHold).isEqualTo(holding);
        assertThat(atDone).containsExactly(ended);
        assertThat(Api.ids(api.get("/api/v1/flows/" + flow + "/journeys?version=1").json())).isEqualTo(pausing);
        assertThat(api.get("/api/v1/flows/" + flow + "/journeys?version=2&step=hold&state=ended").json()).isEmpty();
        assertThat(Api.ids(api.get("/api/v1/flows/" + flow + "/journeys?version=2&limit=1").json())).containsExactly(holding.getFirst());
        assertThat(api.get("/api/v1/flows/" + flow + "/journeys?version=2&limit=1").headers().get("link").getFirst())
                .contains("version=2");

        Api.Response stepOfAnotherVersion = api.get("/api/v1/flows/" + flow + "/journeys?version=2&step=pause");
        Api.Response noSuchStep = api.get("/api/v1/flows/" + flow + "/journeys?step=paus");
        Api.Response noSuchVersion = api.get("/api/v1/flows/" + flow + "/journeys?version=3");
        Api.Response afterOnAnotherVersion = api.get("/api/v1/flows/" + flow + "/journeys?version=2&after=" + pausing.getFirst());
        refused(stepOfAnotherVersion, "step", "step: no step 'pause' in this version (its steps: route, hold, done)");
        refused(noSuchStep, "step", "step: no step 'paus' in any version of this flow (its steps: pause, report, end, route,"
                + " hold, done)");
        refused(noSuchVersion, "version", "version: this flow has no version 3 (it has versions 1 to 2)");
        refused(afterOnAnotherVersion, "after", "after: no journey " + pausing.getFirst() + " in this flow's version 2");
    }

    /** A 400 about one query parameter, with its message. */
    private static void refused(Api.Response response, String field, String message) {
        assertThat(response.status()).as(response.body()).isEqualTo(400);
        assertThat(response.json().path("details").path(0).path("field").asString()).isEqualTo(field);
        assertThat(response.json().path("message").asString()).isEqualTo(message);
    }

    @Test
    void pagesAFlowsReportRowsAcrossItsVersionsOldestFirstThroughTheNextLink() {
        String name = "versions-test-" + FLOWS.incrementAndGet();
        String first = "reports-a-" + FLOWS.get();
        String second = "reports-b-" + FLOWS.get();
        String flow = importDraft(audienceReport(name, first, "one"));
        assertThat(api.post("/api/v1/flows/" + flow + "/publish", "").status()).isEqualTo(200);
        for (int i = 0; i < 4; i++) {
            taggedContact(first);
        }
        launchAndAwait(flow);
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/flows/" + flow + "/reports").json().size() == 4);
        assertThat(api.put("/api/v1/flows/" + flow + "/draft", audienceReport(name, second, "two")).status()).isEqualTo(200);
        assertThat(api.post("/api/v1/flows/" + flow + "/publish", "").status()).isEqualTo(200);
        for (int i = 0; i < 3; i++) {
            taggedContact(second);
        }
        launchAndAwait(flow);
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/flows/" + flow + "/reports").json().size() == 7);
        JsonNode whole = api.get("/api/v1/flows/" + flow + "/reports").json();
        List<String> wholeIds = Api.ids(whole);

        List<JsonNode> pages = api.followPages("/api/v1/flows/" + flow + "/reports?limit=3");
        List<String> paged = pages.stream().flatMap(page -> Api.ids(page).stream()).toList();
        List<Integer> sizes = pages.stream().map(JsonNode::size).toList();

        assertThat(wholeIds).doesNotHaveDuplicates();
        assertThat(paged).isEqualTo(wholeIds);
        assertThat(sizes).containsExactly(3, 3, 1);
        List<String> statuses = new ArrayList<>();
        whole.forEach(row -> statuses.add(row.path("status").asString()));
        assertThat(statuses).containsExactly("one", "one", "one", "one", "two", "two", "two");
        for (int i = 1; i < whole.size(); i++) {
            assertThat(Instant.parse(whole.path(i - 1).path("time").asString())).as("row %d is no older", i)
                    .isBeforeOrEqualTo(Instant.parse(whole.path(i).path("time").asString()));
        }
        Api.Response notANumber = api.get("/api/v1/flows/" + flow + "/reports?after=last");
        String otherFlow = importDraft(waitThenReport("versions-test-" + FLOWS.incrementAndGet(), "PT1H", "x"));
        Api.Response elsewhere = api.get("/api/v1/flows/" + otherFlow + "/reports?after=" + wholeIds.getFirst());
        assertThat(notANumber.status()).isEqualTo(400);
        assertThat(notANumber.json().path("details").path(0).path("field").asString()).isEqualTo("after");
        assertThat(elsewhere.status()).isEqualTo(400);
        assertThat(elsewhere.json().path("message").asString())
                .contains("no report row " + wholeIds.getFirst() + " in this flow");
    }

    private static String audienceReport(String name, String tag, String status) {
        return """
                {"name":"%s","entry":{"type":"audience","audience":{"tags":["%s"]}},"start":"report","steps":[
                 {"id":"report","type":"add_report_row","status":"%s","description":"reported","next":"end"},
                 {"id":"end","type":"end"}]}""".formatted(name, tag, status);
    }

    private static String audienceWait(String name, String tag) {
        return """
                {"name":"%s","entry":{"type":"audience","audience":{"tags":["%s"]}},"start":"pause","steps":[
                 {"id":"pause","type":"wait","duration":"P1D","next":"end"},{"id":"end","type":"end"}]}""".formatted(name, tag);
    }

    private void taggedContact(String tag) {
        String phone = "+316130" + "9" + String.format("%04d", NUMBERS.incrementAndGet());
        Api.Response created = api.post("/api/v1/contacts", Map.of("phone", phone, "tags", List.of(tag)));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
    }

    private void launchAndAwait(String flow) {
        Api.Response launch = api.post("/api/v1/flows/" + flow + "/launch", "");
        assertThat(launch.status()).as(launch.body()).isEqualTo(202);
        FlowFixtures.awaitLaunch(api, launch.json().path("id").asString(), "DONE");
    }


    /** A flow that waits, then adds a report row with this status. */
    private static String waitThenReport(String name, String duration, String status) {
        return """
                {"name":"%s","entry":{"type":"api"},"start":"pause","steps":[
                 {"id":"pause","type":"wait","duration":"%s","next":"report"},
                 {"id":"report","type":"add_report_row","status":"%s","description":"from %s","next":"end"},
                 {"id":"end","type":"end"}],"description":"%s"}""".formatted(name, duration, status, status, status);
    }

    private String importDraft(String document) {
        Api.Response imported = api.post("/api/v1/flows", document);
        assertThat(imported.status()).as(imported.body()).isEqualTo(201);
        assertThat(imported.json().path("status").asString()).isEqualTo("draft");
        return imported.json().path("flowId").asString();
    }

    private String document(String flow, int version) {
        Api.Response exported = api.get("/api/v1/flows/" + flow + "/versions/" + version + "/document");
        assertThat(exported.status()).as(exported.body()).isEqualTo(200);
        return exported.body();
    }

    private String start(String flow) {
        String phone = "+316130" + "9" + String.format("%04d", NUMBERS.incrementAndGet());
        Fixtures.contact(api, phone, Map.of("utility", true), false);
        Api.Response started = api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", phone));
        assertThat(started.status()).as(started.body()).isEqualTo(201);
        return started.json().path("journeyId").asString();
    }

    /** Starts the flow for a new contact with the variable {@code route}. */
    private String start(String flow, String route) {
        String phone = "+316130" + "9" + String.format("%04d", NUMBERS.incrementAndGet());
        Fixtures.contact(api, phone, Map.of("utility", true), false);
        Api.Response started = api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", phone, "variables", Map.of("route", route)));
        assertThat(started.status()).as(started.body()).isEqualTo(201);
        return started.json().path("journeyId").asString();
    }

    private JsonNode journey(String id) {
        return api.get("/api/v1/journeys/" + id).json();
    }

    private List<String> steps(String journey) {
        List<String> steps = new ArrayList<>();
        api.get("/api/v1/journeys/" + journey + "/path").json().forEach(step -> steps.add(step.path("stepId").asString()));
        return steps;
    }
}
