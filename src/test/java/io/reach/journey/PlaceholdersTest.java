package io.reach.journey;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.contact.Contact;
import java.net.URI;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PlaceholdersTest {

    private static final Contact ANNA = new Contact(UUID.randomUUID(), "+31612345671", Map.of("first_name", "anna"), Set.of(),
            null, false, null, null, false, null, null, null, null);

    private static String url(String template, Map<String, String> variables) {
        return Placeholders.fillUrl(template, ANNA, variables).text();
    }

    @Test
    void encodesAValueInTheQueryAsOneValueSoThatAPhonesPlusStaysAPlus() {
        String url = url("https://crm.example/customers?phone={{contact.phone}}&q={{q}}", Map.of("q", "a&admin=1 b+c"));

        assertThat(url).isEqualTo("https://crm.example/customers?phone=%2B31612345671&q=a%26admin%3D1%20b%2Bc");
        assertThat(URI.create(url).getQuery()).isEqualTo("phone=+31612345671&q=a&admin=1 b+c"); // decoded, as a backend reads it
    }

    @Test
    void encodesAValueInThePathAsOneSegment() {
        assertThat(url("https://crm.example/customers/{{id}}/orders", Map.of("id", "../admin é")))
                .isEqualTo("https://crm.example/customers/..%2Fadmin%20%C3%A9/orders");
    }

    @Test
    void keepsAWholeBaseUrlOrAHostAsTheyAre() {
        assertThat(url("{{backend}}{{customer}}?x={{x}}", Map.of("backend", "http://127.0.0.1:8081/api/v1/customers/",
                "customer", "c 42", "x", "1/2")))
                .isEqualTo("http://127.0.0.1:8081/api/v1/customers/c%2042?x=1%2F2");
        assertThat(url("https://{{host}}/x", Map.of("host", "crm.example:8443"))).isEqualTo("https://crm.example:8443/x");
        // What a URL cannot hold is encoded even in a base URL.
        assertThat(url("{{backend}}", Map.of("backend", "http://h/a b\"c"))).isEqualTo("http://h/a%20b%22c");
    }

    @Test
    void namesAPlaceholderWithoutValueAndLeavesItEmpty() {
        Placeholders.Filled filled = Placeholders.fillUrl("https://crm.example/c?id={{nope}}", ANNA, Map.of());

        assertThat(filled.text()).isEqualTo("https://crm.example/c?id=");
        assertThat(filled.missing()).containsExactly("{{nope}}");
    }

    @Test
    void fillsTextsWithModifiersAndDefaults() {
        Placeholders.Filled filled = Placeholders.fill("Hi {{contact.first_name | CapitalizeFirst}}, {{city | default: there}} $1 \\",
                ANNA, Map.of());

        assertThat(filled.text()).isEqualTo("Hi Anna, there $1 \\");
        assertThat(filled.complete()).isTrue();
    }

    @Test
    void takesAValueOfSpacesOnlyAsNoValue() {
        Map<String, String> blank = Map.of("city", "  ", "name", " \t");

        assertThat(Placeholders.fill("to {{city | default: you}}", ANNA, blank).text()).isEqualTo("to you");
        Placeholders.Filled missing = Placeholders.fill("Hi {{name}}", ANNA, blank);
        assertThat(missing.complete()).isFalse();
        assertThat(missing.missing()).containsExactly("{{name}}");
    }
}
