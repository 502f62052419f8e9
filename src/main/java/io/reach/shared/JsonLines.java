package io.reach.shared;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Files of one JSON object a line that a node appends to as things happen, and reads again when it starts. */
public final class JsonLines {

    private JsonLines() {}

    /**
     * The objects of the file, in their order; none when there is no file. A line that is not a whole JSON object is
     * skipped: the last line of a process killed while writing it.
     */
    public static List<JsonNode> read(JsonMapper json, Path file) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        List<JsonNode> objects = new ArrayList<>();
        for (String text : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            try {
                JsonNode line = json.readTree(text);
                if (line != null && line.isObject()) {
                    objects.add(line);
                }
            } catch (JacksonException cutShort) {
                // skipped, as said
            }
        }
        return objects;
    }

    /** Replaces the file with these lines at once (written beside it, forced to the disk, then moved over it). */
    public static void rewrite(JsonMapper json, Path file, List<? extends JsonNode> lines) throws IOException {
        Path fresh = file.resolveSibling(file.getFileName() + ".new");
        StringBuilder text = new StringBuilder();
        for (JsonNode line : lines) {
            text.append(json.writeValueAsString(line)).append('\n');
        }
        try (FileChannel out = FileChannel.open(fresh, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            out.write(ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8)));
            out.force(true);
        }
        Files.move(fresh, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
