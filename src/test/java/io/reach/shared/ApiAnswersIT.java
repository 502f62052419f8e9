package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.support.Api;
import io.reach.support.DocumentedAnswers;
import io.reach.support.FlowFixtures;
import io.reach.support.ReachIntegrationTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/**
 * What Reach answers is what its OpenAPI document says it answers, status and body, through a journey's life and a
 * broadcast's, errors included: a client generated from the document reads every answer.
 */
@TestPropertySource(properties = "reach.journeys.poll-interval=100ms")
class ApiAnswersIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(60);

    private DocumentedAnswers document;

    @Test
    void everyAnswerHasTheStatusAndTheShapeTheDocumentGivesIt() throws Exception {
        document = new DocumentedAnswers(api.get("/v3/api-docs").body());

        // Contacts: one who reads and taps YES (…1), one not on WhatsApp (…0), one tagged for a broadcast.
        String contacts = "/api/v1/contacts";
        String anna = sent("POST", contacts, contacts, Map.of("phone", "+31612345801",
                "attributes", Map.of("first_name", "anna"), "tags", List.of("vip"),
                "consent", Map.of("utility", true, "marketing", true))).json().path("id").asString();
        expect(sent("POST", contacts, contacts, Map.of("phone", "+31612345800",
                "consent", Map.of("utility", true))), 201);
        expect(sent("POST", contacts, contacts, Map.of("phone", "+31612345801")), 409);
        expect(sent("POST", contacts, contacts, Map.of("phone", "+31 6 123")), 400);
        document.check("GET", contacts, api.get(contacts));
        document.check("GET", "/api/v1/contacts/{id}", api.get(contacts + "/" + anna));
        expect(document.check("GET", "/api/v1/contacts/{id}", api.get(contacts + "/+31612345998")), 404);
        expect(document.check("GET", contacts, api.get(contacts + "?bogus=1")), 400);
        expect(document.check("GET", contacts, api.getWithoutToken(contacts)), 401);
        expect(sent("PATCH", "/api/v1/contacts/{id}", contacts + "/" + anna,
                Map.of("attributes", Map.of("city", "Utrecht"))), 200);

        // Senders and templates.
        document.check("GET", "/api/v1/senders", api.get("/api/v1/senders"));
        document.check("GET", "/api/v1/senders/{idOrName}", api.get("/api/v1/senders/sandbox"));
        document.check("GET", "/api/v1/senders/{idOrName}/messaging-limit", api.get("/api/v1/senders/sandbox/messaging-limit"));
        expect(sent("POST", "/api/v1/senders/{idOrName}/check", "/api/v1/senders/sandbox/check", ""), 200);
        document.check("GET", "/api/v1/smpp-links", api.get("/api/v1/smpp-links"));
        expect(sent("POST", "/api/v1/templates/sync", "/api/v1/templates/sync",
                Map.of("sender", "sandbox")), 200);
        expect(sent("POST", "/api/v1/templates/sync", "/api/v1/templates/sync",
                Map.of("sender", "nobody")), 404);
        FlowFixtures.orderReadyTemplate(api);
        String template = sent("POST", "/api/v1/templates", "/api/v1/templates", Map.of("name",
                "spring_sale", "language", "en_US", "category", "marketing", "components", List.of(Map.of("type", "BODY",
                        "text", "Hi {{1}}, our spring sale starts today.")))).json().path("id").asString();
        document.check("GET", "/api/v1/templates", api.get("/api/v1/templates"));
        document.check("GET", "/api/v1/templates/{id}", api.get("/api/v1/templates/" + template));

        // The example flow: validated, imported, published; an event for each contact, and their journeys to the end.
        String example = Files.readString(Path.of("examples/flows/whatsapp-fallback.json"));
        sent("POST", "/api/v1/flows/validate", "/api/v1/flows/validate", example);
        String broken = "{\"name\":\"broken\",\"entry\":{\"type\":\"api\"},\"start\":\"a\",\"steps\":[{\"id\":\"a\",\"type\":\"nope\"}]}";
        sent("POST", "/api/v1/flows/validate", "/api/v1/flows/validate", broken);
        expect(sent("POST", "/api/v1/flows", "/api/v1/flows", broken), 400);
        String flow = sent("POST", "/api/v1/flows", "/api/v1/flows", example).json().path("flowId").asString();
        expect(sent("POST", "/api/v1/flows/{id}/publish", "/api/v1/flows/" + flow + "/publish", ""), 200);
        String flowPath = "/api/v1/flows/" + flow;
        for (String phone : List.of("+31612345801", "+31612345800")) {
            expect(sent("POST", "/api/v1/events", "/api/v1/events", Map.of("name", "order_ready",
                    "to", phone, "properties", Map.of("order_id", "B-1"))), 202);
        }
        expect(sent("POST", "/api/v1/events", "/api/v1/events", Map.of("name", "order_redy",
                "to", "+31612345801")), 202);
        expect(sent("POST", "/api/v1/events", "/api/v1/events", Map.of("name", "order_ready",
                "to", "+31612345998")), 404);
        await().atMost(PATIENCE).until(() -> api.get(flowPath + "/versions/1/counts").json().path("ended").asInt() == 2);
        document.check("GET", "/api/v1/flows", api.get("/api/v1/flows"));
        document.check("GET", "/api/v1/flows/{id}", api.get(flowPath));
        document.check("GET", "/api/v1/flows/{id}/versions", api.get(flowPath + "/versions"));
        document.check("GET", "/api/v1/flows/{id}/versions/{version}/document", api.get(flowPath + "/versions/1/document"));
        document.check("GET", "/api/v1/flows/{id}/versions/{version}/counts", api.get(flowPath + "/versions/1/counts"));
        document.check("GET", "/api/v1/flows/{id}/reports", api.get(flowPath + "/reports"));
        for (var journey : document.check("GET", "/api/v1/flows/{id}/journeys", api.get(flowPath + "/journeys")).json()) {
            document.check("GET", "/api/v1/journeys/{id}", api.get("/api/v1/journeys/" + journey.path("id").asString()));
            document.check("GET", "/api/v1/journeys/{id}/path", api.get("/api/v1/journeys/" + journey.path("id").asString() + "/path"));
        }
        document.check("GET", "/api/v1/journeys", api.get("/api/v1/journeys?to=%2B31612345801"));
        expect(document.check("GET", "/api/v1/journeys", api.get("/api/v1/journeys?to=%2B31612345998")), 404);
        document.check("GET", "/api/v1/contacts/{id}/conversation", api.get(contacts + "/" + anna + "/conversation?sender=sandbox"));

        // Messages on each channel, with their timelines (a WhatsApp status carries Meta's billing), once the SMS is
        // delivered and the call answered.
        String sms = sent("POST", "/api/v1/messages/sms", "/api/v1/messages/sms", Map.of("sender", "sandbox-sms",
                "to", "+31612345801", "text", "Your order is ready", "category", "utility")).json().path("messageId").asString();
        String call = sent("POST", "/api/v1/messages/voice", "/api/v1/messages/voice", Map.of("sender",
                "sandbox-voice", "to", "+31612345801", "text", "Your order is ready", "category", "utility"))
                .json().path("messageId").asString();
        expect(sent("POST", "/api/v1/messages/whatsapp", "/api/v1/messages/whatsapp", Map.of(
                "sender", "nobody", "to", "+31612345801", "template", "order_ready", "language", "en_US")), 404);
        await().atMost(PATIENCE).until(() -> List.of(sms, call).stream().allMatch(id ->
                "delivered".equals(api.get("/api/v1/messages/" + id).json().path("status").asString())));
        var messages = document.check("GET", "/api/v1/messages", api.get("/api/v1/messages?contactId=" + anna)).json();
        assertThat(messages).extracting(message -> message.path("channel").asString()).contains("whatsapp", "sms", "voice");
        for (var message : messages) {
            document.check("GET", "/api/v1/messages/{id}", api.get("/api/v1/messages/" + message.path("id").asString()));
        }
        document.check("GET", "/api/v1/inbound-messages", api.get("/api/v1/inbound-messages"));
        document.check("GET", "/api/v1/unmatched-statuses", api.get("/api/v1/unmatched-statuses"));
        document.check("GET", "/api/v1/failing-callbacks", api.get("/api/v1/failing-callbacks"));

        // A journey started through the API and cancelled; a contact's journeys cancelled.
        String asked = FlowFixtures.publishSendThenAwaitDelivery(api, "asked", "sandbox", "order_ready", "PT1H");
        String started = sent("POST", "/api/v1/flows/{id}/journeys", "/api/v1/flows/" + asked + "/journeys",
                Map.of("to", "+31612345801")).json().path("journeyId").asString();
        sent("POST", "/api/v1/journeys/{id}/cancel", "/api/v1/journeys/" + started + "/cancel",
                Map.of("reason", "the customer called"));
        expect(sent("POST", "/api/v1/journeys/cancel", "/api/v1/journeys/cancel",
                Map.of("to", "+31612345801")), 200);

        // A broadcast: its audience, its launch, a stop that cancels its journeys, and a resume.
        FlowFixtures.publish(api, Files.readString(Path.of("examples/flows/broadcast.json")));
        String sale = "/api/v1/flows/spring-sale";
        document.check("GET", "/api/v1/flows/{id}/audience", api.get(sale + "/audience"));
        expect(document.check("GET", "/api/v1/flows/{id}/audience", api.get(flowPath + "/audience")), 409);
        expect(sent("POST", "/api/v1/flows/{id}/journeys", flowPath + "/journeys", Map.of("to", "+31612345800")), 409);
        String launch = sent("POST", "/api/v1/flows/{id}/launch", sale + "/launch", "")
                .json().path("id").asString();
        await().atMost(PATIENCE).until(() -> "DONE".equals(api.get("/api/v1/launches/" + launch).json().path("state").asString()));
        document.check("GET", "/api/v1/launches/{id}", api.get("/api/v1/launches/" + launch));
        document.check("GET", "/api/v1/launches", api.get("/api/v1/launches"));
        document.check("GET", "/api/v1/flows/{id}/launches", api.get(sale + "/launches"));
        expect(sent("POST", "/api/v1/launches/{id}/cancel", "/api/v1/launches/" + launch + "/cancel", ""), 409);
        sent("POST", "/api/v1/flows/{id}/stop", sale + "/stop?cancelJourneys=true", "");
        for (var cancellation : document.check("GET", "/api/v1/flows/{id}/cancellations", api.get(sale + "/cancellations")).json()) {
            document.check("GET", "/api/v1/cancellations/{id}", api.get("/api/v1/cancellations/" + cancellation.path("id").asString()));
        }
        expect(sent("POST", "/api/v1/flows/{id}/resume", sale + "/resume", ""), 200);

        // A person's data, and its erasure.
        document.check("GET", "/api/v1/contacts/{id}/export", api.get(contacts + "/" + anna + "/export"));
        expect(document.check("DELETE", "/api/v1/contacts/{id}", api.delete(contacts + "/" + anna)), 200);
        expect(document.check("GET", "/api/v1/contacts/{id}", api.get(contacts + "/" + anna)), 404);

        assertThat(document.mismatches()).isEmpty();
        assertThat(document.checked()).isGreaterThan(60);
    }

    /** Sends a request whose body (none when empty) is held against the document, as its answer is. */
    private Api.Response sent(String method, String path, String target, Object body) {
        if (!"".equals(body)) {
            document.checkRequest(method, path, body);
        }
        return document.check(method, path, "PATCH".equals(method) ? api.patch(target, body) : api.post(target, body));
    }

    private static void expect(Api.Response answer, int status) {
        assertThat(answer.status()).as(answer.body()).isEqualTo(status);
    }
}
