package io.reach.messaging.whatsapp;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.support.Api;
import io.reach.support.FakeProvider;
import io.reach.support.Fixtures;
import io.reach.support.FlowFixtures;
import io.reach.support.ReachIntegrationTest;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Templates taken from a WhatsApp Business Account over real HTTP: from the sandbox's Graph API, and from a stand-in
 * for Meta that pages its list with cursors, changes a registered template, or refuses.
 */
// Nothing is dispatched: a message stays queued, as one waiting its turn does.
@TestPropertySource(properties = "reach.whatsapp.dispatcher-enabled=false")
class TemplateSyncIT extends ReachIntegrationTest {

    private static final String WABA = "102290129340777";
    private static final String TOKEN = "EAAJB-template-sync-secret";
    private static final FakeProvider META = new FakeProvider((n, request) -> page(request.query()));

    @AfterAll
    static void stopMeta() {
        META.close();
        APPROVALS.close();
        SECOND.close();
        EDITS.close();
    }

    @Test
    void takesTheSandboxAccountsTemplatesAndSaysWhichItCannotSend() {
        assertThat(api.post("/api/v1/templates", Map.of("name", "made_by_hand", "language", "en", "category", "utility",
                "components", List.of(Map.of("type", "BODY", "text", "Hi.")))).status()).isEqualTo(201);
        // Registered by hand as README's walk-through does, the same as the sandbox account's.
        assertThat(api.post("/api/v1/templates", Map.of("name", "order_ready", "language", "en_US", "category", "utility",
                "components", List.of(Map.of("type", "HEADER", "format", "TEXT", "text", "Order {{1}}"),
                        Map.of("type", "BODY", "text", "Hi {{1}}, your order {{2}} is ready for pickup."),
                        Map.of("type", "BUTTONS", "buttons", List.of(Map.of("type", "QUICK_REPLY", "text", "Yes"),
                                Map.of("type", "QUICK_REPLY", "text", "No")))))).status()).isEqualTo(201);

        Api.Response first = sync("sandbox");
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertThat(first.json().path("sender").asString()).isEqualTo("sandbox");
        assertThat(first.json().path("wabaId").asString()).isEqualTo("200000000000001");
        assertThat(names(first.json().path("created"))).containsExactlyInAnyOrder("hello_world", "track_order", "autumn_sale",
                "reservation_confirmation");
        assertThat(first.json().path("updated").isEmpty()).isTrue();
        assertThat(first.json().path("unchanged").asInt()).isOne();
        assertThat(first.json().path("skipped").size()).isOne();
        assertThat(first.json().path("skipped").path(0).path("name").asString()).isEqualTo("new_menu");
        assertThat(first.json().path("skipped").path(0).path("reason").asString())
                .isEqualTo("components[1].buttons[0].type: must be one of QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE");
        assertThat(names(first.json().path("notInAccount"))).contains("made_by_hand")
                .doesNotContain("hello_world", "order_ready", "reservation_confirmation", "new_menu");
        assertThat(first.body()).doesNotContain("sandbox-access-token");
        assertThat(api.get("/api/v1/templates?limit=1000").json().valueStream().filter(t -> "order_ready".equals(t.path("name").asString()))
                .map(t -> t.path("wabaId").asString("none"))).as("the one registered without an account is the account's now")
                .containsExactly("200000000000001");

        // Registered as Meta has them: category, status and every component.
        JsonNode track = template("track_order", "en_US");
        assertThat(track.path("category").asString()).isEqualTo("utility");
        assertThat(track.path("status").asString()).isEqualTo("APPROVED");
        assertThat(track.path("components")).isEqualTo(Api.JSON.readTree("""
                [{"type":"BODY","text":"Your order {{1}} is on its way."},
                 {"type":"BUTTONS","buttons":[{"type":"URL","text":"Track it","url":"https://shop.example/track/{{1}}",
                  "example":"https://shop.example/track/A-17"}]}]"""));
        assertThat(template("autumn_sale", "en_US").path("status").asString()).isEqualTo("PENDING");

        // Again: nothing changed at Meta, nothing changes here.
        Api.Response second = sync("sandbox");
        assertThat(second.json().path("created").isEmpty()).isTrue();
        assertThat(second.json().path("updated").isEmpty()).isTrue();
        assertThat(second.json().path("unchanged").asInt()).isEqualTo(5);

        // They are sent as registered by hand; one still in review is not.
        String phone = "+31612349001";
        Fixtures.consentingContact(api, phone);
        Api.Response hello = api.post("/api/v1/messages/whatsapp", Map.of("sender", "sandbox", "to", phone,
                "template", "hello_world", "language", "en_US"));
        assertThat(hello.status()).as(hello.body()).isEqualTo(202);
        assertThat(hello.json().path("renderedText").asString()).startsWith("Hello World\n\nWelcome and congratulations!!")
                .endsWith("\n\nWhatsApp Business Platform sample message");
        Api.Response inReview = api.post("/api/v1/messages/whatsapp", Map.of("sender", "sandbox", "to", phone,
                "template", "autumn_sale", "language", "en_US", "bodyParameters", List.of("Anna")));
        assertThat(inReview.json().path("status").asString()).as(inReview.body()).isEqualTo("blocked");
        assertThat(inReview.json().path("blockedReason").asString()).contains("autumn_sale").contains("PENDING");

        // One with named placeholders, its values by name (WhatsAppEndToEndIT sends one through the sandbox).
        assertThat(template("reservation_confirmation", "en_US").path("parameterFormat").asString()).isEqualTo("NAMED");
        Api.Response reserved = api.post("/api/v1/messages/whatsapp", Map.of("sender", "sandbox", "to", phone,
                "template", "reservation_confirmation", "language", "en_US",
                "bodyParameters", Map.of("day", "Saturday", "number_of_guests", "4")));
        assertThat(reserved.status()).as(reserved.body()).isEqualTo(202);
        assertThat(reserved.json().path("renderedText").asString())
                .isEqualTo("Your table for 4 on Saturday is confirmed. See you then!");
    }

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void readsEveryPageAndBringsTheTemplatesRegisteredInLineWithMetas(CapturedOutput output) {
        registerSender("paged", META.baseUrl());
        // Registered before Meta changed them: one's text, another's review (its queued message is withdrawn).
        assertThat(api.post("/api/v1/templates", Map.of("name", "bulk_007", "language", "en_US", "category", "utility",
                "components", List.of(Map.of("type", "BODY", "text", "An older text, {{1}}.")))).status()).isEqualTo(201);
        assertThat(api.post("/api/v1/templates", Map.of("name", "bulk_042", "language", "en_US", "category", "utility",
                "components", List.of(Map.of("type", "BODY", "text", "Order {{1}}, number 42.")))).status()).isEqualTo(201);
        // And one a published flow sends with two values, which Meta's text, with one placeholder, no longer takes.
        assertThat(api.post("/api/v1/templates", Map.of("name", "bulk_013", "language", "en_US", "category", "utility",
                "components", List.of(Map.of("type", "BODY", "text", "Order {{1}} of {{2}}.")))).status()).isEqualTo(201);
        FlowFixtures.publish(api, """
                {"name":"sends-bulk-13","entry":{"type":"api"},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"paged","template":"bulk_013","language":"en_US",
                  "bodyParameters":["{{order}}","{{shop}}"],"next":"end"},{"id":"end","type":"end"}]}""");
        String phone = "+31612349002";
        Fixtures.consentingContact(api, phone);
        Api.Response queued = api.post("/api/v1/messages/whatsapp", Map.of("sender", "paged", "to", phone,
                "template", "bulk_042", "language", "en_US", "bodyParameters", List.of("A-42")));
        assertThat(queued.status()).as(queued.body()).isEqualTo(202);
        // And one Meta recategorized as marketing, queued to a contact who agreed to utility messages alone.
        assertThat(api.post("/api/v1/templates", Map.of("name", "bulk_099", "language", "en_US", "category", "utility",
                "components", List.of(Map.of("type", "BODY", "text", "Hello {{1}}, this is template 99.")))).status())
                .isEqualTo(201);
        String utilityOnly = "+31612349003";
        Fixtures.contact(api, utilityOnly, Map.of("utility", true), false);
        Api.Response recategorized = api.post("/api/v1/messages/whatsapp", Map.of("sender", "paged", "to", utilityOnly,
                "template", "bulk_099", "language", "en_US", "bodyParameters", List.of("Bo")));
        assertThat(recategorized.status()).as(recategorized.body()).isEqualTo(202);
        int requestsBefore = META.requests().size();

        Api.Response synced = sync("paged");
        assertThat(synced.status()).as(synced.body()).isEqualTo(200);
        assertThat(synced.json().path("created").size()).isEqualTo(PAGED_TEMPLATES - 4);
        assertThat(synced.json().path("updated").size()).isEqualTo(4);
        JsonNode category = synced.json().path("updated").valueStream()
                .filter(t -> t.path("name").asString().equals("bulk_099")).findFirst().orElseThrow();
        assertThat(category.path("changes").valueStream().map(JsonNode::asString))
                .containsExactly("category utility → marketing");
        assertThat(api.get("/api/v1/messages/" + recategorized.json().path("messageId").asString()).json()
                .path("blockedReason").asString()).isEqualTo("no consent: the contact has not agreed to marketing messages"
                + " (template bulk_099 (en_US) is now marketing)");
        JsonNode notFitting = synced.json().path("updated").valueStream()
                .filter(t -> t.path("name").asString().equals("bulk_013")).findFirst().orElseThrow();
        assertThat(notFitting.path("flowsNotFitting").size()).isOne();
        assertThat(notFitting.path("flowsNotFitting").path(0).asString())
                .startsWith("flow sends-bulk-13 version 1, step send: bodyParameters: ");
        JsonNode text = synced.json().path("updated").valueStream().filter(t -> t.path("name").asString().equals("bulk_007"))
                .findFirst().orElseThrow();
        assertThat(text.path("changes").valueStream().map(JsonNode::asString)).containsExactly("components");
        assertThat(text.has("flowsNotFitting")).as("no flow sends it").isFalse();
        JsonNode review = synced.json().path("updated").valueStream().filter(t -> t.path("name").asString().equals("bulk_042"))
                .findFirst().orElseThrow();
        assertThat(review.path("changes").valueStream().map(JsonNode::asString)).containsExactly("status APPROVED → PAUSED");
        assertThat(synced.json().path("withdrawnMessages").asInt()).isEqualTo(2);
        JsonNode withdrawn = api.get("/api/v1/messages/" + queued.json().path("messageId").asString()).json();
        assertThat(withdrawn.path("status").asString()).isEqualTo("blocked");
        assertThat(withdrawn.path("blockedReason").asString()).isEqualTo("template not approved: bulk_042 (en_US) is PAUSED");
        assertThat(template("bulk_007", "en_US").path("components").path(0).path("text").asString())
                .isEqualTo("Hello {{1}}, this is template 7.");

        // Three pages of 100, each asked for from the cursor of the one before, with the sender's token.
        List<FakeProvider.Request> pages = META.requests().subList(requestsBefore, META.requests().size());
        assertThat(pages).hasSize(3);
        assertThat(pages).allSatisfy(page -> {
            assertThat(page.method()).isEqualTo("GET");
            assertThat(page.path()).isEqualTo("/v21.0/" + WABA + "/message_templates");
            assertThat(page.header("Authorization")).isEqualTo("Bearer " + TOKEN);
            assertThat(page.query()).contains("limit=100").contains("fields=name,language,category,status,components");
        });
        assertThat(pages.get(0).query()).doesNotContain("after=");
        assertThat(pages.get(1).query()).endsWith("&after=" + URLEncoder.encode(cursor(99), StandardCharsets.UTF_8));
        assertThat(pages.get(2).query()).endsWith("&after=" + URLEncoder.encode(cursor(199), StandardCharsets.UTF_8));
        // How far a long read got, page by page.
        assertThat(progress(output, "Reading")).containsExactly("100 so far, on to page 2", "200 so far, on to page 3");
        // And how far their writing got, a hundred at a time.
        assertThat(progress(output, "Writing"))
                .containsExactly("100 of " + PAGED_TEMPLATES + " done", "200 of " + PAGED_TEMPLATES + " done");
    }

    /** What the lines "{@code doing} the templates of …" of the paged sender's sync said of how far it got. */
    private static List<String> progress(CapturedOutput output, String doing) {
        String about = doing + " the templates of WhatsApp Business Account " + WABA + " (sender paged): ";
        return output.getOut().lines().filter(line -> line.contains(about))
                .map(line -> line.substring(line.indexOf(about) + about.length())).toList();
    }

    @Test
    void takesTheAccountsTemplatesWhenMetaApprovesOneReachDoesNotHave() {
        registerAccountSender("approvals", "106540352288001", "+15550788001", APPROVALS_WABA, APPROVALS);

        // Made in WhatsApp Manager, approved there: Meta's review webhook is all Reach hears of it.
        String review = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"" + APPROVALS_WABA + "\","
                + "\"time\":1765015200,\"changes\":[{\"value\":{\"event\":\"APPROVED\",\"message_template_id\":77,"
                + "\"message_template_name\":\"fresh_offer\",\"message_template_language\":\"en_US\",\"reason\":\"NONE\"},"
                + "\"field\":\"message_template_status_update\"}]}]}";
        assertThat(api.postSignedWhatsAppWebhook(review, "approvals-secret").status()).isEqualTo(200);

        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> api.get("/api/v1/templates?limit=1000")
                .json().valueStream().anyMatch(t -> "fresh_offer".equals(t.path("name").asString())));
        assertThat(template("fresh_offer", "en_US").path("components").path(0).path("text").asString())
                .isEqualTo("Hi {{1}}, here is an offer made for you.");
        assertThat(APPROVALS.requests()).extracting(FakeProvider.Request::path)
                .containsExactly("/v21.0/" + APPROVALS_WABA + "/message_templates");
    }

    @Test
    void takesTheAccountsTemplatesAgainWhenMetaSaysOneOfThemWasEdited() {
        registerAccountSender("edits", "106540352266002", "+15550786602", EDITS_WABA, EDITS);
        assertThat(api.post("/api/v1/templates", Map.of("name", "opening_hours", "language", "en_US", "category", "utility",
                "wabaId", EDITS_WABA, "components", List.of(Map.of("type", "BODY", "text", "We open at {{1}}.")))).status())
                .isEqualTo(201);

        // Edited in WhatsApp Manager: Meta's webhook says so, with a summary of the texts.
        String edited = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"" + EDITS_WABA + "\","
                + "\"time\":1765015200,\"changes\":[{\"value\":{\"message_template_id\":79,"
                + "\"message_template_name\":\"opening_hours\",\"message_template_language\":\"en_US\","
                + "\"message_template_element\":\"We open at {{1}} today, and close at {{2}}.\"},"
                + "\"field\":\"message_template_components_update\"}]}]}";
        assertThat(api.postSignedWhatsAppWebhook(edited, "edits-secret").status()).isEqualTo(200);

        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> api.get(
                "/api/v1/templates?wabaId=" + EDITS_WABA).json().path(0).path("components").path(0).path("text").asString()
                .equals("We open at {{1}} today, and close at {{2}}."));
        assertThat(EDITS.requests()).extracting(FakeProvider.Request::path)
                .containsExactly("/v21.0/" + EDITS_WABA + "/message_templates");
    }

    private static final String EDITS_WABA = "102290129340666";
    private static final FakeProvider EDITS = new FakeProvider((n, request) -> new FakeProvider.Answer(200, """
            {"data":[{"name":"opening_hours","language":"en_US","status":"APPROVED","category":"UTILITY","id":"79",
              "components":[{"type":"BODY","text":"We open at {{1}} today, and close at {{2}}."}]}],
             "paging":{"cursors":{"before":"MA==","after":"MA=="}}}"""));

    private static final String APPROVALS_WABA = "102290129340888";
    private static final FakeProvider APPROVALS = new FakeProvider((n, request) -> new FakeProvider.Answer(200, """
            {"data":[{"name":"fresh_offer","language":"en_US","status":"APPROVED","category":"MARKETING","id":"7",
              "components":[{"type":"BODY","text":"Hi {{1}}, here is an offer made for you."}]}],
             "paging":{"cursors":{"before":"MA==","after":"MA=="}}}"""));

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void eachAccountSendsItsOwnTemplateOfOneNameAndMetasNewsOfOneAccountsTemplateChangesOnlyThatOne(
            CapturedOutput output) {
        String sandboxWaba = "200000000000001";
        Api.Response ours = api.post("/api/v1/templates", Map.of("name", "pickup_ready", "language", "en_US",
                "category", "utility", "wabaId", sandboxWaba, "components", List.of(Map.of("type", "BODY",
                        "text", "Hi {{1}}, order {{2}} is ready at the shop."))));
        assertThat(ours.status()).as(ours.body()).isEqualTo(201);
        registerAccountSender("second-brand", "106540352266001", "+15550786601", SECOND_WABA, SECOND);

        Api.Response synced = sync("second-brand");
        String phone = "+31612349011";
        Fixtures.consentingContact(api, phone);
        Api.Response fromSandbox = api.post("/api/v1/messages/whatsapp", Map.of("sender", "sandbox", "to", phone,
                "template", "pickup_ready", "language", "en_US", "bodyParameters", List.of("Anna", "A-17")));
        Api.Response fromSecond = api.post("/api/v1/messages/whatsapp", Map.of("sender", "second-brand", "to", phone,
                "template", "pickup_ready", "language", "en_US", "bodyParameters", List.of("Anna", "A-17")));

        assertThat(synced.status()).as(synced.body()).isEqualTo(200);
        assertThat(names(synced.json().path("created"))).containsExactly("pickup_ready");
        assertThat(names(synced.json().path("notInAccount"))).as("another account's are not this one's")
                .doesNotContain("pickup_ready");
        assertThat(api.get("/api/v1/templates?name=pickup_ready").json().valueStream().map(t -> t.path("wabaId").asString()))
                .containsExactlyInAnyOrder(sandboxWaba, SECOND_WABA);
        assertThat(api.get("/api/v1/templates?wabaId=" + SECOND_WABA).json().valueStream().map(t -> t.path("name").asString()))
                .containsExactly("pickup_ready");
        assertThat(fromSandbox.json().path("renderedText").asString()).isEqualTo("Hi Anna, order A-17 is ready at the shop.");
        assertThat(fromSecond.json().path("renderedText").asString()).isEqualTo("Dear Anna, parcel A-17 waits for you.");
        Api.Response again = api.post("/api/v1/templates", Map.of("name", "pickup_ready", "language", "en_US",
                "category", "utility", "wabaId", SECOND_WABA, "components", List.of(Map.of("type", "BODY", "text", "Hi."))));
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.json().path("message").asString())
                .isEqualTo("Template pickup_ready in en_US is already registered for WhatsApp Business Account " + SECOND_WABA);

        // A flow that sends the name both accounts have publishes: its publish holds both (it was a 500, two rows
        // where one was expected).
        Api.Response pickups = api.post("/api/v1/flows", """
                {"name":"two-brands-pickup","entry":{"type":"api"},"start":"ours","steps":[
                 {"id":"ours","type":"send_whatsapp","sender":"sandbox","template":"pickup_ready","language":"en_US",
                  "bodyParameters":["Anna","A-17"],"next":"theirs"},
                 {"id":"theirs","type":"send_whatsapp","sender":"second-brand","template":"pickup_ready","language":"en_US",
                  "bodyParameters":["Anna","A-17"],"next":"end"},
                 {"id":"end","type":"end"}]}""");
        assertThat(pickups.status()).as(pickups.body()).isEqualTo(201);
        Api.Response published = api.post("/api/v1/flows/two-brands-pickup/publish", "");
        assertThat(published.status()).as(published.body()).isEqualTo(200);
        assertThat(published.json().path("status").asString()).isEqualTo("published");

        // A flow whose second-account step sends a template only the sandbox account has is warned of.
        assertThat(api.post("/api/v1/templates", Map.of("name", "shop_notice", "language", "en_US", "category", "utility",
                "wabaId", sandboxWaba, "components", List.of(Map.of("type", "BODY", "text", "The shop is open.")))).status())
                .isEqualTo(201);
        Api.Response checked = api.post("/api/v1/flows/validate", """
                {"name":"two-brands","entry":{"type":"api"},"start":"ours","steps":[
                 {"id":"ours","type":"send_whatsapp","sender":"sandbox","template":"shop_notice","language":"en_US","next":"theirs"},
                 {"id":"theirs","type":"send_whatsapp","sender":"second-brand","template":"shop_notice","language":"en_US",
                  "next":"end"},
                 {"id":"end","type":"end"}]}""");
        assertThat(checked.json().path("problems")).as(checked.body()).isEmpty();
        assertThat(checked.json().path("warnings")).extracting(w -> w.path("step").asString() + ": " + w.path("message")
                .asString()).containsExactly("theirs: template shop_notice (en_US) is WhatsApp Business Account " + sandboxWaba
                + "'s, not sender second-brand's account's: Meta refuses it unless that account has it too (POST"
                + " /api/v1/templates/sync with this sender takes its account's templates)");
        // Sent anyway, it is logged at WARN, once per sender and template.
        for (int i = 0; i < 2; i++) {
            assertThat(api.post("/api/v1/messages/whatsapp", Map.of("sender", "second-brand", "to", phone,
                    "template", "shop_notice", "language", "en_US")).status()).isEqualTo(202);
        }
        assertThat(output.getOut().lines().filter(line -> line.contains(" WARN ")
                && line.contains("Sender second-brand sends template shop_notice (en_US) of WhatsApp Business Account "
                        + sandboxWaba + ", as its own account (" + SECOND_WABA + ") has none of that name and language in"
                        + " Reach"))).hasSize(1);

        // Meta pauses the second account's: its queued message is withdrawn, the sandbox account's goes on.
        String paused = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"" + SECOND_WABA + "\","
                + "\"time\":1765015200,\"changes\":[{\"value\":{\"event\":\"PAUSED\",\"message_template_id\":78,"
                + "\"message_template_name\":\"pickup_ready\",\"message_template_language\":\"en_US\",\"reason\":\"NONE\"},"
                + "\"field\":\"message_template_status_update\"}]}]}";
        assertThat(api.postSignedWhatsAppWebhook(paused, "second-brand-secret").status()).isEqualTo(200);

        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> "blocked".equals(
                api.get("/api/v1/messages/" + fromSecond.json().path("messageId").asString()).json().path("status").asString()));
        assertThat(api.get("/api/v1/messages/" + fromSecond.json().path("messageId").asString()).json().path("blockedReason")
                .asString()).isEqualTo("template not approved: pickup_ready (en_US) is PAUSED");
        assertThat(api.get("/api/v1/templates?name=pickup_ready").json().valueStream()
                .map(t -> t.path("wabaId").asString() + " " + t.path("status").asString()))
                .containsExactlyInAnyOrder(sandboxWaba + " APPROVED", SECOND_WABA + " PAUSED");
        assertThat(api.get("/api/v1/messages/" + fromSandbox.json().path("messageId").asString()).json().path("status")
                .asString()).isEqualTo("queued");
    }

    private static final String SECOND_WABA = "102290129340999";
    private static final FakeProvider SECOND = new FakeProvider((n, request) -> new FakeProvider.Answer(200, """
            {"data":[{"name":"pickup_ready","language":"en_US","status":"APPROVED","category":"UTILITY","id":"8",
              "components":[{"type":"BODY","text":"Dear {{1}}, parcel {{2}} waits for you."}]}],
             "paging":{"cursors":{"before":"MA==","after":"MA=="}}}"""));

    @Test
    void changesNothingWhenMetaRefusesAPage() {
        registerSender("refused", META.baseUrl());
        int templatesBefore = api.get("/api/v1/templates?limit=1000").json().size();
        META.answerNext(200, """
                {"data":[{"name":"never_kept","language":"en","status":"APPROVED","category":"UTILITY",
                  "components":[{"type":"BODY","text":"Hi."}]}],
                 "paging":{"cursors":{"before":"MA==","after":"MA=="},"next":"%s/v21.0/%s/message_templates?after=MA=="}}"""
                .formatted(META.baseUrl(), WABA));
        META.answerNext(400, FakeProvider.metaError(190, "Error validating access token: Session has expired"));

        Api.Response refused = sync("refused");
        assertThat(refused.status()).isEqualTo(502);
        assertThat(refused.json().path("error").asString()).isEqualTo("meta_error");
        assertThat(refused.json().path("message").asString()).isEqualTo("Meta did not list the templates of WhatsApp Business"
                + " Account " + WABA + ": (#190) Error validating access token: Session has expired; nothing was changed");
        assertThat(refused.body()).doesNotContain(TOKEN);
        assertThat(api.get("/api/v1/templates?limit=1000").json().size()).isEqualTo(templatesBefore);

        registerSender("unreachable", FakeProvider.unreachableBaseUrl());
        Api.Response unreachable = sync("unreachable");
        assertThat(unreachable.status()).isEqualTo(502);
        assertThat(unreachable.json().path("error").asString()).isEqualTo("meta_unreachable");
        assertThat(unreachable.json().path("message").asString()).startsWith("Could not reach Meta's Graph API")
                .endsWith("; nothing was changed");
    }

    @Test
    void refusesWhatIsNoWhatsAppSender() {
        Api.Response missing = api.post("/api/v1/templates/sync", Map.of());
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.json().path("details").path(0).path("field").asString()).isEqualTo("sender");
        Api.Response unknown = sync("nobody");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().path("message").asString()).isEqualTo("no WhatsApp sender is named or has the id 'nobody'");
        Api.Response sms = sync("sandbox-sms");
        assertThat(sms.status()).isEqualTo(404);
        assertThat(sms.json().path("message").asString()).isEqualTo("no WhatsApp sender is named or has the id 'sandbox-sms'"
                + " (it is an sms sender)");
    }

    private static final int PAGED_TEMPLATES = 250;

    /** The stand-in's account: 250 templates, a page of {@code limit} after the {@code after} cursor, as Meta pages. */
    private static FakeProvider.Answer page(String query) {
        Map<String, String> params = query == null ? Map.of() : Arrays.stream(query.split("&"))
                .map(p -> p.split("=", 2)).collect(Collectors.toMap(p -> p[0], p -> p.length > 1 ? p[1] : ""));
        int limit = Integer.parseInt(params.getOrDefault("limit", "25"));
        int from = params.containsKey("after") ? Integer.parseInt(new String(Base64.getDecoder().decode(
                URLDecoder.decode(params.get("after"), StandardCharsets.UTF_8)), StandardCharsets.UTF_8)) + 1 : 0;
        int to = Math.min(PAGED_TEMPLATES, from + limit);
        List<String> data = new ArrayList<>();
        IntStream.range(from, to).forEach(i -> data.add(("{\"name\":\"bulk_%03d\",\"language\":\"en_US\",\"status\":\"%s\","
                + "\"category\":\"%s\",\"id\":\"%d\",\"components\":[{\"type\":\"BODY\",\"text\":\"%s\","
                + "\"example\":{\"body_text\":[[\"Anna\"]]}}]}").formatted(i, i == 42 ? "PAUSED" : "APPROVED",
                i == 99 ? "MARKETING" : "UTILITY", 900 + i,
                i == 42 ? "Order {{1}}, number 42." : "Hello {{1}}, this is template " + i + ".")));
        String next = to < PAGED_TEMPLATES ? ",\"next\":\"https://graph.facebook.com/v21.0/" + WABA
                + "/message_templates?limit=" + limit + "&after=" + cursor(to - 1) + "\"" : "";
        return new FakeProvider.Answer(200, "{\"data\":[" + String.join(",", data) + "],\"paging\":{\"cursors\":{\"before\":\""
                + cursor(from) + "\",\"after\":\"" + cursor(to - 1) + "\"}" + next + "}}");
    }

    private static String cursor(int index) {
        return Base64.getEncoder().encodeToString(Integer.toString(index).getBytes(StandardCharsets.UTF_8));
    }

    private void registerSender(String name, String baseUrl) {
        Api.Response sender = api.post("/api/v1/senders", Map.of("name", name, "phoneNumberId",
                "1065403522" + String.format("%05d", Math.abs(name.hashCode()) % 100_000), "wabaId", WABA,
                "displayNumber", "+1555078" + String.format("%04d", Math.abs(name.hashCode()) % 10_000),
                "accessToken", TOKEN, "appSecret", "app-secret", "verifyToken", "verify", "graphApiBaseUrl", baseUrl,
                "graphApiVersion", "v21.0"));
        assertThat(sender.status()).as(sender.body()).isEqualTo(201);
    }

    /** A WhatsApp sender of its own account, on a stand-in for Meta; its app secret is {@code <name>-secret}. */
    private void registerAccountSender(String name, String phoneNumberId, String displayNumber, String wabaId,
                                       FakeProvider meta) {
        Api.Response sender = api.post("/api/v1/senders", Map.of("name", name, "phoneNumberId", phoneNumberId,
                "wabaId", wabaId, "displayNumber", displayNumber, "accessToken", TOKEN, "appSecret", name + "-secret",
                "verifyToken", "verify", "graphApiBaseUrl", meta.baseUrl(), "graphApiVersion", "v21.0"));
        assertThat(sender.status()).as(sender.body()).isEqualTo(201);
    }

    private Api.Response sync(String sender) {
        return api.post("/api/v1/templates/sync", Map.of("sender", sender));
    }

    private JsonNode template(String name, String language) {
        return api.get("/api/v1/templates?limit=1000").json().valueStream()
                .filter(t -> name.equals(t.path("name").asString()) && language.equals(t.path("language").asString()))
                .findFirst().orElseThrow();
    }

    private static List<String> names(JsonNode list) {
        return list.valueStream().map(t -> t.path("name").asString()).toList();
    }
}
