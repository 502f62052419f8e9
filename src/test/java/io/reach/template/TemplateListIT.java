package io.reach.template;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.support.Api;
import io.reach.support.ReachIntegrationTest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The list of templates over the API: by name, language and account, a page at a time, filtered by name or account. */
class TemplateListIT extends ReachIntegrationTest {

    @Test
    void listsTheTemplatesByNameLanguageAndAccountPageByPageWithoutGapsOrRepeats() {
        String name = "listed_" + UUID.randomUUID().toString().substring(0, 8).replace('-', '_');
        String firstAccount = "300000000000001";
        String secondAccount = "300000000000002";
        // Registered out of their order: one name in two languages, in no account and in two accounts.
        register(name, "en_US", secondAccount);
        register(name, "en_US", null);
        register(name, "de", null);
        register(name, "en_US", firstAccount);
        register(name + "_later", "en_US", null);

        List<JsonNode> ofName = api.allItems("/api/v1/templates?name=" + name + "&limit=1");
        List<JsonNode> ofAccount = api.allItems("/api/v1/templates?wabaId=" + secondAccount + "&limit=1");
        List<JsonNode> withoutAccount = api.allItems("/api/v1/templates?wabaId=&name=" + name + "&limit=1");
        Api.Response whole = api.get("/api/v1/templates?limit=1000");
        List<JsonNode> paged = api.allItems("/api/v1/templates?limit=2");

        assertThat(ofName).extracting(t -> t.path("language").asString() + " " + t.path("wabaId").asString(""))
                .containsExactly("de ", "en_US ", "en_US " + firstAccount, "en_US " + secondAccount);
        assertThat(ofAccount).extracting(t -> t.path("name").asString()).containsExactly(name);
        assertThat(withoutAccount).extracting(t -> t.path("language").asString() + " " + t.path("wabaId").asString(""))
                .containsExactly("de ", "en_US ");
        assertThat(whole.status()).isEqualTo(200);
        assertThat(whole.headers()).doesNotContainKey("link");
        List<String> all = whole.json().valueStream().map(t -> t.path("id").asString()).toList();
        assertThat(all).doesNotHaveDuplicates().containsAll(ofName.stream().map(t -> t.path("id").asString()).toList());
        assertThat(paged).extracting(t -> t.path("id").asString()).isEqualTo(all);
        assertThat(whole.json().valueStream().map(t -> t.path("name").asString()))
                .containsSubsequence(name, name, name, name, name + "_later");
    }

    @Test
    void refusesAPageAfterATemplateThatIsNoLongerThereOrOfAnUnusableSize() {
        String name = "gone_" + UUID.randomUUID().toString().substring(0, 8).replace('-', '_');
        String id = register(name, "en_US", null);
        assertThat(api.delete("/api/v1/templates/" + id).status()).isEqualTo(204);

        for (String query : List.of("after=" + id, "after=not-an-id", "limit=0", "limit=1001")) {
            Api.Response refused = api.get("/api/v1/templates?" + query);
            assertThat(refused.status()).as(query).isEqualTo(400);
            assertThat(refused.json().path("details").path(0).path("field").asString()).as(query)
                    .isEqualTo(query.substring(0, query.indexOf('=')));
        }
        assertThat(api.get("/api/v1/templates?after=" + id).json().path("details").path(0).path("message").asString())
                .contains("no template has this id");
    }

    private String register(String name, String language, String wabaId) {
        Map<String, Object> template = new HashMap<>(Map.of("name", name, "language", language,
                "category", "utility", "components", List.of(Map.of("type", "BODY", "text", "Hi {{1}}."))));
        if (wabaId != null) {
            template.put("wabaId", wabaId);
        }
        Api.Response registered = api.post("/api/v1/templates", template);
        assertThat(registered.status()).as(registered.body()).isEqualTo(201);
        return registered.json().path("id").asString();
    }
}
