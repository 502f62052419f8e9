package io.reach.contact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reach.shared.ApiException;
import io.reach.shared.FieldProblem;
import java.io.FilterReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** The import's report, without Spring: lines refused before any contact is looked up or written. */
class ContactCsvImportTest {

    @Test
    void countsEveryRefusedLineButListsOnlyTheFirstThousand() {
        int bad = ContactCsvImport.LISTED_ERRORS * 2 + 7;
        StringBuilder csv = new StringBuilder("phone,city\n");
        for (int i = 0; i < bad; i++) {
            csv.append("+3161234").append(i).append('\n'); // one value where the header has two columns
        }

        ContactImportReport report = new ContactCsvImport(null, null, null, StandardCharsets.UTF_8).run(new StringReader(csv.toString()));

        assertThat(report.lines()).isEqualTo(bad);
        assertThat(report.failed()).isEqualTo(bad);
        assertThat(report.created()).isZero();
        assertThat(report.errors()).hasSize(ContactCsvImport.LISTED_ERRORS);
        assertThat(report.errors().getFirst().line()).isEqualTo(2);
        assertThat(report.errors().getLast().line()).isEqualTo(ContactCsvImport.LISTED_ERRORS + 1);
        assertThat(report.errors().getFirst().message()).isEqualTo("has 1 values but the header has 2 columns");
    }

    @Test
    void refusesAColumnNamedTwiceNamingIt() {
        assertThatThrownBy(() -> run("phone,city,Phone\n+31612345678,Delft,x\n"))
                .isInstanceOfSatisfying(ApiException.class, refused -> {
                    assertThat(refused.status().value()).isEqualTo(400);
                    assertThat(refused.getMessage()).isEqualTo(
                            "The CSV header is not usable, nothing was imported: 'phone' appears twice in the header");
                    assertThat(List.<Object>copyOf(refused.details())).containsExactly(new FieldProblem("phone", "appears twice in the header"));
                });
    }

    @Test
    void refusesAMalformedHeaderAsABadRequestNotAFailure() {
        assertThatThrownBy(() -> run("\"phone\"x,name\n+31612345678,x\n"))
                .isInstanceOfSatisfying(ApiException.class, refused -> {
                    assertThat(refused.status().value()).isEqualTo(400);
                    assertThat(refused.code()).isEqualTo("invalid_csv");
                    assertThat(refused.getMessage()).startsWith("The CSV header is not usable, nothing was imported: malformed CSV: "
                            + "Invalid character between encapsulated token and delimiter");
                });
        assertThatThrownBy(() -> run("\"phone,name\n+31612345678,x\n"))
                .isInstanceOfSatisfying(ApiException.class, refused -> assertThat(refused.status().value()).isEqualTo(400));
    }

    @Test
    void saysAnEmptyFileIsEmpty() {
        for (String empty : List.of("", "\n\n", "\uFEFF")) {
            assertThatThrownBy(() -> run(empty)).isInstanceOfSatisfying(ApiException.class, refused -> {
                assertThat(refused.status().value()).isEqualTo(400);
                assertThat(refused.getMessage()).isEqualTo("The CSV is empty: it needs a header line with a 'phone' column,"
                        + " then a line per contact");
            });
        }
    }

    @Test
    void namesTheLineAMalformedRecordStartsOnAndCountsIt() {
        // Line 2 is refused (one value for two columns), lines 3 and 4 are one quoted record (three values: refused on the
        // line it starts on), line 5 is malformed.
        ContactImportReport report = run("phone,name\n+3161234\n+3161235,\"two\nlines\",x\n\"+3161236\"x,y\n+3161237,z\n");

        assertThat(report.lines()).isEqualTo(3);
        assertThat(report.failed()).isEqualTo(3);
        assertThat(report.errors()).extracting(ContactImportReport.LineError::line).containsExactly(2L, 3L, 5L);
        assertThat(report.errors().getLast().message()).startsWith("malformed CSV, the rest of the file was not read: "
                + "Invalid character between encapsulated token and delimiter at line: 5");
        // A quoted value the file never closes: the record starts on line 3.
        ContactImportReport unclosed = run("phone,name\n+3161234\n\"+3161235,x\n+3161236,y\n");
        assertThat(unclosed.errors()).extracting(ContactImportReport.LineError::line).containsExactly(2L, 3L);
        assertThat(unclosed.errors().getLast().message())
                .isEqualTo("malformed CSV, the rest of the file was not read: a quote opened on this line is never closed");
    }

    @Test
    void stopsAtARecordLongerThanAnyContactInsteadOfHoldingTheRestOfTheFileInMemory() {
        // A quote left open on line 3 makes the lines after it one value: the import stops once that value is longer
        // than a contact can be, not at the end of the file.
        StringBuilder csv = new StringBuilder("phone,name\n+3161234\n+3161235,\"Bo\n");
        String line = "+31612345678,Somebody with a long name\n";
        while (csv.length() < 2 * ContactCsvImport.MAX_RECORD_CHARS) {
            csv.append(line);
        }
        AtomicLong read = new AtomicLong();
        Reader counted = new FilterReader(new StringReader(csv.toString())) {
            @Override
            public int read(char[] buffer, int offset, int length) throws IOException {
                int n = super.read(buffer, offset, length);
                read.addAndGet(Math.max(n, 0));
                return n;
            }
        };

        ContactImportReport report = new ContactCsvImport(null, null, null, StandardCharsets.UTF_8).run(counted);

        assertThat(report.errors()).extracting(ContactImportReport.LineError::line).containsExactly(2L, 3L);
        assertThat(report.errors().getLast().message()).isEqualTo("malformed CSV, the rest of the file was not read: a record"
                + " (from this line on) is longer than " + ContactCsvImport.MAX_RECORD_CHARS + " characters: is a quote left open?");
        assertThat(read.get()).as("the rest of the file is not read").isLessThan(csv.length());
    }

    @Test
    void readsARecordAsLongAsTheLongestContact() {
        // 500 attributes of 4,000 characters, the most a contact holds, and one value more (refused for that alone,
        // before any contact is looked up): read whole, not taken for a quote left open.
        StringBuilder header = new StringBuilder("phone");
        StringBuilder values = new StringBuilder("+3161234");
        for (int i = 0; i < 500; i++) {
            header.append(",a").append(i);
            values.append(',').append("x".repeat(4000));
        }

        ContactImportReport report = run(header + "\n" + values + ",one more\n" + values + ",one more\n");

        assertThat(report.errors()).extracting(ContactImportReport.LineError::line).containsExactly(2L, 3L);
        assertThat(report.errors()).extracting(ContactImportReport.LineError::message)
                .containsOnly("has 502 values but the header has 501 columns");
    }

    @Test
    void aRecordOverSeveralLinesIsNamedByTheLineItStartsOnAfterEmptyLinesAndLineBreaksInItsValues() {
        // Line 2 is empty; lines 3 to 5 are one record (a value over three lines), refused (three values for two
        // columns); lines 6 and 7 are empty; line 8 is refused too.
        ContactImportReport report = run("phone,address\n\n+3161234,\"1 Main St\nDelft\nNetherlands\",x\n\n\n+3161235,y,z\n");

        assertThat(report.failed()).isEqualTo(2);
        assertThat(report.errors()).extracting(ContactImportReport.LineError::line).containsExactly(3L, 8L);
    }

    @Test
    void refusesTheNulCharacterWhichPostgreSqlCannotStoreNamingTheColumnOrTheLine() {
        assertThatThrownBy(() -> run("phone,ci\u0000ty\n+31612345678,x\n"))
                .isInstanceOfSatisfying(ApiException.class, refused -> assertThat(List.<Object>copyOf(refused.details()))
                        .contains(new FieldProblem("ci\u0000ty", "holds the NUL character (U+0000), as UTF-16 text does: save the file as CSV UTF-8")));

        ContactImportReport report = run("phone,city\n+31612345678,Del\u0000ft\n");

        assertThat(report.failed()).isEqualTo(1);
        assertThat(report.errors().getFirst().line()).isEqualTo(2);
        assertThat(report.errors().getFirst().column()).isEqualTo("city");
        assertThat(report.errors().getFirst().message()).startsWith("holds the NUL character");
    }

    @Test
    void readsATabSeparatedHeader() {
        ContactImportReport report = run("phone\tcity\n+3161234\n");

        assertThat(report.errors().getFirst().message()).isEqualTo("has 1 values but the header has 2 columns");
    }

    @Test
    void aHeaderThatIsNotUtf8NamesTheColumn() {
        assertThatThrownBy(() -> run("phone,caf\uFFFD\n+31612345678,x\n"))
                .isInstanceOfSatisfying(ApiException.class, refused -> assertThat(List.<Object>copyOf(refused.details())).containsExactly(
                        new FieldProblem("caf\uFFFD", "is not UTF-8 text: save the file as CSV UTF-8")));
    }

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void logsHowFarALongImportGot(CapturedOutput output) {
        StringBuilder csv = new StringBuilder("phone,city\n");
        for (int i = 0; i < 100_001; i++) {
            csv.append("+3161234\n");
        }

        run(csv.toString());

        assertThat(output.getOut()).contains("Importing contacts: 100000 lines read, 0 created, 0 updated, 0 unchanged, 100000 refused")
                .contains("Imported contacts: 100001 lines, 0 created, 0 updated, 0 unchanged, 100001 refused");
    }

    @Test
    void takesIanaNamesOfZonesAndOfFixedOnesAsTheyAreWritten() {
        assertThat(Contacts.ianaTimeZone(" Europe/Amsterdam ")).isEqualTo("Europe/Amsterdam");
        assertThat(Contacts.ianaTimeZone("UTC")).isEqualTo("UTC");
        assertThat(Contacts.ianaTimeZone("Etc/GMT-3")).isEqualTo("Etc/GMT-3");
        assertThatThrownBy(() -> Contacts.ianaTimeZone("Z")).hasMessageContaining("fixed offset");
        assertThatThrownBy(() -> Contacts.ianaTimeZone("UTC+01:00")).hasMessageContaining("fixed offset");
    }

    private static ContactImportReport run(String csv) {
        return new ContactCsvImport(null, null, null, StandardCharsets.UTF_8).run(new StringReader(csv));
    }
}
