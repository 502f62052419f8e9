package io.reach.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

class SandboxJournalTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Instant NOW = Instant.parse("2026-12-04T10:00:00Z");

    @TempDir
    Path directory;

    private static SandboxJournal.Owed accepted(String wamid, Instant at, int events) {
        return new SandboxJournal.Owed("whatsapp", wamid, at, Map.of("to", "+31612345671", "key", "key-" + wamid), events);
    }

    @Test
    void aReopenedJournalOwesWhatReachHasNotTakenYetFromWhereItStopped() {
        SandboxJournal journal = SandboxJournal.open(JSON, directory, NOW);
        journal.accepted(accepted("wamid.a", NOW, 4));
        journal.accepted(accepted("wamid.b", NOW, 2));
        journal.accepted(accepted("wamid.c", NOW, 3));
        journal.taken("whatsapp", "wamid.a", 1);
        journal.taken("whatsapp", "wamid.a", 2);
        journal.taken("whatsapp", "wamid.a", 1); // an earlier event that went out late (an SMSC's kept receipt)
        journal.taken("whatsapp", "wamid.b", 1);
        journal.taken("whatsapp", "wamid.b", 2); // all of b's events: owed nothing more
        // No close: as a process killed there leaves it.

        SandboxJournal reopened = SandboxJournal.open(JSON, directory, NOW.plusSeconds(30));

        assertThat(reopened.owed("whatsapp")).containsExactly(
                new SandboxJournal.Owed("whatsapp", "wamid.a", NOW, Map.of("to", "+31612345671", "key", "key-wamid.a"), 4, 2),
                new SandboxJournal.Owed("whatsapp", "wamid.c", NOW, Map.of("to", "+31612345671", "key", "key-wamid.c"), 3, 0));
        assertThat(reopened.owed("twilio")).isEmpty();
    }

    @Test
    void forgetsMessagesOlderThanSevenDaysAndALineCutShortByAKill() throws IOException {
        SandboxJournal journal = SandboxJournal.open(JSON, directory, NOW);
        journal.accepted(accepted("wamid.old", NOW.minus(Duration.ofDays(8)), 2));
        journal.accepted(accepted("wamid.new", NOW, 2));
        journal.close();
        Files.writeString(directory.resolve("owed.jsonl"), "{\"channel\":\"whatsapp\",\"id\":\"wamid.new\",\"tak",
                StandardCharsets.UTF_8, StandardOpenOption.APPEND);

        SandboxJournal reopened = SandboxJournal.open(JSON, directory, NOW);

        assertThat(reopened.owed("whatsapp")).extracting(SandboxJournal.Owed::id).containsExactly("wamid.new");
        assertThat(reopened.owed("whatsapp").getFirst().taken()).isZero();
    }

    @Test
    void isRewrittenWithWhatIsStillOwedSoThatItDoesNotGrowWithTheTraffic() throws IOException {
        SandboxJournal journal = SandboxJournal.open(JSON, directory, NOW);
        for (int i = 0; i < 6_000; i++) {
            journal.accepted(accepted("wamid." + i, NOW, 2));
            journal.taken("whatsapp", "wamid." + i, 1);
            journal.taken("whatsapp", "wamid." + i, 2);
        }
        journal.accepted(accepted("wamid.left", NOW, 2));

        Path file = directory.resolve("owed.jsonl");
        assertThat(Files.readAllLines(file)).hasSizeLessThan(10_002);
        assertThat(SandboxJournal.open(JSON, directory, NOW).owed("whatsapp")).extracting(SandboxJournal.Owed::id)
                .containsExactly("wamid.left");
    }

    @Test
    void keepsTheIdsReservedThroughRewritesAndReopeningsAlsoOnceNothingIsOwed() {
        SandboxJournal journal = SandboxJournal.open(JSON, directory, NOW);
        journal.reserveIds("smpp", 20_000);
        journal.reserveIds("smpp", 10_000); // never back
        journal.accepted(accepted("wamid.a", NOW, 1));
        journal.taken("whatsapp", "wamid.a", 1);

        SandboxJournal reopened = SandboxJournal.open(JSON, directory, NOW); // rewritten: owes nothing
        assertThat(reopened.owed("whatsapp")).isEmpty();
        assertThat(reopened.idsReserved("smpp")).isEqualTo(20_000);
        assertThat(reopened.idsReserved("twilio")).isZero();
        reopened.close();
        assertThat(SandboxJournal.open(JSON, directory, NOW).idsReserved("smpp")).isEqualTo(20_000);
    }

    @Test
    void keepsNothingWhenItsDirectoryCannotBeWritten() throws IOException {
        Path notADirectory = Files.writeString(directory.resolve("file"), "x");

        assertThat(SandboxJournal.open(JSON, notADirectory.resolve("sandbox"), NOW)).isNull();
    }
}
