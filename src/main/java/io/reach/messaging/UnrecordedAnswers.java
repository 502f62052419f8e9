package io.reach.messaging;

import io.reach.shared.JsonLines;
import io.reach.shared.PassingFailures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Providers' answers to sends (a message's id at its provider, or an SMS part's at the SMSC) that this node could not
 * record because the database failed, kept in {@code unrecorded-answers.jsonl} under the data directory from the
 * first failure until they are recorded. Without them a send the provider took is sent again once its lease ends,
 * when the node stops (or crashes) during the outage or the outage outlasts {@link Messages#RECORDING_PATIENCE}. With
 * them this node records the answer instead of sending again: as soon as it can once it started, every few seconds
 * while any is left, and whenever it claims one of their messages. Another node that claims such a message
 * first (this one still down) sends it again, as before: the file is this node's.
 * <p>
 * A line per answer kept and per answer recorded, forced to the disk before the recording is tried again; the file is
 * rewritten with what is left when the node starts. Nothing touches it while the database records at the first try.
 */
@Component
public class UnrecordedAnswers implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(UnrecordedAnswers.class);

    /**
     * A provider's answer to a send: its id for the message ({@code part} 0), or the SMSC's id for part {@code part}
     * of an SMS; {@code checkStatusAt} when Reach asks the provider for the status itself (Twilio), {@code at} when it
     * came.
     */
    public record Answer(UUID messageId, int part, String providerId, Instant checkStatusAt, Instant at) {

        String key() {
            return messageId + ":" + part;
        }
    }

    /** A message's parts (in their order) before the message: recorded submitted only once every part is. */
    private static final Comparator<Answer> PARTS_FIRST =
            Comparator.comparingInt(answer -> answer.part() == 0 ? Integer.MAX_VALUE : answer.part());

    private final JsonMapper json;
    private final Path file;
    private final Map<String, Answer> kept = new ConcurrentHashMap<>();
    private volatile Consumer<Answer> messageRecorder;
    private volatile Consumer<Answer> partRecorder;
    private final Duration patience;
    private FileChannel out;
    private volatile boolean running;

    @Autowired
    UnrecordedAnswers(JsonMapper json, @Value("${reach.data-dir:./data}") String dataDir) {
        this(json, Path.of(dataDir), Messages.RECORDING_PATIENCE);
    }

    /** Keeps its file in {@code directory}; a recording is tried again for {@code patience}. */
    UnrecordedAnswers(JsonMapper json, Path directory, Duration patience) {
        this.json = json;
        this.file = directory.resolve("unrecorded-answers.jsonl").toAbsolutePath().normalize();
        this.patience = patience;
        read();
    }

    /**
     * Records what an earlier run kept, before the dispatchers start: their claims would count one more attempt of each
     * message (and another node's, sooner or later, send it again).
     */
    @Override
    public void start() {
        running = true;
        replayAll();
    }

    @Override
    public void stop() {
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Before the dispatchers and the other background workers (at the default phase). */
    @Override
    public int getPhase() {
        return DEFAULT_PHASE - 128;
    }

    /** Where the answers are kept (for the log lines that name it). */
    public Path file() {
        return file;
    }

    /**
     * How answers are recorded once more, in one transaction, throwing when that fails: a message's ({@code parts}
     * false, by {@link Messages}) and an SMS part's ({@code parts} true, by the SMS channel).
     */
    public void recordWith(boolean parts, Consumer<Answer> recorder) {
        if (parts) {
            partRecorder = recorder;
        } else {
            messageRecorder = recorder;
        }
    }

    /**
     * Records {@code answer} by {@code recording}; while the database fails, keeps it here and tries again for
     * {@link Messages#RECORDING_PATIENCE}, recording it at once when a claim of its message or the next turn of
     * {@link #replayAll()} can. Throws when it gives up: the answer stays kept, to be recorded later.
     */
    public void record(Answer answer, Runnable recording) {
        try {
            recording.run();
            return;
        } catch (RuntimeException e) {
            if (!PassingFailures.isPassing(e)) {
                throw e;
            }
            keep(answer);
        }
        PassingFailures.retry(recording, patience);
        forget(answer);
    }

    /** What comes of a send whose answer could not be recorded, for the line that logs it. */
    public String whatComesOf(Answer answer) {
        return kept.containsKey(answer.key())
                ? "the answer is kept in " + file + ": this node records it once the database is back and does not send it"
                + " again (another node that claims it first, this one down, sends it again unless its status comes first)."
                : "unless its status comes first, it is sent again when its lease ends.";
    }

    /** How many answers are kept now. */
    public int size() {
        return kept.size();
    }

    /**
     * Records what is kept of one message's answers, its parts' first; true when there was any: the message is then
     * not sent now (it was, in whole or in part), but recorded submitted once every part is, or claimed again when
     * its lease ends to send the parts no provider took.
     */
    public boolean replay(UUID messageId) {
        if (kept.isEmpty()) {
            return false;
        }
        List<Answer> answers = kept.values().stream().filter(answer -> answer.messageId().equals(messageId))
                .sorted(PARTS_FIRST).toList();
        answers.forEach(this::replay);
        return !answers.isEmpty();
    }

    /**
     * Records a message's answer now, once, as a kept one is (an SMS whose last part's kept answer was just recorded:
     * the message was submitted, which its dispatcher would have recorded next); throws when the database fails.
     */
    public void recordNow(Answer answer) {
        Consumer<Answer> recorder = recorderOf(answer);
        if (recorder != null) {
            recorder.accept(answer);
        }
    }

    /**
     * Records every answer kept, each message's parts first; stops at the first that the database fails for the
     * moment, to try again at the next turn.
     */
    @Scheduled(fixedDelayString = "${reach.messaging.kept-answers-interval:2s}",
            initialDelayString = "${reach.messaging.kept-answers-interval:2s}") // start() took the first turn
    void replayAll() {
        if (kept.isEmpty()) {
            return;
        }
        List<Answer> answers = new ArrayList<>(kept.values());
        answers.sort(Comparator.comparing(Answer::messageId).thenComparing(PARTS_FIRST));
        for (Answer answer : answers) {
            if (!replay(answer)) {
                return;
            }
        }
    }

    /** Records one kept answer; false when the database failed for the moment (it stays kept). */
    private boolean replay(Answer answer) {
        Consumer<Answer> recorder = recorderOf(answer);
        if (recorder == null || !kept.containsKey(answer.key())) {
            return recorder != null;
        }
        try {
            recorder.accept(answer);
            log.info("Recorded the answer {} kept for message {}{} while the database failed; not sent again",
                    answer.providerId(), answer.messageId(), answer.part() > 0 ? " (part " + answer.part() + ")" : "");
        } catch (RuntimeException e) {
            if (PassingFailures.isPassing(e)) {
                return false;
            }
            log.warn("The answer {} kept for message {}{} cannot be recorded, and is dropped: {}", answer.providerId(),
                    answer.messageId(), answer.part() > 0 ? " (part " + answer.part() + ")" : "", PassingFailures.cause(e));
        }
        forget(answer);
        return true;
    }

    private Consumer<Answer> recorderOf(Answer answer) {
        return answer.part() > 0 ? partRecorder : messageRecorder;
    }

    private synchronized void keep(Answer answer) {
        if (kept.putIfAbsent(answer.key(), answer) == null) {
            append(line(answer));
        }
    }

    private ObjectNode line(Answer answer) {
        ObjectNode line = json.createObjectNode().put("message", answer.messageId().toString()).put("part", answer.part())
                .put("providerId", answer.providerId()).put("at", answer.at().toEpochMilli());
        if (answer.checkStatusAt() != null) {
            line.put("checkStatusAt", answer.checkStatusAt().toEpochMilli());
        }
        return line;
    }

    private synchronized void forget(Answer answer) {
        if (kept.remove(answer.key()) != null) {
            append(json.createObjectNode().put("recorded", answer.key()));
        }
    }

    private void append(ObjectNode line) {
        try {
            if (out == null) {
                Files.createDirectories(file.getParent());
                out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            }
            out.write(ByteBuffer.wrap((json.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8)));
            // On the disk before the recording is tried again: the answer is what keeps the message from going twice.
            out.force(false);
        } catch (IOException | RuntimeException e) {
            log.warn("Cannot write {} ({}); a send whose answer is not recorded may be sent again", file, e.toString());
        }
    }

    /** Reads what an earlier run kept and writes the file anew with only that. */
    private void read() {
        try {
            Map<String, Answer> left = new LinkedHashMap<>();
            for (JsonNode line : JsonLines.read(json, file)) {
                if (line.has("recorded")) {
                    left.remove(line.path("recorded").asString());
                } else if (line.has("message")) {
                    Answer answer = new Answer(UUID.fromString(line.path("message").asString()), line.path("part").asInt(),
                            line.path("providerId").asString(null), line.has("checkStatusAt")
                            ? Instant.ofEpochMilli(line.path("checkStatusAt").asLong()) : null,
                            Instant.ofEpochMilli(line.path("at").asLong()));
                    left.put(answer.key(), answer);
                }
            }
            if (left.isEmpty() && !Files.exists(file)) {
                return;
            }
            kept.putAll(left);
            if (!left.isEmpty()) {
                log.warn("{} providers' answers were kept in {} by an earlier run, which could not record them: recorded"
                        + " now, or as soon as the database can be reached; their messages are not sent again", left.size(), file);
            }
            JsonLines.rewrite(json, file, left.values().stream().map(this::line).toList());
        } catch (IOException | RuntimeException e) {
            log.warn("Cannot read or rewrite {} ({}); the answers it keeps that were read are recorded by this run: {}",
                    file, e.toString(), kept.size());
        }
    }
}
