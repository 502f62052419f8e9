package io.reach.shared;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * The bearer token of the REST API: {@code reach.api.token} when set, otherwise one generated on first start
 * and kept in {@code <data dir>/api-token} so that it survives restarts. It is never logged.
 */
@Component
public class ApiToken {

    private final String value;
    private final Path file;

    ApiToken(@Value("${reach.api.token:}") String configured, @Value("${reach.data-dir:./data}") String dataDir) {
        if (!configured.isBlank()) {
            this.value = configured.trim();
            this.file = null;
            return;
        }
        this.file = Path.of(dataDir).resolve("api-token").toAbsolutePath().normalize();
        this.value = readOrCreate(file);
    }

    private static String readOrCreate(Path file) {
        try {
            if (Files.exists(file)) {
                String stored = Files.readString(file).trim();
                if (!stored.isEmpty()) {
                    return stored;
                }
            }
            Files.createDirectories(file.getParent());
            byte[] bytes = new byte[24];
            new SecureRandom().nextBytes(bytes);
            String token = HexFormat.of().formatHex(bytes);
            Files.writeString(file, token + "\n");
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException notPosix) {
                // Windows: the file keeps the folder's permissions.
            }
            return token;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read or create the API token file " + file, e);
        }
    }

    public String value() {
        return value;
    }

    /** Where the token is kept, or a hint that it came from configuration. */
    public String whereToFind() {
        return file == null ? "the reach.api.token setting" : file.toString();
    }
}
