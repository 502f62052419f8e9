package io.reach.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.sandbox.SandboxNetwork;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.awaitility.Awaitility;
import tools.jackson.databind.JsonNode;

/** The example flow and its population, set up through the API as a user would. */
public final class FlowFixtures {

    /** The seven handset groups of sandbox/flow-handsets.yml and how many contacts each has in the 200. */
    public static final Map<String, Integer> MIX = mix();

    private FlowFixtures() {}

    private static Map<String, Integer> mix() {
        Map<String, Integer> mix = new LinkedHashMap<>();
        mix.put("1", 40);
        mix.put("2", 20);
        mix.put("3", 30);
        mix.put("4", 40);
        mix.put("5", 30);
        mix.put("6", 20);
        mix.put("7", 20);
        return mix;
    }

    public static String phone(String group, int index) {
        return "+316130" + group + String.format("%04d", index);
    }

    /** The 200 contacts of the mix (or {@code perGroupDivisor} times fewer), imported in one CSV. */
    public static List<String> importPopulation(Api api, int perGroupDivisor) {
        StringBuilder csv = new StringBuilder("phone,first_name,consent\n");
        List<String> phones = new ArrayList<>();
        MIX.forEach((group, count) -> {
            for (int i = 0; i < count / perGroupDivisor; i++) {
                String phone = phone(group, i);
                phones.add(phone);
                csv.append(phone).append(",customer ").append(group).append(",utility\n");
            }
        });
        Api.Response report = api.postRaw("/api/v1/contacts/import", "text/csv", csv.toString().getBytes(), Map.of());
        assertThat(report.status()).as(report.body()).isEqualTo(200);
        assertThat(report.json().path("failed").asInt()).as(report.body()).isZero();
        return phones;
    }

    /** Registers a sandbox network's numbers (running in another process) under the default sandbox senders' names. */
    public static void registerSandboxSenders(Api api, SandboxNetwork sandbox) {
        created(api.post("/api/v1/senders", Map.of("name", "sandbox", "phoneNumberId", "100000000000001",
                "wabaId", "200000000000001", "displayNumber", "+15550100001", "accessToken", "sandbox-access-token",
                "appSecret", "sandbox-app-secret", "verifyToken", "sandbox-verify-token",
                "graphApiBaseUrl", "http://127.0.0.1:" + sandbox.graphApiPort(), "throughputPerSecond", 1000)));
        created(api.post("/api/v1/senders", Map.of("name", "sandbox-sms", "channel", "sms", "provider", "smpp",
                "fromAddress", "Reach", "secret", "sandbox", "settings", Map.of("host", "127.0.0.1",
                        "port", String.valueOf(sandbox.smsc().port()), "systemId", "reach", "enquireLinkSeconds", "5",
                        "window", "50", "submitsPerSecond", "1000"))));
        created(api.post("/api/v1/senders", Map.of("name", "sandbox-voice", "channel", "voice", "provider", "twilio",
                "fromAddress", "+14155552600", "secret", "sandbox-twilio-auth-token", "settings",
                Map.of("accountSid", "AC00000000000000000000000000000000", "baseUrl", "http://127.0.0.1:" + sandbox.twilioPort()))));
    }

    private static void created(Api.Response response) {
        assertThat(response.status()).as(response.body()).isEqualTo(201);
    }

    public static void orderReadyTemplate(Api api) {
        if (api.get("/api/v1/templates?name=order_ready").body().contains("\"order_ready\"")) {
            return;
        }
        Api.Response template = api.post("/api/v1/templates", Map.of("name", "order_ready", "language", "en_US",
                "category", "utility", "components", List.of(
                        Map.of("type", "HEADER", "format", "TEXT", "text", "Order {{1}}"),
                        Map.of("type", "BODY", "text", "Hi {{1}}, your order {{2}} is ready for pickup."),
                        Map.of("type", "BUTTONS", "buttons", List.of(Map.of("type", "QUICK_REPLY", "text", "Yes"),
                                Map.of("type", "QUICK_REPLY", "text", "No"))))));
        assertThat(template.status()).as(template.body()).isEqualTo(201);
    }

    /** Imports and publishes examples/flows/whatsapp-fallback.json; returns the flow id. */
    public static String publishExampleFlow(Api api) {
        try {
            return publish(api, Files.readString(Path.of("examples/flows/whatsapp-fallback.json")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Publishes a flow started through the API that sends the template (its order parameters, as {@link #orderReadyTemplate}
     * takes them) from {@code sender} and ends on its {@code delivered} status or after {@code timeout}; its flow id.
     */
    public static String publishSendThenAwaitDelivery(Api api, String name, String sender, String template, String timeout) {
        return publish(api, """
                {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"%s","template":"%s","language":"en_US",
                  "headerParameters":["A-7"],"bodyParameters":["{{contact.first_name}}","A-7"],"next":"status"},
                 {"id":"status","type":"branch_on_status","message":"send","timeout":"%s",
                  "branches":{"delivered":"end","timeout":"end"}},
                 {"id":"end","type":"end"}]}""".formatted(name, sender, template, timeout));
    }

    /** Imports a flow document (a new flow, or a new draft of the flow with its name) and publishes it; its flow id. */
    public static String publish(Api api, String document) {
        Api.Response imported = api.post("/api/v1/flows", document);
        assertThat(imported.status()).as(imported.body()).isIn(200, 201);
        String flowId = imported.json().path("flowId").asString();
        Api.Response published = api.post("/api/v1/flows/" + flowId + "/publish", "");
        assertThat(published.status()).as(published.body()).isEqualTo(200);
        return flowId;
    }

    public static void orderReady(Api api, String phone) {
        Api.Response event = api.post("/api/v1/events", Map.of("name", "order_ready", "to", phone,
                "properties", Map.of("order_id", "A-" + phone.substring(phone.length() - 4)), "key", "order-" + phone));
        assertThat(event.status()).as(event.body()).isEqualTo(202);
        assertThat(event.json().path("journeys")).hasSize(1);
    }

    /** The branches of a step that journeys took, with their counts (those at zero left out). */
    public static Map<String, Long> branches(JsonNode counts, String step) {
        Map<String, Long> branches = new TreeMap<>();
        counts.path("steps").path(step).path("branches").properties().stream().filter(e -> e.getValue().asLong() > 0)
                .forEach(e -> branches.put(e.getKey(), e.getValue().asLong()));
        return branches;
    }

    /**
     * Launches an audience flow, checks the 202 and its launch, and waits until the launch is done; the launch as it
     * ended (its {@code started}: the journeys it started).
     */
    public static JsonNode launch(Api api, String flowId) {
        Api.Response launched = api.post("/api/v1/flows/" + flowId + "/launch", "");
        assertThat(launched.status()).as(launched.body()).isEqualTo(202);
        return awaitLaunch(api, launched.json().path("id").asString(), "DONE");
    }

    /** Waits until the launch is in {@code state} (DONE, STOPPED), and gives it as it is then. */
    public static JsonNode awaitLaunch(Api api, String launchId, String state) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            last[0] = api.get("/api/v1/launches/" + launchId).json();
            assertThat(last[0].path("state").asString()).as(last[0].toString()).isEqualTo(state);
        });
        return last[0];
    }
}
