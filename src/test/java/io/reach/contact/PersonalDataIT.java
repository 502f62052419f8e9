package io.reach.contact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.shared.Ids;
import io.reach.support.Api;
import io.reach.support.FlowFixtures;
import io.reach.support.ReachIntegrationTest;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * What Reach keeps about a contact, through the API: exported whole as one document; and erased, when its number and
 * what it wrote or was told go from every table that kept them, what was under way for it stops, the counts and
 * statuses stay, and its number is free for someone new. Over the sandbox's WhatsApp (its handsets +3161301… read and
 * tap "Yes") and an SMS sender whose SMSC is down.
 */
@TestPropertySource(properties = {"reach.sandbox.rules-file=classpath:sandbox/flow-handsets.yml",
        "reach.journeys.poll-interval=100ms"})
class PersonalDataIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final AtomicInteger NUMBERS = new AtomicInteger(7000);
    // The tables that keep what a contact is, wrote or was sent (webhook_inbox, a callback as it came, is kept for
    // reach.messaging.keep-processed-callbacks and not searched: see README).
    private static final List<String> TABLES = List.of("contacts", "contact_attributes", "contact_tags", "messages",
            "message_events", "inbound_messages", "unmatched_statuses", "journeys", "journey_steps", "report_rows",
            "sms_parts", "opted_out_numbers", "whatsapp_user_ids");

    @Autowired
    JdbcClient jdbc;

    @Test
    void exportsEverythingKeptAboutAContactAsOneDocument() throws Exception {
        History history = contactWithAHistory();

        Api.Response exported = api.get("/api/v1/contacts/" + history.contact() + "/export");

        assertThat(exported.status()).as(exported.body()).isEqualTo(200);
        assertThat(exported.headers().get("content-type")).singleElement().asString().startsWith("application/json");
        assertThat(exported.headers().get("content-disposition")).singleElement()
                .isEqualTo("attachment; filename=\"contact-" + history.contact() + ".json\"");
        JsonNode document = exported.json();
        assertThat(document.propertyNames()).containsExactly("exportedAt", "contact", "consentWithdrawnInWhatsApp", "journeys",
                "messages", "inboundMessages", "whatsAppUserIds");
        // The id Meta names the contact's WhatsApp user by, which the sandbox's statuses and replies carried.
        assertThat(document.path("whatsAppUserIds").valueStream().map(learned -> learned.path("userId").asString()))
                .singleElement().asString().matches("NL\\.[0-9]+");
        assertThat(document.path("whatsAppUserIds").path(0).path("learnedAt").isString()).isTrue();
        assertThat(document.path("consentWithdrawnInWhatsApp").isEmpty()).isTrue();
        assertThat(document.path("contact").path("phone").asString()).isEqualTo(history.phone());
        assertThat(document.path("contact").path("attributes").path("last_order").asString()).isEqualTo(history.order());
        assertThat(document.path("contact").path("tags").path(0).asString()).isEqualTo("vip-" + history.n());
        JsonNode journey = document.path("journeys").path(0);
        assertThat(document.path("journeys").size()).isEqualTo(1);
        assertThat(journey.path("journey").path("id").asString()).isEqualTo(history.journey());
        assertThat(journey.path("journey").path("variables").path("order").asString()).isEqualTo(history.order());
        assertThat(journey.path("path").valueStream().map(step -> step.path("stepId").asString()).toList())
                .containsExactly("send", "reply", "report", "remember", "wait");
        assertThat(journey.path("path").path(3).path("outcome").asString()).isEqualTo("last_order = " + history.order());
        assertThat(journey.path("reportRows").path(0).path("description").asString())
                .isEqualTo(history.order() + " for " + history.name());
        assertThat(journey.path("reportRows").path(0).path("messageTo").asString()).isEqualTo(history.phone());
        // Newest first: the SMS, then the template with its timeline and the quick reply that answered it.
        JsonNode messages = document.path("messages");
        assertThat(Api.ids(messages)).containsExactly(history.sms(), history.whatsAppMessage());
        assertThat(messages.path(0).path("renderedText").asString()).isEqualTo(history.smsText());
        assertThat(messages.path(1).path("renderedText").asString()).contains(history.name(), history.order());
        assertThat(messages.path(1).path("timeline").valueStream().map(event -> event.path("status").asString()))
                .contains("sent", "delivered", "read");
        assertThat(messages.path(1).path("replies").path(0).path("replyPayload").asString()).isEqualTo("YES");
        assertThat(document.path("inboundMessages").valueStream().map(message -> message.path("text").asString()))
                .containsExactly(history.typed(), "Yes");
        // Once erased, there is nothing to export.
        assertThat(api.delete("/api/v1/contacts/" + history.contact()).status()).isEqualTo(200);
        Api.Response afterwards = api.get("/api/v1/contacts/" + history.contact() + "/export");
        assertThat(afterwards.status()).isEqualTo(404);
        assertThat(afterwards.json().path("message").asString()).contains("was erased at");
    }

    @Test
    void exportsAContactsMessagesPageAfterPage() throws Exception {
        int n = NUMBERS.incrementAndGet();
        String phone = "+3161303" + n;
        String contact = id(api.post("/api/v1/contacts", Map.of("phone", phone, "consent", Map.of("utility", true))));
        String sender = downSmsSender();
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 101; i++) { // more than a page of an export (100)
            sent.add(queuedSms(sender, phone, "Message " + i));
        }

        JsonNode document = api.get("/api/v1/contacts/" + contact + "/export").json();

        assertThat(Api.ids(document.path("messages"))).containsExactlyElementsOf(sent.reversed());
        assertThat(document.path("journeys").isEmpty()).isTrue();
        assertThat(document.path("inboundMessages").isEmpty()).isTrue();
    }

    @Test
    void erasesTheContactsNumberTextsAndVariablesFromEveryTableAndStopsWhatWasUnderWayForIt() throws Exception {
        History history = contactWithAHistory();
        int n = history.n();
        String phone = history.phone();
        String name = history.name();
        String order = history.order();
        String typed = history.typed();
        String smsText = history.smsText();
        String contact = history.contact();
        String flowId = history.flowId();
        String journey = history.journey();
        String sms = history.sms();
        String whatsAppMessage = history.whatsAppMessage();
        // Errors that name the number, as Twilio's do (the sandbox's do not): on the message, and in a timeline.
        jdbc.sql("UPDATE messages SET error_code = 21211, error_title = ?, error_details = ? WHERE id = ?")
                .params("Invalid 'To' Phone Number", "The 'To' number " + phone + " is not reachable",
                        UUID.fromString(sms)).update();
        jdbc.sql("UPDATE message_events SET error_details = ? WHERE message_id = ?")
                .params("Undeliverable to " + phone.substring(1), UUID.fromString(whatsAppMessage)).update();
        JsonNode countsBefore = counts(flowId);
        String userId = jdbc.sql("SELECT user_id FROM whatsapp_user_ids WHERE contact_id = ?").param(UUID.fromString(contact))
                .query(String.class).single();
        String[] kept = {phone, name, order, typed, smsText, "SECRET-NOTE-" + n, "vip-" + n, "key-SECRET-" + n, userId};
        assertThat(tablesHolding(kept).stream().map(held -> held.substring(held.indexOf(": ") + 2)).distinct())
                .as("each is kept somewhere before the erasure").containsExactlyInAnyOrder(kept);

        Api.Response erased = api.delete("/api/v1/contacts/" + contact);

        assertThat(erased.status()).as(erased.body()).isEqualTo(200);
        assertThat(erased.json().path("id").asString()).isEqualTo(contact);
        assertThat(erased.json().path("erasedAt").isString()).isTrue();
        assertThat(erased.json().path("erased").toString()).isEqualTo(("{\"journeysCancelled\":1,\"journeys\":1,"
                + "\"reportRows\":1,\"messagesWithdrawn\":1,\"messages\":2,\"inboundMessages\":2,\"whatsAppUserIds\":1,"
                + "\"attributes\":3,\"tags\":1,\"optOutKept\":0}"));
        assertThat(tablesHolding(kept)).as("tables still holding the contact's data").isEmpty();
        // Read afterwards: gone, said as erased; what was under way stopped, with why.
        Api.Response read = api.get("/api/v1/contacts/" + contact);
        assertThat(read.status()).isEqualTo(404);
        assertThat(read.json().path("message").asString()).startsWith("Contact " + contact + " was erased at ");
        assertThat(api.delete("/api/v1/contacts/" + contact).status()).as("erased already").isEqualTo(404);
        JsonNode cancelled = api.get("/api/v1/journeys/" + journey).json();
        assertThat(cancelled.path("state").asString()).isEqualTo("CANCELLED");
        assertThat(cancelled.path("variables").size()).isZero();
        assertThat(cancelled.path("error").asString()).isEqualTo(PersonalData.ERASED);
        assertThat(Api.ids(api.get("/api/v1/journeys?contactId=" + contact).json()))
                .as("its journeys and messages are still listed by its id").containsExactly(journey);
        JsonNode path = api.get("/api/v1/journeys/" + journey + "/path").json();
        assertThat(path.valueStream().map(step -> step.path("stepId").asString()).toList())
                .containsExactly("send", "reply", "report", "remember", "wait");
        assertThat(path.valueStream().filter(step -> step.has("outcome")).toList()).isEmpty();
        assertThat(path.path(1).path("branch").asString()).isEqualTo("YES");
        JsonNode withdrawn = api.get("/api/v1/messages/" + sms).json();
        assertThat(withdrawn.path("status").asString()).isEqualTo("blocked");
        assertThat(withdrawn.path("blockedReason").asString()).isEqualTo(PersonalData.ERASED);
        assertThat(withdrawn.has("recipient")).isFalse();
        assertThat(withdrawn.path("error").path("details").asString()).isEqualTo("The 'To' number (erased number) is not reachable");
        JsonNode whatsApp = api.get("/api/v1/messages/" + whatsAppMessage).json();
        assertThat(whatsApp.path("timeline").path(0).path("errorDetails").asString())
                .isEqualTo("Undeliverable to (erased number)");
        assertThat(whatsApp.path("status").asString()).as("its status stays").isEqualTo("read");
        assertThat(whatsApp.has("renderedText")).isFalse();
        JsonNode report = api.get("/api/v1/flows/" + flowId + "/reports").json().path(0);
        assertThat(report.path("status").asString()).isEqualTo("answered");
        assertThat(report.has("messageTo") || report.has("description")).isFalse();
        // The counts of what journeys did stay; the journey that waited is counted cancelled.
        JsonNode countsAfter = counts(flowId);
        for (String step : List.of("send", "reply", "report", "remember", "wait")) {
            assertThat(countsAfter.path("steps").path(step).path("entered").asLong()).as(step)
                    .isEqualTo(countsBefore.path("steps").path(step).path("entered").asLong()).isEqualTo(1);
        }
        assertThat(FlowFixtures.branches(countsAfter, "reply")).isEqualTo(Map.of("YES", 1L));
        assertThat(countsBefore.path("waiting").asLong()).isEqualTo(1);
        assertThat(countsAfter.path("waiting").asLong()).isZero();
        // The erased contact can be named by nothing; its number is free for someone new.
        assertThat(api.get("/api/v1/contacts?phone=" + phone.replace("+", "%2B")).json()).isEmpty();
        assertThat(api.get("/api/v1/contacts?tag=vip-" + n).json()).isEmpty();
        Api.Response again = api.post("/api/v1/flows/" + flowId + "/journeys", Map.of("contactId", contact));
        assertThat(again.status()).as(again.body()).isEqualTo(404);
        assertThat(api.get("/api/v1/contacts/" + contact + "/conversation").status()).isEqualTo(404);
        Api.Response someoneNew = api.post("/api/v1/contacts", Map.of("phone", phone));
        assertThat(someoneNew.status()).as(someoneNew.body()).isEqualTo(201);
        assertThat(someoneNew.json().path("id").asString()).isNotEqualTo(contact);
        assertThat(someoneNew.json().path("attributes").size()).isZero();
        assertThat(someoneNew.json().path("optedOut").asBoolean()).as("the one before had not opted out").isFalse();
        assertThat(api.get("/api/v1/messages?contactId=" + someoneNew.json().path("id").asString()).json()).isEmpty();
    }

    @Test
    void erasuresAmidJourneysAtWorkAreAllAnsweredAndLeaveNothingUnderWayNorTheirNumbersBehind() throws Exception {
        int first = NUMBERS.getAndAdd(20) + 1;
        FlowFixtures.orderReadyTemplate(api);
        // The handsets +3161302… read and never answer: no message of theirs comes after the erasure.
        String flowId = FlowFixtures.publish(api, """
                {"name":"erasure-busy-%d","entry":{"type":"api"},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
                  "headerParameters":["{{order}}"],"bodyParameters":["{{contact.first_name}}","{{order}}"],"next":"reply"},
                 {"id":"reply","type":"wait_for_reply","message":"send","timeout":"P1D",
                  "branches":{"YES":"end","any_text":"end","no_reply":"end"}},
                 {"id":"end","type":"end"}]}""".formatted(first));
        List<String> phones = new ArrayList<>();
        List<String> contacts = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            phones.add("+3161302" + (first + i));
            contacts.add(id(api.post("/api/v1/contacts", Map.of("phone", phones.getLast(), "consent", Map.of("utility", true),
                    "attributes", Map.of("first_name", "Busy")))));
        }

        // Each contact's journey started, and the contact erased at once: while its journey is taken up, sends, its
        // message is handed over, its statuses come in. Four contacts at a time.
        List<String> journeys = new CopyOnWriteArrayList<>();
        ExecutorService erasing = Executors.newFixedThreadPool(4);
        List<Api.Response> erased;
        try {
            erased = erasing.invokeAll(contacts.stream().<Callable<Api.Response>>map(contact -> () -> {
                Api.Response started = api.post("/api/v1/flows/" + flowId + "/journeys", Map.of("contactId", contact,
                        "variables", Map.of("order", "B-" + contact.substring(0, 4))));
                assertThat(started.status()).as(started.body()).isEqualTo(201);
                journeys.add(started.json().path("journeyId").asString());
                return api.delete("/api/v1/contacts/" + contact);
            }).toList()).stream().map(future -> {
                try {
                    return future.get();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).toList();
        } finally {
            erasing.shutdownNow();
        }

        assertThat(erased).allSatisfy(response -> assertThat(response.status()).as(response.body()).isEqualTo(200));
        assertThat(journeys).hasSize(20).allSatisfy(journey -> assertThat(api.get("/api/v1/journeys/" + journey).json().path("state")
                .asString()).isEqualTo("CANCELLED"));
        // A message its dispatcher was handing over went out; the others were withdrawn. Once the handsets have read
        // what went out, no message is queued, none names its number, and no table holds one.
        List<String> outcomes = List.of("blocked", "read");
        await().atMost(PATIENCE).until(() -> contacts.stream().flatMap(contact -> api.get("/api/v1/messages?contactId="
                + contact).json().valueStream()).allMatch(message -> outcomes.contains(message.path("status").asString())));
        List<JsonNode> messages = contacts.stream().flatMap(contact -> api.get("/api/v1/messages?contactId=" + contact)
                .json().valueStream()).toList();
        assertThat(messages).hasSizeLessThanOrEqualTo(20).noneMatch(message -> message.has("recipient"));
        assertThat(tablesHolding(phones.toArray(String[]::new))).isEmpty();
    }

    @Test
    void aNumberThatOptedOutComesBackOptedOutHoweverItComesBackUntilItOptsIn() {
        int n = NUMBERS.incrementAndGet();
        String phone = "+3161303" + n;
        String first = id(api.post("/api/v1/contacts", Map.of("phone", phone, "consent", Map.of("marketing", true),
                "optedOut", true)));
        String optedOutAt = api.get("/api/v1/contacts/" + first).json().path("optedOutAt").asString();

        Api.Response erased = api.delete("/api/v1/contacts/" + first);

        assertThat(erased.json().path("erased").path("optOutKept").asInt()).isEqualTo(1);
        assertThat(keptOptOuts(phone)).isEqualTo(1);
        assertThat(tablesHolding(phone)).as("kept as its hash alone").isEmpty();
        // Through the API: opted out since it opted out, and the contact carries that from now on.
        JsonNode throughTheApi = api.post("/api/v1/contacts", Map.of("phone", phone, "consent", Map.of("marketing", true))).json();
        assertThat(throughTheApi.path("optedOut").asBoolean()).isTrue();
        assertThat(throughTheApi.path("optedOutAt").asString()).isEqualTo(optedOutAt);
        assertThat(keptOptOuts(phone)).isZero();
        FlowFixtures.orderReadyTemplate(api);
        Api.Response sent = api.post("/api/v1/messages/whatsapp", Map.of("sender", "sandbox", "to", phone,
                "template", "order_ready", "language", "en_US", "headerParameters", List.of("A-1"),
                "bodyParameters", List.of("Sam", "A-1")));
        assertThat(sent.json().path("status").asString()).as(sent.body()).isEqualTo("blocked");
        // Through an import, which never opts anyone back in.
        assertThat(api.delete("/api/v1/contacts/" + throughTheApi.path("id").asString()).json().path("erased")
                .path("optOutKept").asInt()).isEqualTo(1);
        Api.Response imported = api.postRaw("/api/v1/contacts/import", "text/csv",
                ("phone,consent\n" + phone + ",marketing\n").getBytes(StandardCharsets.UTF_8), Map.of());
        assertThat(imported.json().path("created").asInt()).as(imported.body()).isEqualTo(1);
        JsonNode throughAnImport = byPhone(phone);
        assertThat(throughAnImport.path("optedOut").asBoolean()).isTrue();
        // Through a message it writes; its START opts it in, as ever.
        assertThat(api.delete("/api/v1/contacts/" + throughAnImport.path("id").asString()).status()).isEqualTo(200);
        assertThat(api.post("/api/v1/sandbox/inbound-messages", Map.of("from", phone, "text", "Hello")).status()).isEqualTo(202);
        await().atMost(PATIENCE).until(() -> byPhone(phone).has("id"));
        assertThat(byPhone(phone).path("optedOut").asBoolean()).isTrue();
        assertThat(api.post("/api/v1/sandbox/inbound-messages", Map.of("from", phone, "text", "START")).status()).isEqualTo(202);
        await().atMost(PATIENCE).until(() -> !byPhone(phone).path("optedOut").asBoolean());
        // Erased once it opted in, it comes back as anyone new.
        assertThat(api.delete("/api/v1/contacts/" + byPhone(phone).path("id").asString()).json().path("erased")
                .path("optOutKept").asInt()).isZero();
        assertThat(keptOptOuts(phone)).isZero();
    }

    @Test
    void aContactCreatedOptedInInSoManyWordsForgetsTheOptOutAnErasureKept() {
        String phone = "+3161303" + NUMBERS.incrementAndGet();
        String first = id(api.post("/api/v1/contacts", Map.of("phone", phone, "optedOut", true)));
        assertThat(api.delete("/api/v1/contacts/" + first).status()).isEqualTo(200);

        JsonNode optedIn = api.post("/api/v1/contacts", Map.of("phone", phone, "optedOut", false)).json();

        assertThat(optedIn.path("optedOut").asBoolean()).isFalse();
        assertThat(keptOptOuts(phone)).isZero();
        assertThat(api.delete("/api/v1/contacts/" + optedIn.path("id").asString()).status()).isEqualTo(200);
        JsonNode again = api.post("/api/v1/contacts", Map.of("phone", phone)).json();
        assertThat(again.path("optedOut").asBoolean()).isFalse();
    }

    private int keptOptOuts(String phone) {
        return jdbc.sql("SELECT COUNT(*) FROM opted_out_numbers WHERE number_hash = ?").param(ContactStore.numberHash(phone))
                .query(Integer.class).single();
    }

    private JsonNode byPhone(String phone) {
        return api.get("/api/v1/contacts?phone=" + phone.replace("+", "%2B")).json().path(0);
    }

    @Test
    void anAudienceTakesNoErasedContact() {
        int n = NUMBERS.incrementAndGet();
        String tag = "audience-" + n;
        String kept = id(api.post("/api/v1/contacts", Map.of("phone", "+3161302" + n, "tags", List.of(tag))));
        String erased = id(api.post("/api/v1/contacts", Map.of("phone", "+3161303" + n, "tags", List.of(tag))));
        // Without a filter an audience is every contact: the erased one is not among them.
        String everyone = FlowFixtures.publish(api, """
                {"name":"everyone-%d","entry":{"type":"audience"},"start":"end","steps":[{"id":"end","type":"end"}]}"""
                .formatted(n));
        assertThat(api.delete("/api/v1/contacts/" + erased).status()).isEqualTo(200);

        FlowFixtures.launch(api, everyone);

        List<String> started = api.followPages("/api/v1/flows/" + everyone + "/journeys?limit=1000").stream()
                .flatMap(JsonNode::valueStream).map(journey -> journey.path("contactId").asString()).toList();
        assertThat(started).contains(kept).doesNotContain(erased);
        assertThat(Api.ids(api.get("/api/v1/contacts?tag=" + tag).json())).containsExactly(kept);
        assertThat(api.followPages("/api/v1/contacts?limit=1000").stream().flatMap(page -> Api.ids(page).stream()))
                .contains(kept).doesNotContain(erased);
    }

    @Test
    void anUnknownContactIsA404AndAMalformedIdA400() {
        Api.Response unknown = api.delete("/api/v1/contacts/" + Ids.newId());
        Api.Response malformed = api.delete("/api/v1/contacts/anna");

        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().path("message").asString()).endsWith("does not exist");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.json().path("details").path(0).path("field").asString()).isEqualTo("id");
    }

    /** What a contact went through, as {@link #contactWithAHistory} made it, and what identifies it. */
    private record History(int n, String phone, String name, String order, String typed, String smsText, String contact,
                           String flowId, String journey, String sms, String whatsAppMessage) {}

    /**
     * A contact with attributes and a tag, a journey that sent it a template it answered (a report row, an attribute
     * set) and waits a day, a text it wrote, and an SMS queued for it that its SMSC does not take.
     */
    private History contactWithAHistory() throws IOException {
        int n = NUMBERS.incrementAndGet();
        String phone = "+3161301" + n;
        String name = "Annemarie" + n;
        String order = "ORD-SECRET-" + n;
        String typed = "My address is Secret Street " + n;
        String smsText = "Your code is SECRET-SMS-" + n;
        FlowFixtures.orderReadyTemplate(api);
        Api.Response created = api.post("/api/v1/contacts", Map.of("phone", phone, "consent", Map.of("utility", true),
                "attributes", Map.of("first_name", name, "note", "SECRET-NOTE-" + n), "tags", List.of("vip-" + n)));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String contact = created.json().path("id").asString();
        String flowId = FlowFixtures.publish(api, """
                {"name":"erasure-%d","entry":{"type":"api"},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
                  "headerParameters":["{{order}}"],"bodyParameters":["{{contact.first_name}}","{{order}}"],"next":"reply"},
                 {"id":"reply","type":"wait_for_reply","message":"send","timeout":"P1D",
                  "branches":{"YES":"report","any_text":"report","no_reply":"end"}},
                 {"id":"report","type":"add_report_row","status":"answered","description":"{{order}} for {{contact.first_name}}",
                  "next":"remember"},
                 {"id":"remember","type":"set_attribute","attribute":"last_order","value":"{{order}}","next":"wait"},
                 {"id":"wait","type":"wait","duration":"P1D","next":"end"},
                 {"id":"end","type":"end"}]}""".formatted(n));
        Api.Response started = api.post("/api/v1/flows/" + flowId + "/journeys", Map.of("contactId", contact,
                "variables", Map.of("order", order), "key", "key-SECRET-" + n));
        assertThat(started.status()).as(started.body()).isEqualTo(201);
        String journey = started.json().path("journeyId").asString();
        // The handset taps "Yes": the journey writes its report row, sets an attribute and waits a day.
        await().atMost(PATIENCE).until(() -> "wait".equals(api.get("/api/v1/journeys/" + journey).json().path("currentStep").asString()));
        Api.Response wrote = api.post("/api/v1/sandbox/inbound-messages", Map.of("from", phone, "text", typed));
        assertThat(wrote.status()).as(wrote.body()).isEqualTo(202);
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/inbound-messages?contactId=" + contact).json().size() == 2);
        // An SMS that stays queued: its sender's SMSC does not answer.
        String sms = queuedSms(downSmsSender(), phone, smsText);
        String whatsAppMessage = api.get("/api/v1/messages?contactId=" + contact).json().valueStream()
                .filter(message -> message.path("channel").asString().equals("whatsapp")).findFirst().orElseThrow()
                .path("id").asString();
        return new History(n, phone, name, order, typed, smsText, contact, flowId, journey, sms, whatsAppMessage);
    }

    /** Registers an SMS sender whose SMSC does not answer (its SMS stay queued); its name. */
    private String downSmsSender() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String sender = "down-smsc-" + NUMBERS.incrementAndGet();
        Api.Response registered = api.post("/api/v1/senders", Map.of("name", sender, "channel", "sms", "provider", "smpp",
                "fromAddress", "Reach", "secret", "x", "settings", Map.of("host", "127.0.0.1",
                        "port", String.valueOf(closedPort), "systemId", "reach")));
        assertThat(registered.status()).as(registered.body()).isEqualTo(201);
        return sender;
    }

    /** Sends an SMS through {@link #downSmsSender a sender whose SMSC does not answer}: it stays queued; its id. */
    private String queuedSms(String sender, String phone, String text) {
        Api.Response sent = api.post("/api/v1/messages/sms", Map.of("sender", sender, "to", phone, "text", text,
                "category", "utility"));
        assertThat(sent.status()).as(sent.body()).isEqualTo(202);
        String id = sent.json().path("messageId").asString();
        assertThat(api.get("/api/v1/messages/" + id).json().path("status").asString()).isEqualTo("queued");
        return id;
    }

    private JsonNode counts(String flowId) {
        return api.get("/api/v1/flows/" + flowId + "/versions/1/counts").json();
    }

    /** Which of {@code values} the tables of {@link #TABLES} hold, each as "table: value". */
    private List<String> tablesHolding(String... values) {
        List<String> held = new ArrayList<>();
        for (String table : TABLES) {
            List<String> rows = jdbc.sql("SELECT * FROM " + table).query().listOfRows().stream().map(Object::toString).toList();
            for (String value : values) {
                if (rows.stream().anyMatch(row -> row.contains(value))) {
                    held.add(table + ": " + value);
                }
            }
        }
        return held;
    }

    private static String id(Api.Response created) {
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.json().path("id").asString();
    }
}
