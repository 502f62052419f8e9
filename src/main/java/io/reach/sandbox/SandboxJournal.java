package io.reach.sandbox;

import io.reach.shared.JsonLines;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * What the sandbox's handsets still owe Reach, kept in a file under Reach's data directory: each WhatsApp message the
 * Graph API accepted, SMS the SMSC took and message or call Twilio created, and how many of its events (webhooks,
 * receipts, callbacks) have gone out. Meta, an SMSC and Twilio keep a message going whatever happens to Reach; the
 * sandbox runs in Reach's process, so without this a restart of that process forgot the statuses and replies still to
 * come, and their journeys waited for their timeouts. After a restart each simulator sends what is left, at once for
 * what fell due meanwhile, and knows the ids it gave (a retried send gets the message it got before); the SMSC, which
 * counts its ids, goes on from those it reserved before.
 * <p>
 * One JSON line per acceptance and per event gone out, written through to the file at once (a {@code kill -9} loses
 * nothing that was answered; a crash of the machine may). Messages whose events have all gone out, or accepted more
 * than seven days ago (Meta's horizon too), are dropped when the file is rewritten: at start, and whenever it holds
 * several times more lines than messages still owed.
 */
final class SandboxJournal {

    private static final Logger log = LoggerFactory.getLogger(SandboxJournal.class);
    static final Duration HORIZON = Duration.ofDays(7);
    private static final int SMALLEST_REWRITE = 10_000;

    /**
     * A message a simulator ({@code channel}) accepted at {@code at} with its {@code id}, and what it needs to make its
     * events again ({@code fields}): its events (in their order) are still owed from index {@code taken} on.
     */
    record Owed(String channel, String id, Instant at, Map<String, String> fields, int events, int taken) {
        Owed {
            fields = Collections.unmodifiableMap(new TreeMap<>(fields));
        }

        Owed(String channel, String id, Instant at, Map<String, String> fields, int events) {
            this(channel, id, at, fields, events, 0);
        }

        String field(String name) {
            return fields.get(name);
        }

        private Owed taken(int taken) {
            return new Owed(channel, id, at, fields, events, taken);
        }
    }

    private final JsonMapper json;
    private final Path file;
    private final Map<String, Owed> owed = new LinkedHashMap<>();
    private final Map<String, Long> idsReserved = new TreeMap<>();
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
        SandboxJournal journal = new SandboxJournal(json, directory.resolve("owed.jsonl"));
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

    /** The messages of {@code channel} whose events are still owed, oldest first. */
    synchronized List<Owed> owed(String channel) {
        return owed.values().stream().filter(message -> message.channel().equals(channel)).toList();
    }

    /**
     * How far a simulator that counts its ids ({@code channel}) reserved them (0: never). It goes on above after a
     * restart, also once nothing is owed: an id given again would take a receipt of before to a new message.
     */
    synchronized long idsReserved(String channel) {
        return idsReserved.getOrDefault(channel, 0L);
    }

    /** Notes that a simulator may give the ids of {@code channel} up to {@code upTo}, before it gives any of them. */
    synchronized void reserveIds(String channel, long upTo) {
        idsReserved.merge(channel, upTo, Math::max);
        append(reservation(channel, idsReserved.get(channel)));
    }

    /** Notes a message a simulator accepted, before its answer goes out. */
    synchronized void accepted(Owed message) {
        if (message.events() == 0) {
            return;
        }
        owed.put(key(message.channel(), message.id()), message);
        append(acceptance(message));
    }

    /** Notes that the first {@code taken} events of a message have gone out. */
    synchronized void taken(String channel, String id, int taken) {
        if (!owed.containsKey(key(channel, id))) {
            return;
        }
        advance(channel, id, taken);
        append(progress(channel, id, taken));
        if (lines > SMALLEST_REWRITE && lines > 4L * owed.size()) {
            try {
                rewrite();
            } catch (IOException e) {
                log.warn("The sandbox could not rewrite {}; it keeps appending", file, e);
            }
        }
    }

    private static String key(String channel, String id) {
        return channel + " " + id;
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

    /** A message of which {@code taken} events went out: still owed the rest, or no longer when that was all. */
    private void advance(String channel, String id, int taken) {
        Owed message = owed.get(key(channel, id));
        if (message == null || taken <= message.taken()) {
            return;
        }
        if (taken >= message.events()) {
            owed.remove(key(channel, id));
        } else {
            owed.put(key(channel, id), message.taken(taken));
        }
    }

    private ObjectNode acceptance(Owed message) {
        ObjectNode line = json.createObjectNode();
        line.put("channel", message.channel());
        line.put("id", message.id());
        line.put("at", message.at().toEpochMilli());
        line.put("events", message.events());
        ObjectNode fields = line.putObject("fields");
        message.fields().forEach(fields::put);
        return line;
    }

    private ObjectNode reservation(String channel, long upTo) {
        return json.createObjectNode().put("channel", channel).put("idsUpTo", upTo);
    }

    private ObjectNode progress(String channel, String id, int taken) {
        return json.createObjectNode().put("channel", channel).put("id", id).put("taken", taken);
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
        Instant oldest = now.minus(HORIZON);
        for (JsonNode line : JsonLines.read(json, file)) {
            String channel = line.path("channel").asString(null);
            if (channel != null && line.has("idsUpTo")) {
                idsReserved.merge(channel, line.path("idsUpTo").asLong(), Math::max);
                continue;
            }
            String id = line.path("id").asString(null);
            if (channel == null || id == null) {
                continue;
            }
            if (line.has("taken")) {
                advance(channel, id, line.path("taken").asInt());
            } else {
                Instant at = Instant.ofEpochMilli(line.path("at").asLong());
                if (!at.isBefore(oldest)) {
                    Map<String, String> fields = new TreeMap<>();
                    line.path("fields").properties().forEach(field -> fields.put(field.getKey(), field.getValue().asString(null)));
                    owed.put(key(channel, id), new Owed(channel, id, at, fields, line.path("events").asInt()));
                }
            }
        }
    }

    /** Writes the file anew with the ids reserved and what is still owed, and appends from there. */
    private void rewrite() throws IOException {
        close();
        List<ObjectNode> fresh = new ArrayList<>();
        idsReserved.forEach((channel, upTo) -> fresh.add(reservation(channel, upTo)));
        for (Owed message : owed.values()) {
            fresh.add(acceptance(message));
            if (message.taken() > 0) {
                fresh.add(progress(message.channel(), message.id(), message.taken()));
            }
        }
        JsonLines.rewrite(json, file, fresh);
        lines = fresh.size();
        writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }
}
