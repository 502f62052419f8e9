package io.reach.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The sandbox's Graph API describing an access token over HTTP on loopback, as Meta's {@code debug_token} does. */
class SandboxTokenDescriptionTest {

    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void describesItsOwnTokenAsASystemUsersThatNeverExpiresAndAnyOtherAsNotValid() throws Exception {
        SandboxWebhooks webhooks = new SandboxWebhooks(json, Clock.systemUTC(), "106540352242978", "102290129340398",
                "+15550783881", "secret", 100, 1);
        webhooks.shutdown();
        SandboxGraphApi graphApi = new SandboxGraphApi(json, HandsetRules.load(null), webhooks, "106540352242978",
                "200000000000001", "+15550100001", "the-token", 100, null);
        int port = graphApi.start(0);
        try {
            JsonNode own = describe(port, "the-token", "the-token");
            assertThat(own.path("is_valid").asBoolean()).isTrue();
            assertThat(own.path("type").asString()).isEqualTo("SYSTEM_USER");
            assertThat(own.path("expires_at").asLong()).as("never").isZero();
            assertThat(own.path("scopes").valueStream().map(JsonNode::asString))
                    .containsExactly("whatsapp_business_management", "whatsapp_business_messaging");

            JsonNode other = describe(port, "the-token", "EAA-someone-elses");
            assertThat(other.path("is_valid").asBoolean()).isFalse();
            assertThat(other.path("error").path("code").asInt()).isEqualTo(190);
            assertThat(other.path("scopes").isEmpty()).isTrue();

            HttpResponse<String> unauthorised = get(port, "wrong-bearer", "the-token");
            assertThat(unauthorised.statusCode()).isEqualTo(401);
            assertThat(json.readTree(unauthorised.body()).path("error").path("code").asInt()).isEqualTo(190);
        } finally {
            graphApi.stop();
        }
    }

    private JsonNode describe(int port, String bearer, String input) throws Exception {
        HttpResponse<String> answer = get(port, bearer, input);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return json.readTree(answer.body()).path("data");
    }

    private static HttpResponse<String> get(int port, String bearer, String input) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/v21.0/debug_token?input_token=" + input)).header("Authorization", "Bearer " + bearer).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
