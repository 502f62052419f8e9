package io.reach.contact;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
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
}
