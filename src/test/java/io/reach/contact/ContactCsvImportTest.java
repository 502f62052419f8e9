package io.reach.contact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reach.shared.ApiException;
import io.reach.shared.FieldProblem;

import java.io.StringReader;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The import's report, without Spring: lines refused before any contact is looked up or written. */
class ContactCsvImportTest {

    @Test
    void countsEveryRefusedLineButListsOnlyTheFirstThousand() {
        int bad = ContactCsvImport.LISTED_ERRORS * 2 + 7;
        StringBuilder csv = new StringBuilder("phone,city\n");
        for (int i = 0; i < bad; i++) {
            csv.append("+3161234").append(i).append('\n'); // one value where the header has two columns
        }

        ContactImportReport report = new ContactCsvImport(null, null, null).run(new StringReader(csv.toString()));

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
    @org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
    void logsHowFarALongImportGot(org.springframework.boot.test.system.CapturedOutput output) {
        StringBuilder csv = new StringBuilder("phone,city\n");
        for (int i = 0; i < 100_001; i++) {
            csv.append("+3161234\n");
        }

        run(csv.toString());

        assertThat(output.getOut()).contains("Importing contacts: 100000 lines read, 0 created, 0 updated, 0 unchanged, 100000 refused")
                .contains("Imported contacts: 100001 lines, 0 created, 0 updated, 0 unchanged, 100001 refused");
    }

    private static ContactImportReport run(String csv) {
        return new ContactCsvImport(null, null, null).run(new StringReader(csv));
    }
}
