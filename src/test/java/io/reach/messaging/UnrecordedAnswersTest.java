package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.QueryTimeoutException;
import tools.jackson.databind.json.JsonMapper;

class UnrecordedAnswersTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Instant NOW = Instant.parse("2026-12-05T01:00:00Z");
    private static final UUID MESSAGE = UUID.fromString("01a243a6-e2aa-72df-9eed-09ef5d1aaa69");

    @TempDir
    Path directory;

    private UnrecordedAnswers open(Duration patience) {
        return new UnrecordedAnswers(JSON, directory, patience);
    }

    private static UnrecordedAnswers.Answer answer(int part, String providerId) {
        return new UnrecordedAnswers.Answer(MESSAGE, part, providerId, part == 0 ? NOW.plusSeconds(60) : null, NOW);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static RuntimeException databaseDown() {
        return new QueryTimeoutException("canceling statement due to lock timeout");
    }

    @Test
    void anAnswerTheDatabaseRecordsAtTheFirstTryTouchesNoFile() {
        UnrecordedAnswers answers = open(Duration.ofSeconds(5));
        answers.record(answer(0, "wamid.a"), () -> { });
        assertThat(answers.size()).isZero();
        assertThat(answers.file()).doesNotExist();
    }

    @Test
    void anAnswerIsOnDiskWhileItsRecordingWaitsForTheDatabaseAndDroppedOnceRecorded() {
        UnrecordedAnswers answers = open(Duration.ofSeconds(30));
        AtomicInteger tries = new AtomicInteger();
        List<Boolean> onDisk = new ArrayList<>();
        answers.record(answer(0, "wamid.a"), () -> {
            // On the disk at each try but the first: what a node killed now finds when it starts again.
            onDisk.add(Files.exists(answers.file()) && read(answers.file()).contains("wamid.a"));
            if (tries.incrementAndGet() < 3) {
                throw databaseDown();
            }
        });
        assertThat(onDisk).containsExactly(false, true, true);
        assertThat(answers.size()).isZero();
        assertThat(open(Duration.ZERO).size()).isZero();
    }

    @Test
    void anAnswerWhoseRecordingGaveUpIsKeptForTheNextRunWhichRecordsItAndDoesNotSendItsMessageAgain() {
        UnrecordedAnswers first = open(Duration.ofMillis(200));
        UnrecordedAnswers.Answer answer = answer(0, "wamid.a");
        assertThatThrownBy(() -> first.record(answer, () -> {
            throw databaseDown();
        })).isInstanceOf(QueryTimeoutException.class);
        assertThat(first.whatComesOf(answer)).contains("kept in").contains("does not send it again");

        UnrecordedAnswers next = open(Duration.ofSeconds(5));
        List<UnrecordedAnswers.Answer> recorded = new ArrayList<>();
        next.recordWith(false, recorded::add);
        next.recordWith(true, recorded::add);

        assertThat(next.replay(UUID.randomUUID())).as("another message is sent as usual").isFalse();
        assertThat(next.replay(MESSAGE)).as("sent before: not sent again").isTrue();
        assertThat(recorded).containsExactly(answer);
        assertThat(next.size()).isZero();
        assertThat(open(Duration.ZERO).size()).isZero();
        assertThat(next.replay(MESSAGE)).as("once recorded, nothing is held back").isFalse();
    }

    @Test
    void anSmsPartsAnswersAreRecordedBeforeTheMessagesAndAPartTheDatabaseStillFailsHoldsTheMessageBack() {
        UnrecordedAnswers first = open(Duration.ofMillis(100));
        for (UnrecordedAnswers.Answer answer : List.of(answer(1, "5a000001"), answer(2, "5a000002"))) {
            assertThatThrownBy(() -> first.record(answer, () -> {
                throw databaseDown();
            })).isInstanceOf(QueryTimeoutException.class);
        }

        UnrecordedAnswers next = open(Duration.ofSeconds(5));
        List<String> recorded = new ArrayList<>();
        AtomicInteger failuresLeft = new AtomicInteger(1);
        next.recordWith(true, answer -> {
            if (failuresLeft.getAndDecrement() > 0) {
                throw databaseDown();
            }
            recorded.add(answer.providerId());
        });

        // Part 2 recorded, part 1 not yet: submitting now would send part 1 again.
        assertThat(next.replay(MESSAGE)).isTrue();
        assertThat(recorded).containsExactly("5a000002");
        next.replayAll();
        assertThat(recorded).containsExactly("5a000002", "5a000001");
        assertThat(next.replay(MESSAGE)).as("nothing kept any more: the message goes its usual way").isFalse();
    }

    @Test
    void aRecordingTheDatabaseRefusesIsNotKept() {
        UnrecordedAnswers answers = open(Duration.ofSeconds(5));
        UnrecordedAnswers.Answer answer = answer(0, "wamid." + "x".repeat(300));
        assertThatThrownBy(() -> answers.record(answer, () -> {
            throw new DataIntegrityViolationException("value too long for type character varying(200)");
        })).isInstanceOf(DataIntegrityViolationException.class);
        assertThat(answers.size()).isZero();
        assertThat(answers.whatComesOf(answer)).contains("it is sent again when its lease ends");
    }

    @Test
    void aKeptAnswerThatCanNeverBeRecordedIsDroppedWithAWarningAndALineCutShortByAKillIsSkipped() throws Exception {
        UnrecordedAnswers first = open(Duration.ofMillis(100));
        assertThatThrownBy(() -> first.record(answer(0, "wamid.gone"), () -> {
            throw databaseDown();
        })).isInstanceOf(QueryTimeoutException.class);
        Files.writeString(first.file(), "{\"message\":\"" + MESSAGE + "\",\"pa", StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);

        UnrecordedAnswers next = open(Duration.ofSeconds(5));
        assertThat(next.size()).isEqualTo(1);
        next.recordWith(false, answer -> {
            throw new IllegalStateException("a message to apply a status to is gone");
        });
        next.replayAll();
        assertThat(next.size()).isZero();
        assertThat(open(Duration.ZERO).size()).isZero();
    }
}
