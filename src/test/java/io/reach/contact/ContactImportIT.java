package io.reach.contact;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.support.Api;
import io.reach.support.ReachIntegrationTest;
import io.reach.support.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/** CSV import over HTTP: bad lines are reported by number and skipped, good ones upserted by phone, idempotently. */
@TestPropertySource(properties = "reach.sandbox.enabled=false")
class ContactImportIT extends ReachIntegrationTest {

    @Autowired
    private DataSource dataSource;

    @Test
    void importsTheValidLinesReportsEachBadOneAndChangesNothingOnReimport() throws IOException {
        byte[] csv = resource("/contacts/with-bad-lines.csv");

        JsonNode first = importCsv(csv);

        assertThat(first.path("lines").asInt()).isEqualTo(9);
        assertThat(first.path("created").asInt()).isEqualTo(4);
        assertThat(first.path("failed").asInt()).isEqualTo(5);
        assertThat(errorsByLine(first)).containsExactlyInAnyOrderEntriesOf(Map.of(
                4L, "phone", 5L, "phone", 6L, "consent", 7L, "opted_out", 8L, "-"));
        assertThat(first.path("errors").toString()).contains("'sms' is not a message category", "'maybe' is not true or false",
                "has 5 values but the header has 6 columns");

        JsonNode anna = api.get("/api/v1/contacts?phone=%2B31612345678").json().path(0);
        assertThat(anna.path("attributes").path("first_name").asString()).isEqualTo("Anna");
        assertThat(anna.path("attributes").path("city").asString()).isEqualTo("Amsterdam");
        assertThat(anna.path("tags").toString()).isEqualTo("[\"newsletter\",\"vip\"]");
        assertThat(anna.path("consent").path("marketing").asBoolean()).isTrue();
        assertThat(anna.path("consent").path("authentication").asBoolean()).isFalse();
        JsonNode hari = api.get("/api/v1/contacts?phone=%2B919876543210").json().path(0);
        assertThat(hari.path("optedOut").asBoolean()).isTrue();
        assertThat(hari.path("timeZone").asString()).isEqualTo("Asia/Calcutta");
        JsonNode ines = api.get("/api/v1/contacts?phone=%2B5511912345678").json().path(0);
        assertThat(ines.path("tags").toString()).isEqualTo("[\"a,b\"]");
        String annaUpdatedAt = anna.path("updatedAt").asString();
        int contactsAfterFirstImport = api.get("/api/v1/contacts?limit=1000").json().size();

        JsonNode again = importCsv(csv);

        assertThat(again.path("created").asInt()).isZero();
        assertThat(again.path("updated").asInt()).isZero();
        assertThat(again.path("unchanged").asInt()).isEqualTo(4);
        assertThat(again.path("failed").asInt()).isEqualTo(5);
        assertThat(api.get("/api/v1/contacts?phone=%2B31612345678").json().path(0).path("updatedAt").asString())
                .isEqualTo(annaUpdatedAt);
        assertThat(api.get("/api/v1/contacts?limit=1000").json()).hasSize(contactsAfterFirstImport);
    }

    @Test
    void importsOfFilesThatShareContactsRunAtOnceAndEachAddsAllItsLines() {
        // Files a CRM exports several times a day overlap, and a scheduler may post them side by side: each file
        // names the same contacts, in an order of its own, some already known and some new.
        List<String> known = new ArrayList<>();
        List<String> fresh = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            known.add("+3161555" + String.format("%04d", i));
            fresh.add("+3161556" + String.format("%04d", i));
        }
        StringBuilder first = new StringBuilder("phone,consent\n");
        known.forEach(phone -> first.append(phone).append(",utility\n"));
        assertThat(importCsv(first.toString().getBytes()).path("created").asInt()).isEqualTo(known.size());
        int files = 4;
        AtomicInteger next = new AtomicInteger();

        List<Api.Response> reports = Api.atOnce(files, () -> {
            int file = next.getAndIncrement();
            List<String> phones = new ArrayList<>(known);
            phones.addAll(fresh);
            Collections.shuffle(phones, new Random(file));
            StringBuilder csv = new StringBuilder("phone,tags,file_" + file + "\n");
            phones.forEach(phone -> csv.append(phone).append(",batch-").append(file).append(",yes\n"));
            return api.postRaw("/api/v1/contacts/import", "text/csv", csv.toString().getBytes(), Map.of());
        });

        assertThat(reports).extracting(Api.Response::status).as(reports.toString()).containsOnly(200);
        assertThat(reports).extracting(report -> report.json().path("failed").asInt()).containsOnly(0);
        assertThat(reports.stream().mapToInt(report -> report.json().path("created").asInt()).sum())
                .as("each new phone created once, by one of the files").isEqualTo(fresh.size());
        List<String> everyone = new ArrayList<>(known);
        everyone.addAll(fresh);
        for (String phone : everyone) {
            JsonNode contact = api.get("/api/v1/contacts?phone=" + phone.replace("+", "%2B")).json();
            assertThat(contact).as(phone).hasSize(1);
            assertThat(contact.path(0).path("tags").toString()).as(phone)
                    .isEqualTo("[\"batch-0\",\"batch-1\",\"batch-2\",\"batch-3\"]");
            for (int file = 0; file < files; file++) {
                assertThat(contact.path(0).path("attributes").path("file_" + file).asString()).as(phone).isEqualTo("yes");
            }
        }
    }

    @Test
    void anImportChosenAsADeadlocksVictimWritesItsChunkAgainAndImportsEveryLine() throws Exception {
        // Other work on the same contacts (a reply coming in, a journey's step) that locks them in another order than
        // the import does: a deadlock, whose victim the database chooses.
        importCsv("phone,consent\n+31615570001,utility\n+31615570002,utility\n".getBytes());
        String lockByPhone = "SELECT id FROM contacts WHERE phone = ? FOR UPDATE";
        List<String> byId = new ArrayList<>(List.of("+31615570001", "+31615570002"));
        byId.sort(Comparator.comparing(phone -> contactId(phone)));
        try (Connection other = dataSource.getConnection();
             ExecutorService importer = Executors.newSingleThreadExecutor()) {
            TestDatabase.lockRow(other, lockByPhone, byId.getLast());
            Future<Api.Response> imported = importer.submit(() -> api.postRaw("/api/v1/contacts/import",
                    "text/csv", "phone,tags\n+31615570001,deadlocked\n+31615570002,deadlocked\n".getBytes(), Map.of()));
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> TestDatabase
                    .sessionsWaitingForALock(JdbcClient.create(dataSource),
                            "FROM contacts WHERE phone IN") > 0);
            try {
                // The import holds the first contact and waits for the second; this takes the first: a circle.
                TestDatabase.lockRow(other, lockByPhone, byId.getFirst());
            } catch (SQLException chosenAsTheVictim) {
                // The database may choose this side instead: the import then goes on as it is.
            }
            other.rollback();

            Api.Response report = imported.get(30, TimeUnit.SECONDS);

            assertThat(report.status()).as(report.body()).isEqualTo(200);
            assertThat(report.json().path("updated").asInt()).as(report.body()).isEqualTo(2);
        }
        for (String phone : byId) {
            assertThat(api.get("/api/v1/contacts?phone=" + phone.replace("+", "%2B")).json().path(0).path("tags").toString())
                    .isEqualTo("[\"deadlocked\"]");
        }
    }

    private String contactId(String phone) {
        return api.get("/api/v1/contacts?phone=" + phone.replace("+", "%2B")).json().path(0).path("id").asString();
    }

    @Test
    void addsToExistingContactsWithoutTakingAnythingAway() {
        importCsv("phone,first_name,tags,consent\n+32 470 12 34 56,Jan,vip,utility\n".getBytes());

        JsonNode report = importCsv("phone,city,tags,consent\n+32470123456,Gent,beta,marketing\n".getBytes());

        assertThat(report.path("updated").asInt()).isEqualTo(1);
        JsonNode jan = api.get("/api/v1/contacts?phone=%2B32470123456").json().path(0);
        assertThat(jan.path("attributes").path("first_name").asString()).isEqualTo("Jan");
        assertThat(jan.path("attributes").path("city").asString()).isEqualTo("Gent");
        assertThat(jan.path("tags").toString()).isEqualTo("[\"beta\",\"vip\"]");
        assertThat(jan.path("consent").path("utility").asBoolean()).isTrue();
        assertThat(jan.path("consent").path("marketing").asBoolean()).isTrue();
    }

    @Test
    void readsWhatSpreadsheetsSaveWithAByteOrderMarkSemicolonsAndCapitalisedColumns() {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        String text = "Phone;first_name;Tags;Consent\r\n+33 6 12 34 56 78;Zoé;\"vip;newsletter\";utility\r\n";
        byte[] csv = concat(bom, text.getBytes(StandardCharsets.UTF_8));

        JsonNode report = importCsv(csv);

        assertThat(report.path("created").asInt()).as(report.toString()).isEqualTo(1);
        JsonNode zoe = api.get("/api/v1/contacts?phone=%2B33612345678").json().path(0);
        assertThat(zoe.path("attributes").path("first_name").asString()).isEqualTo("Zoé");
        assertThat(zoe.path("tags").toString()).isEqualTo("[\"newsletter\",\"vip\"]");
        assertThat(zoe.path("consent").path("utility").asBoolean()).isTrue();
    }

    @Test
    void refusesTheLinesThatAreNotUtf8AndImportsTheOthers() {
        byte[] csv = concat("phone,first_name\n+31612340001,Ann\n+31612340002,".getBytes(StandardCharsets.UTF_8),
                "Ren\u00e9e\n".getBytes(StandardCharsets.ISO_8859_1),
                "+31612340003,Bo\n".getBytes(StandardCharsets.UTF_8));

        JsonNode report = importCsv(csv);

        assertThat(report.path("created").asInt()).isEqualTo(2);
        assertThat(report.path("failed").asInt()).isEqualTo(1);
        assertThat(errorsByLine(report)).containsExactlyEntriesOf(Map.of(3L, "first_name"));
        assertThat(report.path("errors").path(0).path("message").asString()).contains("not UTF-8");
        assertThat(api.get("/api/v1/contacts?phone=%2B31612340002").json()).isEmpty();
        assertThat(api.get("/api/v1/contacts?phone=%2B31612340003").json()).hasSize(1);
    }

    @Test
    void refusesATimeZoneThatIsNoIanaNameOrAFixedOffsetWhichKnowsNoSummerTime() {
        JsonNode report = importCsv(("phone,time_zone\n+31612997701,+01:00\n+31612997702,GMT+1\n+31612997703,Mars/Base\n"
                + "+31612997704,Europe/Lisbon\n").getBytes(StandardCharsets.UTF_8));

        assertThat(report.path("created").asInt()).as(report.toString()).isEqualTo(1);
        assertThat(errorsByLine(report)).isEqualTo(Map.of(2L, "time_zone", 3L, "time_zone", 4L, "time_zone"));
        assertThat(report.path("errors").path(0).path("message").asString()).isEqualTo("'+01:00' is a fixed offset, which"
                + " knows no summer time: give the zone's IANA name (e.g. Europe/Amsterdam), or UTC");
        assertThat(report.path("errors").path(2).path("message").asString()).contains("is not an IANA time zone");
        assertThat(api.get("/api/v1/contacts?phone=%2B31612997704").json().path(0).path("timeZone").asString())
                .isEqualTo("Europe/Lisbon");
    }

    @Test
    void readsAFileInTheCharacterSetItsContentTypeNames() {
        byte[] latin1 = "phone;first_name\n+31612340011;Ren\u00e9e\n".getBytes(StandardCharsets.ISO_8859_1);
        byte[] windows1252 = "phone,first_name\n+31612340012,\u201cBo\u201d \u20ac\n".getBytes(Charset.forName("windows-1252"));

        Api.Response declared = api.postRaw("/api/v1/contacts/import", "text/csv; charset=ISO-8859-1", latin1, Map.of());
        Api.Response windows = api.postRaw("/api/v1/contacts/import", "text/csv;charset=windows-1252", windows1252, Map.of());
        Api.Response undecodable = api.postRaw("/api/v1/contacts/import", "text/csv; charset=windows-1252",
                "phone,first_name\n+31612340013,x\u0081\n".getBytes(StandardCharsets.ISO_8859_1), Map.of());
        Api.Response unknown = api.postRaw("/api/v1/contacts/import", "text/csv; charset=klingon", latin1, Map.of());

        assertThat(declared.json().path("created").asInt()).as(declared.body()).isEqualTo(1);
        assertThat(api.get("/api/v1/contacts?phone=%2B31612340011").json().path(0).path("attributes").path("first_name").asString())
                .isEqualTo("Ren\u00e9e");
        assertThat(windows.json().path("created").asInt()).as(windows.body()).isEqualTo(1);
        assertThat(api.get("/api/v1/contacts?phone=%2B31612340012").json().path(0).path("attributes").path("first_name").asString())
                .isEqualTo("\u201cBo\u201d \u20ac");
        assertThat(undecodable.json().path("errors").path(0).path("message").asString())
                .isEqualTo("is not windows-1252 text, as the Content-Type says the file is: save the file as CSV UTF-8");
        assertThat(unknown.status()).isEqualTo(415);
        assertThat(unknown.json().path("message").asString()).contains("unsupported charset 'klingon'");
        assertThat(api.postRaw("/api/v1/contacts", "application/json; charset=klingon", "{}".getBytes(), Map.of()).status())
                .as("a JSON body's too").isEqualTo(415);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            all.writeBytes(part);
        }
        return all.toByteArray();
    }

    @Test
    void refusesAFileWithoutAPhoneColumnAndImportsNothing() {
        int before = api.get("/api/v1/contacts?limit=1000").json().size();

        Api.Response response = api.postRaw("/api/v1/contacts/import", "text/csv",
                "name,city\nAnna,Amsterdam\n".getBytes(), Map.of());

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().path("error").asString()).isEqualTo("invalid_csv");
        assertThat(response.json().path("details").path(0).path("field").asString()).isEqualTo("phone");
        assertThat(api.get("/api/v1/contacts?limit=1000").json()).hasSize(before);
    }

    private JsonNode importCsv(byte[] csv) {
        Api.Response response = api.postRaw("/api/v1/contacts/import", "text/csv", csv, Map.of());
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        return response.json();
    }

    private static Map<Long, String> errorsByLine(JsonNode report) {
        Map<Long, String> errors = new HashMap<>();
        report.path("errors").forEach(e -> errors.put(e.path("line").asLong(),
                e.path("column").isMissingNode() || e.path("column").isNull() ? "-" : e.path("column").asString()));
        return errors;
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = ContactImportIT.class.getResourceAsStream(name)) {
            return in.readAllBytes();
        }
    }
}
