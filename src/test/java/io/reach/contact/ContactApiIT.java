package io.reach.contact;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.shared.Ids;
import io.reach.support.Api;
import io.reach.support.ReachIntegrationTest;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/** The contact, sender and template APIs refuse bad input with one error shape and never half-write. */
@TestPropertySource(properties = "reach.sandbox.enabled=false")
class ContactApiIT extends ReachIntegrationTest {

    @Test
    void refusesAnInvalidNumberWithA400ThatNamesTheField() {
        Api.Response response = api.post("/api/v1/contacts", Map.of("phone", "+1 555 0100", "tags", List.of("x")));

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().path("error").asString()).isEqualTo("invalid_request");
        assertThat(response.json().path("message").asString()).startsWith("phone:");
        assertThat(response.json().path("details").path(0).path("field").asString()).isEqualTo("phone");
        assertThat(api.get("/api/v1/contacts?tag=x").json()).isEmpty();
    }

    @Test
    void namesAContactByItsPhoneNumberWhereverItsIdGoes() {
        String id = api.post("/api/v1/contacts", Map.of("phone", "+31 6 1288 0001")).json().path("id").asString();

        assertThat(api.get("/api/v1/contacts/+31612880001").json().path("id").asString()).isEqualTo(id);
        assertThat(api.get("/api/v1/contacts/0031%206%201288%200001").json().path("id").asString()).isEqualTo(id);
        Api.Response changed = api.patch("/api/v1/contacts/+31612880001", Map.of("tags", List.of("by-number")));
        assertThat(changed.status()).as(changed.body()).isEqualTo(200);
        assertThat(changed.json().path("tags").path(0).asString()).isEqualTo("by-number");
        Api.Response export = api.get("/api/v1/contacts/+31612880001/export");
        assertThat(export.status()).isEqualTo(200);
        assertThat(export.json().path("contact").path("id").asString()).isEqualTo(id);
        Api.Response erased = api.delete("/api/v1/contacts/+31612880001");
        assertThat(erased.status()).as(erased.body()).isEqualTo(200);
        assertThat(erased.json().path("id").asString()).isEqualTo(id);

        Api.Response gone = api.get("/api/v1/contacts/+31612880001");
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.json().path("message").asString()).isEqualTo("No contact has the phone number +31612880001");
        assertThat(api.get("/api/v1/contacts/" + id).status()).isEqualTo(404);
        Api.Response neither = api.get("/api/v1/contacts/not-a-contact");
        assertThat(neither.status()).isEqualTo(400);
        assertThat(neither.json().path("details").path(0).path("field").asString()).isEqualTo("id");
        assertThat(neither.json().path("message").asString()).contains("neither a contact's id nor a phone number");
    }

    @Test
    void pagesContactsOfATagInTheOrderTheyWereCreatedThroughTheNextLink() {
        String tag = "page test & co " + System.nanoTime();
        List<String> created = new ArrayList<>();
        long numbers = System.nanoTime() % 9_000 + 1_000;
        for (int i = 0; i < 7; i++) {
            Api.Response contact = api.post("/api/v1/contacts", Map.of("phone", "+31612" + numbers + "5" + i, "tags", List.of(tag)));
            assertThat(contact.status()).as(contact.body()).isEqualTo(201);
            created.add(contact.json().path("id").asString());
        }
        String byTag = "/api/v1/contacts?tag=" + URLEncoder.encode(tag, StandardCharsets.UTF_8);

        List<JsonNode> pages = api.followPages(byTag + "&limit=3");

        assertThat(pages.stream().flatMap(page -> Api.ids(page).stream()).toList()).isEqualTo(created);
        assertThat(pages.stream().map(JsonNode::size).toList()).containsExactly(3, 3, 1);
        assertThat(Api.ids(api.get(byTag + "&limit=2&after=" + created.get(4)).json())).isEqualTo(created.subList(5, 7));
        assertThat(Api.ids(api.get(byTag + "&limit=2&offset=4").json())).isEqualTo(created.subList(4, 6));
        Api.Response unknown = api.get("/api/v1/contacts?after=" + Ids.newId());
        Api.Response both = api.get(byTag + "&after=" + created.getFirst() + "&offset=1");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().path("details").path(0).path("field").asString()).isEqualTo("after");
        assertThat(both.status()).isEqualTo(400);
        assertThat(both.json().path("details").path(0).path("field").asString()).isEqualTo("offset");
    }

    @Test
    void refusesAQueryParameterItsEndpointDoesNotTakeAndNamesThoseItTakes() {
        String phone = "+3161299" + (System.nanoTime() % 9_000 + 1_000);

        Api.Response misspelt = api.get("/api/v1/contacts?limit=5&tags=vip");
        Api.Response onACreate = api.post("/api/v1/contacts?dryRun=true", Map.of("phone", phone));
        Api.Response none = api.get("/api/v1/senders?x");
        Api.Response encoded = api.get("/api/v1/contacts?ta%67=vip&limit=1");

        assertThat(misspelt.status()).as(misspelt.body()).isEqualTo(400);
        assertThat(misspelt.json().path("error").asString()).isEqualTo("invalid_request");
        assertThat(misspelt.json().path("details").path(0).path("field").asString()).isEqualTo("tags");
        assertThat(misspelt.json().path("message").asString())
                .isEqualTo("tags: is not a parameter of this endpoint (it takes after, limit, offset, phone, tag)");
        assertThat(onACreate.status()).as(onACreate.body()).isEqualTo(400);
        assertThat(onACreate.json().path("details").path(0).path("field").asString()).isEqualTo("dryRun");
        assertThat(api.get("/api/v1/contacts?phone=" + URLEncoder.encode(phone, StandardCharsets.UTF_8))
                .json()).as("a refused request writes nothing").isEmpty();
        assertThat(none.status()).as(none.body()).isEqualTo(400);
        assertThat(none.json().path("message").asString()).isEqualTo("x: is not a parameter of this endpoint (it takes none)");
        assertThat(encoded.status()).as("a parameter's name is read decoded").isEqualTo(200);
    }

    @Test
    void saysWhatAParameterOfTheWrongKindMustBe() {
        Api.Response word = api.get("/api/v1/contacts?limit=ten");
        Api.Response maybe = api.get("/api/v1/failing-callbacks?discarded=maybe");
        Api.Response notAVersion = api.get("/api/v1/flows/" + Ids.newId() + "/versions/first/counts");

        assertThat(word.status()).isEqualTo(400);
        assertThat(word.json().path("message").asString()).isEqualTo("limit: must be a whole number, not 'ten'");
        assertThat(word.json().path("details").path(0).path("field").asString()).isEqualTo("limit");
        assertThat(maybe.json().path("message").asString()).isEqualTo("discarded: must be true or false, not 'maybe'");
        assertThat(notAVersion.json().path("message").asString()).isEqualTo("version: must be a whole number, not 'first'");
    }

    @Test
    void listsEveryProblemOfARequestAtOnce() {
        Api.Response response = api.post("/api/v1/contacts", Map.of("phone", "+81 90 1234 5678",
                "consent", Map.of("promotions", true), "attributes", Map.of("1st", "x"), "timeZone", "Mars/Base"));

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().path("details")).extracting(d -> d.path("field").asString())
                .containsExactlyInAnyOrder("attributes.1st", "consent.promotions", "timeZone");
        assertThat(api.get("/api/v1/contacts?phone=%2B819012345678").json()).isEmpty();
    }

    @Test
    void refusesMoreAttributesOrTagsThanAContactKeepsCountingThoseItHasAlready() {
        Map<String, String> attributes = new HashMap<>();
        List<String> tags = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            attributes.put("a" + i, "x");
            tags.add("t" + i);
        }
        Api.Response most = api.post("/api/v1/contacts", Map.of("phone", "+31 6 1299 0001", "attributes", attributes, "tags", tags));
        assertThat(most.status()).as(most.body()).isEqualTo(201);
        String id = most.json().path("id").asString();

        Api.Response oneMore = api.patch("/api/v1/contacts/" + id, Map.of("attributes", Map.of("a500", "x")));
        assertThat(oneMore.status()).isEqualTo(400);
        assertThat(oneMore.json().path("details").path(0).path("field").asString()).isEqualTo("attributes");
        assertThat(oneMore.json().path("details").path(0).path("message").asString()).contains("at most 500", "501");
        tags.add("t500");
        Api.Response tooMany = api.post("/api/v1/contacts", Map.of("phone", "+31 6 1299 0002", "tags", tags));
        assertThat(tooMany.status()).isEqualTo(400);
        assertThat(tooMany.json().path("details").path(0).path("field").asString()).isEqualTo("tags");
        assertThat(api.get("/api/v1/contacts?phone=%2B31612990002").json()).isEmpty();
        assertThat(api.get("/api/v1/contacts/" + id).json().path("attributes").size()).isEqualTo(500);
    }

    @Test
    void refusesABodyOfTheWrongShapeNamingWhereAndWhatWithoutJavasTypes() {
        Api.Response tagsAsText = api.post("/api/v1/contacts", "{\"phone\":\"+31612349901\",\"tags\":\"vip\"}");
        Api.Response nested = api.post("/api/v1/events", "{\"name\":\"order_ready\",\"to\":\"+31612349901\","
                + "\"properties\":{\"order\":{\"id\":7}}}");
        Api.Response broken = api.post("/api/v1/contacts", "{\"phone\": \"+31612349901\",\n \"tags\": [\"vip\" \"new\"]}");

        assertThat(tagsAsText.status()).isEqualTo(400);
        assertThat(tagsAsText.json().path("error").asString()).isEqualTo("malformed_request");
        assertThat(tagsAsText.json().path("message").asString()).endsWith("tags: must be an array, not text");
        assertThat(tagsAsText.json().path("details").path(0).path("field").asString()).isEqualTo("tags");
        assertThat(nested.status()).isEqualTo(400);
        assertThat(nested.json().path("message").asString()).endsWith("properties.order: must be text, not an object");
        assertThat(broken.status()).isEqualTo(400);
        assertThat(broken.json().path("message").asString()).contains("is not valid JSON").contains("line 2");
        for (Api.Response response : List.of(tagsAsText, nested, broken)) {
            assertThat(response.body()).doesNotContain("java.").doesNotContain("io.reach").doesNotContain("JsonToken");
        }
        assertThat(api.get("/api/v1/contacts?phone=%2B31612349901").json()).isEmpty();
    }

    @Test
    void refusesABodyLargerThanItsLimitWhetherItsLengthIsDeclaredOrNot() {
        int limit = 8 * 1024 * 1024;
        byte[] atLimit = paddedTo(limit, "{\"phone\":\"+31612349906\"}");
        byte[] atLimitChunked = paddedTo(limit, "{\"phone\":\"+31612349907\"}");
        byte[] over = paddedTo(limit + 1, "{\"phone\":\"+31612349908\"}");

        // With its length declared, the client is answered before it sends the body (a client that sends it all
        // the same finds the connection closed once Tomcat has swallowed 2 MB of it).
        Api.Response declared = api.postExpectingContinue("/api/v1/contacts", "application/json", over);
        Api.Response chunked = api.postChunked("/api/v1/contacts", "application/json", over);
        Api.Response withoutToken = api.postWithoutToken("/api/v1/contacts", "application/json", over);
        Api.Response fits = api.postRaw("/api/v1/contacts", "application/json", atLimit, Map.of());
        Api.Response fitsChunked = api.postChunked("/api/v1/contacts", "application/json", atLimitChunked);

        for (Api.Response refused : List.of(declared, chunked)) {
            assertThat(refused.status()).as(refused.body()).isEqualTo(413);
            assertThat(refused.json().path("error").asString()).isEqualTo("too_large");
            assertThat(refused.json().path("message").asString())
                    .isEqualTo("The request body is larger than 8MB, the most Reach reads (reach.api.max-body-size)");
        }
        assertThat(withoutToken.status()).as("the token is asked for first").isEqualTo(401);
        assertThat(api.get("/api/v1/contacts?phone=%2B31612349908").json()).isEmpty();
        assertThat(fits.status()).as(fits.body()).isEqualTo(201);
        assertThat(fitsChunked.status()).as(fitsChunked.body()).isEqualTo(201);
        assertThat(api.get("/api/v1/contacts?phone=%2B31612349907").json()).hasSize(1);
    }

    /** {@code json} followed by spaces up to {@code size} bytes: still the same JSON. */
    private static byte[] paddedTo(int size, String json) {
        byte[] body = new byte[size];
        Arrays.fill(body, (byte) ' ');
        byte[] text = json.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(text, 0, body, 0, text.length);
        return body;
    }

    @Test
    void refusesTextWithTheNulCharacterNamingTheFieldInsteadOfFailingOnPostgreSql() {
        Api.Response contact = api.post("/api/v1/contacts",
                "{\"phone\":\"+31612349904\",\"attributes\":{\"first_name\":\"An\\u0000na\"},\"tags\":[\"v\\u0000ip\"]}");
        Api.Response flow = api.post("/api/v1/flows", "{\"name\":\"no\\u0000name\",\"entry\":{\"type\":\"api\"},"
                + "\"start\":\"e\",\"steps\":[{\"id\":\"e\",\"type\":\"end\"}]}");
        Api.Response send = api.post("/api/v1/messages/whatsapp", "{\"sender\":\"sandbox\",\"to\":\"+31612349904\","
                + "\"template\":\"order_ready\",\"language\":\"en_US\",\"bodyParameters\":{\"name\":\"An\\u0000na\"}}");
        Api.Response step = api.post("/api/v1/flows", "{\"name\":\"nul-values\",\"entry\":{\"type\":\"api\"},"
                + "\"start\":\"s\",\"steps\":[{\"id\":\"s\",\"type\":\"send_whatsapp\",\"sender\":\"sandbox\","
                + "\"template\":\"order_ready\",\"language\":\"en_US\",\"bodyParameters\":[\"An\\u0000na\"],\"next\":\"e\"},"
                + "{\"id\":\"e\",\"type\":\"end\"}]}");

        assertThat(contact.status()).as(contact.body()).isEqualTo(400);
        assertThat(contact.json().path("error").asString()).isEqualTo("malformed_request");
        assertThat(contact.json().path("details").path(0).path("field").asString()).isEqualTo("attributes.first_name");
        assertThat(contact.json().path("details").path(0).path("message").asString())
                .isEqualTo("must not contain the NUL character (U+0000)");
        assertThat(api.get("/api/v1/contacts?phone=%2B31612349904").json()).isEmpty();
        assertThat(flow.status()).as(flow.body()).isEqualTo(400);
        assertThat(flow.json().path("error").asString()).isEqualTo("invalid_flow");
        assertThat(flow.json().path("message").asString()).contains("name: must not contain the NUL character (U+0000)");
        // A template's values too, in a list or by name (read apart from the other texts).
        assertThat(send.status()).as(send.body()).isEqualTo(400);
        assertThat(send.json().path("details").path(0).path("field").asString()).isEqualTo("bodyParameters");
        assertThat(send.json().path("message").asString()).contains("must not contain the NUL character (U+0000)");
        assertThat(step.status()).as(step.body()).isEqualTo(400);
        assertThat(step.json().path("message").asString()).contains("bodyParameters")
                .contains("must not contain the NUL character (U+0000)");
    }

    @Test
    void refusesAFieldWrittenTwiceInsteadOfTakingTheLast() {
        Api.Response twice = api.post("/api/v1/contacts", "{\"phone\":\"+31612390001\",\"phone\":\"+31612390002\"}");

        assertThat(twice.status()).as(twice.body()).isEqualTo(400);
        assertThat(twice.json().path("error").asString()).isEqualTo("malformed_request");
        assertThat(twice.json().path("message").asString()).contains("Duplicate Object property \"phone\"");
        assertThat(api.get("/api/v1/contacts?phone=%2B31612390001").json()).isEmpty();
        assertThat(api.get("/api/v1/contacts?phone=%2B31612390002").json()).isEmpty();
    }

    @Test
    void refusesAFieldTheRequestDoesNotHaveInsteadOfDoingItWithout() {
        Api.Response misspelt = api.post("/api/v1/contacts", "{\"phone\":\"+31612349903\",\"opted_out\":true}");
        Api.Response event = api.post("/api/v1/events", "{\"name\":\"order_ready\",\"to\":\"+31612349903\",\"props\":{}}");

        assertThat(misspelt.status()).as(misspelt.body()).isEqualTo(400);
        assertThat(misspelt.json().path("error").asString()).isEqualTo("malformed_request");
        assertThat(misspelt.json().path("details").path(0).path("field").asString()).isEqualTo("opted_out");
        assertThat(misspelt.json().path("message").asString()).contains("opted_out: is not a field here (the fields are ")
                .contains("optedOut");
        assertThat(event.status()).as(event.body()).isEqualTo(400);
        assertThat(event.json().path("details").path(0).path("field").asString()).isEqualTo("props");
        assertThat(api.get("/api/v1/contacts?phone=%2B31612349903").json()).isEmpty();
    }

    @Test
    void aNewNumberBringsItsTimeZoneUnlessOneWasSetApartFromTheNumber() {
        Api.Response created = api.post("/api/v1/contacts", Map.of("phone", "+31 6 1299 0101"));
        String id = created.json().path("id").asString();
        assertThat(created.json().path("timeZone").asString()).isEqualTo("Europe/Amsterdam");

        JsonNode moved = api.patch("/api/v1/contacts/" + id, Map.of("phone", "+1 212 555 0101")).json();
        JsonNode set = api.patch("/api/v1/contacts/" + id, Map.of("timeZone", "Asia/Tokyo")).json();
        JsonNode movedBack = api.patch("/api/v1/contacts/" + id, Map.of("phone", "+31 6 1299 0101")).json();
        JsonNode both = api.patch("/api/v1/contacts/" + id, Map.of("phone", "+44 7911 129901", "timeZone", "Europe/Dublin")).json();

        assertThat(moved.path("timeZone").asString()).isEqualTo("America/New_York");
        assertThat(set.path("timeZone").asString()).isEqualTo("Asia/Tokyo");
        assertThat(movedBack.path("phone").asString()).isEqualTo("+31612990101");
        assertThat(movedBack.path("timeZone").asString()).as("set apart from the number").isEqualTo("Asia/Tokyo");
        assertThat(both.path("timeZone").asString()).isEqualTo("Europe/Dublin");
        assertThat(api.get("/api/v1/contacts/" + id).json().path("timeZone").asString()).isEqualTo("Europe/Dublin");

        // Given back to the number, it follows the number again.
        JsonNode cleared = api.patch("/api/v1/contacts/" + id, Map.of("timeZone", "")).json();
        JsonNode movedAgain = api.patch("/api/v1/contacts/" + id, Map.of("phone", "+81 90 1299 0101")).json();
        assertThat(cleared.path("timeZone").asString()).as("a UK mobile's").isEqualTo("Europe/London");
        assertThat(movedAgain.path("timeZone").asString()).isEqualTo("Asia/Tokyo");
        // A fixed offset knows no summer time: the window of a contact in Amsterdam would be an hour off half the year.
        Api.Response offset = api.patch("/api/v1/contacts/" + id, Map.of("timeZone", "+01:00"));
        assertThat(offset.status()).isEqualTo(400);
        assertThat(offset.json().path("details").path(0).path("message").asString()).contains("fixed offset", "IANA name");
    }

    @Test
    void createsChangesAndFindsAContactByAnyWayOfWritingItsNumber() {
        Api.Response created = api.post("/api/v1/contacts", Map.of("phone", "+44 (0) 7911 123 400",
                "attributes", Map.of("first_name", "Eve"), "tags", List.of("vip"), "consent", Map.of("utility", true)));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(created.json().path("phone").asString()).isEqualTo("+447911123400");
        assertThat(created.json().path("timeZone").asString()).isEqualTo("Europe/London");
        String id = created.json().path("id").asString();

        Api.Response duplicate = api.post("/api/v1/contacts", Map.of("phone", "00447911123400"));
        assertThat(duplicate.status()).isEqualTo(409);

        JsonNode changed = api.patch("/api/v1/contacts/" + id, Map.of("attributes", Map.of("city", "Leeds"),
                "optedOut", true)).json();
        assertThat(changed.path("attributes").path("first_name").asString()).isEqualTo("Eve");
        assertThat(changed.path("attributes").path("city").asString()).isEqualTo("Leeds");
        assertThat(changed.path("optedOut").asBoolean()).isTrue();
        assertThat(changed.path("optedOutAt").isMissingNode()).isFalse();
        assertThat(api.get("/api/v1/contacts?phone=07911123400").status()).isEqualTo(400);
        assertThat(api.get("/api/v1/contacts?phone=%2B44%207911%20123400").json().path(0).path("id").asString()).isEqualTo(id);
        assertThat(api.get("/api/v1/contacts/not-an-id").status()).isEqualTo(400);
        assertThat(api.get("/api/v1/contacts/0199a0a0-0000-7000-8000-000000000000").status()).isEqualTo(404);
    }

    @Test
    void answersTheTimesOfAContactAsAReadGivesThemBack() {
        Api.Response created = api.post("/api/v1/contacts", Map.of("phone", "+44 7911 123 401"));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String id = created.json().path("id").asString();
        JsonNode changed = api.patch("/api/v1/contacts/" + id, Map.of("optedOut", true)).json();

        JsonNode read = api.get("/api/v1/contacts/" + id).json();

        assertThat(read.path("createdAt").asString()).isEqualTo(created.json().path("createdAt").asString());
        assertThat(read.path("updatedAt").asString()).isEqualTo(changed.path("updatedAt").asString());
        assertThat(read.path("optedOutAt").asString()).isEqualTo(changed.path("optedOutAt").asString());
    }

    @Test
    void answersAConflictNotAFailureWhenRequestsCreateTheSameThingAtOnce() {
        List<Api.Response> contacts = Api.atOnce(6, () -> api.post("/api/v1/contacts", Map.of("phone", "+44 7911 123 402")));
        List<Api.Response> templates = Api.atOnce(6, () -> api.post("/api/v1/templates", Map.of("name", "at_once",
                "language", "en_US", "category", "utility", "components", List.of(Map.of("type", "BODY", "text", "Hi {{1}}")))));
        List<Api.Response> senders = Api.atOnce(6, () -> api.post("/api/v1/senders", Map.of("name", "at-once",
                "phoneNumberId", "123456789012399", "wabaId", "1234567", "displayNumber", "+31612340000",
                "accessToken", "t", "appSecret", "s", "verifyToken", "v")));

        String first = api.post("/api/v1/contacts", Map.of("phone", "+44 7911 123 403")).json().path("id").asString();
        String second = api.post("/api/v1/contacts", Map.of("phone", "+44 7911 123 404")).json().path("id").asString();
        AtomicInteger turn = new AtomicInteger();
        List<Api.Response> renumbered = Api.atOnce(2, () -> api.patch("/api/v1/contacts/"
                + (turn.getAndIncrement() == 0 ? first : second), Map.of("phone", "+44 7911 123 405")));

        assertThat(renumbered).extracting(Api.Response::status).containsExactlyInAnyOrder(200, 409);
        for (List<Api.Response> answers : List.of(contacts, templates, senders)) {
            assertThat(answers).extracting(Api.Response::status).as(answers.stream().map(Api.Response::body).toList().toString())
                    .containsOnly(201, 409).containsOnlyOnce(201);
            assertThat(answers).filteredOn(answer -> answer.status() == 409)
                    .allSatisfy(answer -> assertThat(answer.json().path("message").asString()).contains("already"));
        }
    }

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void answersAClientThatTakesNoJsonWithA406InJsonAndNoFailureInTheLog(
            CapturedOutput output) {
        // A client asking for a CSV report (reports are JSON for now), or for a PDF.
        for (String accept : List.of("text/csv", "application/pdf")) {
            Api.Response answer = api.get("/api/v1/contacts?limit=1", Map.of("Accept", accept));

            assertThat(answer.status()).as(accept).isEqualTo(406);
            assertThat(answer.headers().get("content-type")).singleElement().asString().startsWith("application/json");
            assertThat(answer.json().path("error").asString()).isEqualTo("not_acceptable");
            assertThat(answer.json().path("message").asString()).isEqualTo("Reach cannot answer in any type the"
                    + " request's Accept header takes (" + accept + "): ask for application/json");
        }
        assertThat(output.getOut()).doesNotContain("Unexpected failure").doesNotContain("Failure in @ExceptionHandler");
    }

    @Test
    void refusesARequestWhoseAcceptTakesNoJsonBeforeDoingWhatItAsksAndAnswersRefusalsInJsonWhateverItTakes() {
        // Spring finds the type out when it writes the answer: the contact was created, then the client told 406
        // (and a retry created it again, or queued a message twice).
        for (String accept : List.of("text/csv", "application/xml", "application/yaml", "application/json;q=0", "no type")) {
            Api.Response create = api.postRaw("/api/v1/contacts", "application/json",
                    "{\"phone\":\"+31612390011\"}".getBytes(StandardCharsets.UTF_8), Map.of("Accept", accept));

            assertThat(create.status()).as(accept).isEqualTo(406);
            assertThat(create.json().path("error").asString()).as(accept).isEqualTo("not_acceptable");
            assertThat(api.get("/api/v1/contacts?phone=%2B31612390011").json()).as(accept).isEmpty();
        }
        // A refusal is answered in JSON whatever the Accept (it was an empty 500): an endpoint without a body, none at all.
        for (Api.Response refused : List.of(api.delete("/api/v1/templates/" + UUID.randomUUID(), Map.of("Accept", "text/csv")),
                api.get("/api/v1/no-such-thing", Map.of("Accept", "text/csv")))) {
            assertThat(refused.status()).as(refused.body()).isEqualTo(404);
            assertThat(refused.headers().get("content-type")).singleElement().asString().startsWith("application/json");
            assertThat(refused.json().path("error").asString()).isEqualTo("not_found");
        }
        // XML and YAML, which Reach answered when asked though its API is JSON.
        assertThat(api.get("/api/v1/contacts?limit=1", Map.of("Accept", "application/xml")).status()).isEqualTo(406);
        // Whatever takes JSON among other types is answered in JSON.
        for (String accept : List.of("text/csv, application/json;q=0.5", "application/*", "*/*;q=0.1", "application/*+json")) {
            Api.Response create = api.postRaw("/api/v1/contacts", "application/json",
                    ("{\"phone\":\"+3161239" + (1000 + accept.length()) + "\"}").getBytes(StandardCharsets.UTF_8),
                    Map.of("Accept", accept));
            assertThat(create.status()).as(accept + ": " + create.body()).isEqualTo(201);
            assertThat(create.headers().get("content-type")).as(accept).singleElement().asString()
                    .startsWith("application/json");
        }
    }

    @Test
    void requiresTheApiToken() {
        Api.Response response = api.getWithoutToken("/api/v1/contacts");
        assertThat(response.status()).isEqualTo(401);
        assertThat(response.json().path("error").asString()).isEqualTo("unauthorized");
        Api.Response wrong = new Api("http://127.0.0.1:" + port, "wrong").get("/api/v1/contacts");
        assertThat(wrong.status()).isEqualTo(401);
    }

    @Test
    void requiresTheApiTokenOnEveryPathThatReachesTheApi() {
        // Each reaches the contacts' handler once decoded and stripped of ";" parameters, as handlers are matched.
        for (String disguised : List.of("/api;x=1/v1/contacts", "/%61pi/v1/contacts", "/api/v1;x=1/contacts",
                "/api/v1/contacts;jsessionid=1", "/api/%76%31/contacts")) {
            Api.Response response = api.getWithoutToken(disguised);
            assertThat(response.status()).as(disguised + ": " + response.body()).isEqualTo(401);
            assertThat(api.get(disguised).status()).as(disguised + " with the token").isEqualTo(200);
        }
    }

    @Test
    void neverShowsASendersSecrets() {
        Api.Response created = api.post("/api/v1/senders", Map.of("name", "shop", "phoneNumberId", "123456789012345",
                "wabaId", "987654321", "displayNumber", "+15550001234", "accessToken", "EAAG-very-secret",
                "appSecret", "s3cr3t-app", "verifyToken", "v3rify"));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String id = created.json().path("id").asString();
        JsonNode rotated = api.patch("/api/v1/senders/" + id, Map.of("accessToken", "EAAG-rotated-secret")).json();

        for (String body : List.of(created.body(), rotated.toString(), api.get("/api/v1/senders").body(),
                api.get("/api/v1/senders/" + id).body())) {
            assertThat(body).doesNotContain("EAAG-very-secret", "EAAG-rotated-secret", "s3cr3t-app", "v3rify");
        }
        assertThat(rotated.path("accessTokenSet").asBoolean()).isTrue();
        assertThat(rotated.path("graphApiBaseUrl").asString()).isEqualTo("https://graph.facebook.com");

        Api.Response tooLong = api.patch("/api/v1/senders/" + id, Map.of("accessToken", "E".repeat(2001)));
        assertThat(tooLong.status()).as(tooLong.body()).isEqualTo(400);
        assertThat(tooLong.json().path("details").path(0).path("field").asString()).isEqualTo("accessToken");
        assertThat(tooLong.body()).doesNotContain("EEEE");

        Api.Response missing = api.post("/api/v1/senders", Map.of("name", "half"));
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.json().path("details")).hasSizeGreaterThan(3);
        assertThat(api.get("/api/v1/senders").body()).doesNotContain("\"half\"");
    }

    @Test
    void changesATemplatesStatusOnlyAndRefusesAnotherFieldRatherThanDropIt() {
        Api.Response registered = api.post("/api/v1/templates", Map.of("name", "status_only", "language", "en_US",
                "category", "utility", "components", List.of(Map.of("type", "BODY", "text", "Hi."))));
        assertThat(registered.status()).as(registered.body()).isEqualTo(201);
        String id = registered.json().path("id").asString();

        Api.Response both = api.patch("/api/v1/templates/" + id, Map.of("status", "PAUSED", "category", "marketing"));

        assertThat(both.status()).as(both.body()).isEqualTo(400);
        assertThat(both.json().path("error").asString()).isEqualTo("malformed_request");
        assertThat(both.json().path("details").path(0).path("field").asString()).isEqualTo("category");
        assertThat(api.get("/api/v1/templates/" + id).json().path("status").asString()).isEqualTo("APPROVED");
        assertThat(api.patch("/api/v1/templates/" + id, Map.of()).json().path("message").asString())
                .isEqualTo("status: is required");
        Api.Response paused = api.patch("/api/v1/templates/" + id, Map.of("status", "PAUSED"));
        assertThat(paused.status()).as(paused.body()).isEqualTo(200);
        assertThat(paused.json().path("status").asString()).isEqualTo("PAUSED");
        assertThat(paused.json().path("category").asString()).isEqualTo("utility");
    }

    @Test
    void validatesTemplatesOnCreation() {
        Api.Response bad = api.post("/api/v1/templates", Map.of("name", "Bad Name", "language", "english",
                "category", "promo", "components", List.of(
                        Map.of("type", "HEADER", "format", "TEXT", "text", "{{1}} and {{2}}"),
                        Map.of("type", "BODY", "text", "Hi {{1}}, see {{3}}"),
                        Map.of("type", "BUTTONS", "buttons", List.of(
                                Map.of("type", "URL", "text", "Go", "url", "https://x.example/{{1}}/more"),
                                Map.of("type", "PHONE_NUMBER", "text", "Call", "phone_number", "12345"))))));

        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().path("error").asString()).isEqualTo("invalid_template");
        assertThat(bad.json().path("details")).extracting(d -> d.path("field").asString()).contains("name", "language",
                "category", "components[0].text", "components[1].text", "components[2].buttons[0].url",
                "components[2].buttons[1].phone_number");
        assertThat(api.get("/api/v1/templates?limit=1000").body()).doesNotContain("Bad Name");
    }
}
