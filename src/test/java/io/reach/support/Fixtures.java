package io.reach.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/** Creates the things a test needs through the REST API, the way a user would. */
public final class Fixtures {

    private Fixtures() {}

    public static JsonNode contact(Api api, String phone, Map<String, Boolean> consent, boolean optedOut) {
        Api.Response response = api.post("/api/v1/contacts", Map.of("phone", phone, "consent", consent,
                "optedOut", optedOut, "attributes", Map.of("first_name", "Test")));
        assertThat(response.status()).as(response.body()).isEqualTo(201);
        return response.json();
    }

    /** Registers a WhatsApp sender whose Graph API is at {@code graphApiBaseUrl} (a test's stand-in for Meta). */
    public static void metaSender(Api api, String name, String graphApiBaseUrl) {
        Api.Response sender = api.post("/api/v1/senders", Map.of("name", name, "phoneNumberId", "106540352242977",
                "wabaId", "102290129340398", "displayNumber", "+15550783881", "accessToken", "token", "appSecret", "secret",
                "verifyToken", "verify", "graphApiBaseUrl", graphApiBaseUrl, "graphApiVersion", "v21.0"));
        assertThat(sender.status()).as(sender.body()).isEqualTo(201);
    }

    public static JsonNode consentingContact(Api api, String phone) {
        return contact(api, phone, Map.of("marketing", true, "utility", true), false);
    }

    public static void consentingContactIfAbsent(Api api, String phone) {
        if (api.get("/api/v1/contacts?phone=" + phone.replace("+", "%2B")).json().isEmpty()) {
            consentingContact(api, phone);
        }
    }

    /** A utility template with a text header, two body placeholders and two quick replies. */
    /**
     * Registers the sandbox account's template with named placeholders, {@code reservation_confirmation}, as the
     * sandbox has it (its Meta refuses a send that does not name them), unless it is registered already.
     */
    public static void reservationTemplate(Api api) {
        Api.Response registered = api.post("/api/v1/templates", Map.of("name", "reservation_confirmation", "language", "en_US",
                "category", "utility", "components", List.of(Map.of("type", "BODY",
                        "text", "Your table for {{number_of_guests}} on {{day}} is confirmed. See you then!"))));
        assertThat(registered.status()).as(registered.body()).isIn(201, 409);
    }

    public static JsonNode orderTemplate(Api api, String name) {
        return orderTemplate(api, name, "utility");
    }

    /** The order template's components in a category of the test's. */
    public static JsonNode orderTemplate(Api api, String name, String category) {
        Api.Response response = api.post("/api/v1/templates", Map.of(
                "name", name, "language", "en_US", "category", category,
                "components", List.of(
                        Map.of("type", "HEADER", "format", "TEXT", "text", "Order {{1}}"),
                        Map.of("type", "BODY", "text", "Hi {{1}}, your order {{2}} is ready."),
                        Map.of("type", "BUTTONS", "buttons", List.of(
                                Map.of("type", "QUICK_REPLY", "text", "Yes"),
                                Map.of("type", "QUICK_REPLY", "text", "No"))))));
        assertThat(response.status()).as(response.body()).isEqualTo(201);
        return response.json();
    }

    public static Api.Response sendOrder(Api api, String sender, String template, String to) {
        return api.post("/api/v1/messages/whatsapp", Map.of("sender", sender, "to", to, "template", template,
                "language", "en_US", "headerParameters", List.of("A-17"), "bodyParameters", List.of("Anna", "A-17")));
    }

    public static Api.Response sendOrderWith(Api api, String sender, String template, String language, String to,
                                             List<String> header, List<String> body) {
        Api.Response response = api.post("/api/v1/messages/whatsapp", Map.of("sender", sender, "to", to, "template", template,
                "language", language, "headerParameters", header, "bodyParameters", body));
        assertThat(response.status()).as(response.body()).isEqualTo(202);
        return response;
    }

    /** The statuses of a message's timeline in the order they were recorded, without telling inferred ones apart. */
    public static List<String> statuses(Api api, String messageId) {
        return timeline(api, messageId).stream().map(s -> s.replace("(inferred)", "")).toList();
    }

    /** The statuses of a message's timeline, in the order they were recorded. */
    public static List<String> timeline(Api api, String messageId) {
        JsonNode message = api.get("/api/v1/messages/" + messageId).json();
        List<String> statuses = new ArrayList<>();
        message.path("timeline").forEach(event -> statuses.add(event.path("status").asString()
                + (event.path("inferred").asBoolean() ? "(inferred)" : "")));
        return statuses;
    }
}
