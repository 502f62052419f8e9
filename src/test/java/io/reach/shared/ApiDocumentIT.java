package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.support.Api;
import io.reach.support.ReachIntegrationTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/** The OpenAPI document Reach serves says what the endpoints that create or queue something answer. */
@TestPropertySource(properties = "reach.sandbox.enabled=false")
class ApiDocumentIT extends ReachIntegrationTest {

    @Test
    void documentsTheStatusesOfTheEndpointsThatCreateOrQueue() {
        JsonNode paths = api.get("/v3/api-docs").json().path("paths");

        Map<String, List<String>> answers = Map.of(
                "/api/v1/contacts", List.of("201"),
                "/api/v1/senders", List.of("201"),
                "/api/v1/templates", List.of("201"),
                "/api/v1/flows", List.of("201"),
                "/api/v1/flows/{id}/journeys", List.of("200", "201"),
                "/api/v1/flows/{id}/launch", List.of("202"),
                "/api/v1/events", List.of("202"),
                "/api/v1/messages/whatsapp", List.of("200", "202"),
                "/api/v1/messages/sms", List.of("200", "202"),
                "/api/v1/messages/voice", List.of("200", "202"));
        answers.forEach((path, statuses) -> {
            JsonNode responses = paths.path(path).path("post").path("responses");
            assertThat(responses.propertyNames()).as(path).filteredOn(status -> status.startsWith("2"))
                    .containsExactlyInAnyOrderElementsOf(statuses);
            statuses.forEach(status -> assertThat(responses.path(status).path("content").isEmpty()).as(path + " " + status)
                    .isFalse());
        });
        assertThat(paths.path("/api/v1/launches/{id}").path("get").path("responses").has("200")).isTrue();
    }

    @Test
    void summarisesEveryEndpointAndDescribesItsQueryParametersUnderItsFeatureAndSaysWhichNeedNoToken() {
        JsonNode document = api.get("/v3/api-docs").json();
        Set<String> features = Set.of("Flows", "Journeys", "Contacts", "Templates", "Senders", "Messages",
                "Callbacks", "Provider webhooks", "Sandbox");
        int operations = 0;
        for (var path : document.path("paths").properties()) {
            for (var operation : path.getValue().properties()) {
                String endpoint = operation.getKey().toUpperCase() + " " + path.getKey();
                assertThat(operation.getValue().path("summary").asString()).as(endpoint).isNotBlank();
                assertThat(operation.getValue().path("tags")).as(endpoint).singleElement()
                        .satisfies(tag -> assertThat(features).contains(tag.asString()));
                // The webhooks carry their provider's signature, not the API's token.
                assertThat(operation.getValue().has("security")).as(endpoint).isEqualTo(path.getKey().startsWith("/webhooks/"));
                for (JsonNode parameter : operation.getValue().path("parameters")) {
                    if ("query".equals(parameter.path("in").asString())) {
                        assertThat(parameter.path("description").asString()).as(endpoint + " ?" + parameter.path("name").asString())
                                .isNotBlank();
                    }
                }
                operations++;
            }
        }
        assertThat(operations).isGreaterThanOrEqualTo(56);
        assertThat(document.path("tags")).extracting(tag -> tag.path("name").asString()).containsAll(features);
        JsonNode stop = document.path("paths").path("/api/v1/flows/{id}/stop").path("post");
        assertThat(stop.path("summary").asString()).contains("cancelJourneys=true");
        JsonNode after = document.path("paths").path("/api/v1/flows/{id}/journeys").path("get").path("parameters").valueStream()
                .filter(parameter -> "after".equals(parameter.path("name").asString())).findFirst().orElseThrow();
        assertThat(after.path("description").asString()).contains("Link header");
        // Every path under a flow names it by its id or its name, under a contact by its id or its number.
        Map<String, String> keys = Map.of("/api/v1/flows/{id}", "or its name", "/api/v1/contacts/{id}", "or its phone number");
        keys.forEach((under, said) -> assertThat(document.path("paths").properties().stream()
                .filter(path -> path.getKey().startsWith(under))
                .flatMap(path -> path.getValue().properties().stream())
                .flatMap(operation -> operation.getValue().path("parameters").valueStream())
                .filter(parameter -> "id".equals(parameter.path("name").asString()))
                .map(parameter -> parameter.path("description").asString()).toList())
                .as(under).hasSizeGreaterThan(3).allMatch(description -> description.contains(said)));
    }

    @Test
    void documentsEachOperationsSuccessAndTheErrorsItMayAnswerInTheirOneShape() {
        JsonNode document = api.get("/v3/api-docs").json();
        assertThat(document.path("components").path("schemas").path(OpenApiConfiguration.ERROR).path("required"))
                .extracting(JsonNode::asString).containsExactlyInAnyOrder("error", "message", "details");
        for (var path : document.path("paths").properties()) {
            for (var operation : path.getValue().properties()) {
                String endpoint = operation.getKey().toUpperCase() + " " + path.getKey();
                JsonNode responses = operation.getValue().path("responses");
                List<String> statuses = new ArrayList<>(responses.propertyNames());
                assertThat(statuses).as(endpoint).isSorted().anyMatch(status -> status.startsWith("2"))
                        .anyMatch(status -> status.startsWith("4"));
                if (path.getKey().startsWith("/api/")) {
                    assertThat(statuses).as(endpoint).contains("400", "401");
                    if (path.getKey().contains("{")) {
                        assertThat(statuses).as(endpoint).contains("404");
                    }
                    assertThat(statuses.contains("503")).as(endpoint).isEqualTo(!path.getKey().equals("/api/v1/smpp-links"));
                }
                for (var answer : responses.properties()) {
                    String said = endpoint + " " + answer.getKey();
                    // What a client generated from the document reads: JSON (no */*), errors in their one shape.
                    assertThat(answer.getValue().path("content").propertyNames()).as(said).doesNotContain("*/*");
                    if (!answer.getKey().startsWith("2")) {
                        assertThat(answer.getValue().path("content").path("application/json").path("schema").path("$ref")
                                .asString()).as(said).isEqualTo("#/components/schemas/" + OpenApiConfiguration.ERROR);
                    }
                    for (JsonNode header : answer.getValue().path("headers")) {
                        assertThat(header.has("schema")).as(said + " header").isTrue();
                    }
                }
            }
        }
        // A client generated from the document names its methods by these: each one's own, the same in every version.
        List<String> operationIds = document.path("paths").valueStream().flatMap(JsonNode::valueStream)
                .map(operation -> operation.path("operationId").asString()).toList();
        assertThat(operationIds).doesNotHaveDuplicates().allMatch(id -> id.matches("[a-z][A-Za-z]+"));
        assertThat(document.path("paths").path("/api/v1/contacts/{id}").path("get").path("operationId").asString())
                .isEqualTo("getContact");
        // Each of Twilio's callbacks: its form, and the refusals of one unsigned.
        for (String twilio : List.of("/webhooks/twilio/inbound", "/webhooks/twilio/status", "/webhooks/twilio/status/{messageId}")) {
            JsonNode callback = document.path("paths").path(twilio).path("post");
            assertThat(callback.path("responses").propertyNames()).as(twilio).contains("200", "401", "503");
            assertThat(callback.path("requestBody").path("content").propertyNames()).as(twilio)
                    .containsExactly("application/x-www-form-urlencoded");
        }
        // The bodies that are not a Java type's: a CSV file, Twilio's form as it posts it.
        assertThat(document.path("paths").path("/api/v1/contacts/import").path("post").path("requestBody").path("content")
                .propertyNames()).containsExactly("text/csv");
        assertThat(document.path("paths").path("/webhooks/twilio/inbound").path("post").path("requestBody").path("content")
                .path("application/x-www-form-urlencoded").path("schema").has("properties")).isFalse();
        // OpenAPI Generator refuses a 3.1 document whose license has neither an identifier nor a URL.
        assertThat(document.path("info").path("license").path("identifier").asString()).isNotBlank();
        JsonNode challenge = document.path("paths").path("/webhooks/whatsapp").path("get").path("responses").path("200");
        assertThat(challenge.path("content").propertyNames()).containsExactly("text/plain");
    }

    @Test
    void servesSwaggerUiOnReachsOwnDocumentWithNothingFromElsewhere() {
        Api.Response page = api.getWithoutToken("/swagger-ui/index.html");
        assertThat(page.status()).isEqualTo(200);
        String initializer = api.getWithoutToken("/swagger-ui/swagger-initializer.js").body();
        assertThat(initializer).contains("/v3/api-docs").doesNotContain("petstore", "https://");
    }

    @Test
    void documentsTheNextPageLinkOfTheListsThatHaveOne() {
        JsonNode paths = api.get("/v3/api-docs").json().path("paths");

        for (String path : List.of("/api/v1/flows/{id}/journeys", "/api/v1/flows/{id}/reports", "/api/v1/contacts",
                "/api/v1/messages", "/api/v1/inbound-messages", "/api/v1/journeys/{id}/path", "/api/v1/failing-callbacks",
                "/api/v1/contacts/{id}/conversation")) {
            JsonNode get = paths.path(path).path("get");
            assertThat(get.path("responses").path("200").path("headers").path("Link").path("description").asString())
                    .as(path).contains("rel=\"next\"");
            List<String> parameters = new ArrayList<>();
            get.path("parameters").forEach(parameter -> parameters.add(parameter.path("name").asString()));
            assertThat(parameters).as(path).contains("after", "limit");
            assertThat(get.path("responses").path("200").path("content").isEmpty()).as(path).isFalse();
        }
    }

    @Test
    void describesATemplatesValuesAsAListOrValuesByName() {
        JsonNode send = api.get("/v3/api-docs").json().path("components").path("schemas").path("SendTemplateRequest");

        for (String field : List.of("headerParameters", "bodyParameters")) {
            assertThat(send.path("properties").path(field).path("description").asString()).as(field)
                    .contains("a list of texts in their order", "an object of texts by name");
        }
    }
}
