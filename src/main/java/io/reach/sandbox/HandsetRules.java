package io.reach.sandbox;

import io.reach.shared.JsonProblem;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.dataformat.yaml.YAMLMapper;

/** The sandbox's population of virtual handsets, read from a YAML file; the first matching rule decides. */
public record HandsetRules(List<Handset> handsets) {

    static final String DEFAULT_RESOURCE = "sandbox/handsets.yml";

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    public HandsetRules {
        handsets = handsets == null ? List.of() : List.copyOf(handsets);
        for (int i = 0; i < handsets.size(); i++) {
            Handset handset = handsets.get(i);
            if (handset == null || handset.match() == null || handset.match().isBlank()) {
                throw new IllegalArgumentException("handsets[" + i + "] needs a 'match' pattern");
            }
            Handset.toRegex(handset.match());
            if (handset.call() != null && !Set.of("answered", "busy", "no-answer", "failed").contains(handset.call())) {
                throw new IllegalArgumentException("handsets[" + i + "].call must be answered, busy, no-answer or failed");
            }
            if (handset.smsFailStat() != null && !Set.of("UNDELIV", "EXPIRED", "REJECTD", "DELETED", "UNKNOWN")
                    .contains(handset.smsFailStat())) {
                throw new IllegalArgumentException("handsets[" + i + "].smsFailStat must be UNDELIV, EXPIRED, REJECTD, DELETED or UNKNOWN");
            }
        }
    }

    /** The rule for a recipient; a number no rule matches behaves like a handset that is delivered and read. */
    public Handset forRecipient(String e164) {
        return handsets.stream().filter(h -> h.matches(e164)).findFirst()
                .orElse(new Handset("*", "default", true, 100L, 300L, 1000L, null, null, null, null, null, null, null, null,
                        true, null, 300L, null, null, null, null, "answered", 400L, 5));
    }

    /** Reads the rules from a file (or a {@code classpath:} resource), or Reach's shipped rules when {@code file} is blank. */
    public static HandsetRules load(String file) {
        try {
            if (file == null || file.isBlank() || file.startsWith("classpath:")) {
                String resource = file == null || file.isBlank() ? DEFAULT_RESOURCE : file.substring("classpath:".length());
                try (InputStream in = HandsetRules.class.getClassLoader().getResourceAsStream(resource)) {
                    if (in == null) {
                        throw SandboxCannotStart.rulesNotUsable(file, "are not on the class path", null);
                    }
                    return YAML.readValue(in, HandsetRules.class);
                }
            }
            try (InputStream in = Files.newInputStream(Path.of(file))) {
                return YAML.readValue(in, HandsetRules.class);
            }
        } catch (IOException e) {
            throw SandboxCannotStart.rulesNotUsable(file, e instanceof NoSuchFileException ? "do not exist"
                    : "cannot be read (" + e + ")", e);
        } catch (JacksonException e) {
            // A key or a value in the wrong place is named by its path (handsets[2].readAfter), YAML that does not parse
            // by where the parser stopped.
            TokenStreamLocation at = e.getLocation();
            throw SandboxCannotStart.rulesNotUsable(file == null || file.isBlank() ? DEFAULT_RESOURCE : file,
                    e instanceof StreamReadException
                            ? "are not valid YAML: " + e.getOriginalMessage().lines().findFirst().orElse("")
                            + (at == null || at.getLineNr() < 1 ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")")
                            : "are not valid: " + JsonProblem.of(e).describe(), e);
        }
    }
}
