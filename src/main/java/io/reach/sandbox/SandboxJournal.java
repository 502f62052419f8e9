package io.reach.sandbox;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * What the sandbox's handsets still owe Reach, kept in a file under Reach's data directory: each WhatsApp message the
 * Graph API accepted, and how many of its webhook events Reach has taken. Meta keeps a message's statuses coming
 * whatever happens to Reach; the sandbox runs in Reach's process, so without this a restart of that process forgot
 * the statuses and replies still to come, and its journeys waited for their timeouts. After a restart the sandbox
 * sends what is left, at once for what fell due meanwhile, and answers a retried send (same {@code Idempotency-Key})
 * with the message it accepted before.
 * <p>
 * One JSON line per acceptance and per event taken, written through to the file at once (a {@code kill -9} loses
 * nothing that was answered; a crash of the machine may). Messages whose events were all taken, or accepted more than
 * seven days ago (Meta's horizon too), are dropped when the file is rewritten: at start, and whenever it holds several
 * times more lines than messages still owed.
 */
final class SandboxJournal {

    private static final Logger log = LoggerFactory.getLogger(SandboxJournal.class);
    static final Duration HORIZON = Duration.ofDays(7);
    private static final int SMALLEST_REWRITE = 10_000;

    /** A message the Graph API accepted: its events (in their order) still owed from index {@code taken} on. */
    record Accepted(String wamid, String e164, String callbackData, String idempotencyKey, Instant at, int events, int taken) {}

    private final JsonMapper json;
    private final Path file;
    private final Map<String, Accepted> owed = new LinkedHashMap<>();
    private BufferedWriter writer;
    private long lines;

    private SandboxJournal(JsonMapper json, Path file) {
        this.json = json;
        this.file = file;
    }

    /**
     * Opens the journal in {@code directory}, reading what an earlier run left; null (and a warning: the sandbox then
     * forgets at a restart, as before) when the directory cannot be written.
     */
    static SandboxJournal open(JsonMapper json, Path directory, Instant now) {
        SandboxJournal journal = new SandboxJournal(json, directory.resolve("whatsapp-messages.jsonl"));
        try {
            Files.createDirectories(directory);
            journal.read(now);
            journal.rewrite();
            return journal;
        } catch (IOException | RuntimeException e) {
            log.warn("The sandbox cannot keep its handsets' pending webhooks in {} ({}); a restart forgets them", directory,
                    e.toString());
            return null;
        }
    }

    /** The messages whose events are still owed, oldest first. */
    synchronized List<Accepted> owed() {
        return new ArrayList<>(owed.values());
    }

    /** Notes a message the Graph API accepted, before its answer goes out. */
    synchronized void accepted(Accepted message) {
        if (message.events() == 0) {
            return;
        }
        owed.put(message.wamid(), message);
        append(acceptance(message));
    }

    /** Notes that Reach took the first {@code taken} events of a message. */
    synchronized void taken(String wamid, int taken) {
        if (!owed.containsKey(wamid)) {
            return;
        }
        advance(wamid, taken);
        append(json.createObjectNode().put("wamid", wamid).put("taken", taken));
        if (lines > SMALLEST_REWRITE && lines > 4L * owed.size()) {
            try {
                rewrite();
            } catch (IOException e) {
                log.warn("The sandbox could not rewrite {}; it keeps appending", file, e);
            }
        }
    }

    synchronized void close() {
        if (writer != null) {
            try {
                writer.close();
            } catch (IOException e) {
                log.debug("closing {}", file, e);
            }
            writer = null;
        }
    }

    /** A message of which Reach took {@code taken} events: still owed the rest, or no longer when that was all. */
    private void advance(String wamid, int taken) {
        Accepted message = owed.get(wamid);
        if (message == null) {
            return;
        }
        if (taken >= message.events()) {
            owed.remove(wamid);
        } else {
            owed.put(wamid, new Accepted(wamid, message.e164(), message.callbackData(), message.idempotencyKey(), message.at(),
                    message.events(), taken));
        }
    }

    private ObjectNode acceptance(Accepted message) {
        ObjectNode line = json.createObjectNode();
        line.put("wamid", message.wamid());
        line.put("to", message.e164());
        line.put("callbackData", message.callbackData());
        line.put("key", message.idempotencyKey());
        line.put("at", message.at().toEpochMilli());
        line.put("events", message.events());
        return line;
    }

    private void append(ObjectNode line) {
        if (writer == null) {
            return;
        }
        try {
            writer.write(json.writeValueAsString(line));
            writer.newLine();
            writer.flush();
            lines++;
        } catch (IOException e) {
            log.warn("The sandbox cannot write {} any more ({}); a restart will forget what it owes", file, e.toString());
            close();
        }
    }

    private void read(Instant now) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        Instant oldest = now.minus(HORIZON);
        for (String text : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            JsonNode line;
            try {
                line = json.readTree(text);
            } catch (JacksonException cutShort) {
                continue; // the last line of a process killed while writing it
            }
            String wamid = line.path("wamid").asString(null);
            if (wamid == null) {
                continue;
            }
            if (line.has("taken")) {
                advance(wamid, line.path("taken").asInt());
            } else {
                Instant at = Instant.ofEpochMilli(line.path("at").asLong());
                if (!at.isBefore(oldest)) {
                    owed.put(wamid, new Accepted(wamid, line.path("to").asString(), line.path("callbackData").asString(null),
                            line.path("key").asString(null), at, line.path("events").asInt(), 0));
                }
            }
        }
    }

    /** Writes the file anew with what is still owed, and appends from there. */
    private void rewrite() throws IOException {
        close();
        Path fresh = file.resolveSibling(file.getFileName() + ".new");
        lines = 0;
        try (BufferedWriter out = Files.newBufferedWriter(fresh, StandardCharsets.UTF_8)) {
            for (Accepted message : owed.values()) {
                out.write(json.writeValueAsString(acceptance(message)));
                out.newLine();
                lines++;
                if (message.taken() > 0) {
                    out.write(json.writeValueAsString(json.createObjectNode().put("wamid", message.wamid())
                            .put("taken", message.taken())));
                    out.newLine();
                    lines++;
                }
            }
        }
        Files.move(fresh, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }
}
