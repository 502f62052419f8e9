package io.reach.sender;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.support.Api;
import io.reach.support.ReachIntegrationTest;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** A sender's name is what the API takes wherever it takes the sender's id: it is never in the form of an id. */
class SenderNamesIT extends ReachIntegrationTest {

    @Test
    void aSenderIsNeitherRegisteredNorRenamedWithANameInTheFormOfAnId() {
        String idLike = UUID.randomUUID().toString();

        Api.Response registered = api.post("/api/v1/senders", smpp(idLike));

        assertThat(registered.status()).as(registered.body()).isEqualTo(400);
        assertThat(registered.json().path("message").asString()).isEqualTo("name: must not be in the form of an id: the"
                + " API, which takes a sender's id or name, would take it for an id");
        assertThat(registered.json().path("details").path(0).path("field").asString()).isEqualTo("name");
        assertThat(api.get("/api/v1/senders").json()).extracting(sender -> sender.path("name").asString())
                .doesNotContain(idLike);

        String name = "named-" + idLike;
        Api.Response plain = api.post("/api/v1/senders", smpp(name));
        assertThat(plain.status()).as(plain.body()).isEqualTo(201);
        String id = plain.json().path("id").asString();
        Api.Response renamed = api.patch("/api/v1/senders/" + name, Map.of("name", " " + idLike.toUpperCase() + " "));
        assertThat(renamed.status()).as(renamed.body()).isEqualTo(400);
        assertThat(renamed.json().path("details").path(0).path("field").asString()).isEqualTo("name");
        assertThat(api.get("/api/v1/senders/" + name).json().path("id").asString()).isEqualTo(id);
        assertThat(api.delete("/api/v1/senders/" + id).status()).isEqualTo(204);
    }

    /** An SMPP sender's registration, on the sandbox's SMSC. */
    private Map<String, Object> smpp(String name) {
        JsonNode sandbox = api.get("/api/v1/senders/sandbox-sms").json();
        return Map.of("name", name, "channel", "sms", "provider", "smpp", "fromAddress", "Shop", "secret", "sandbox",
                "settings", Map.of("host", "127.0.0.1", "port", sandbox.path("settings").path("port").asString(),
                        "systemId", "reach"));
    }
}
