package io.reach.support;

import io.reach.ReachApplication;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Reach started in a JVM of its own, from its classes and libraries (not the tests': their configurations would join
 * the component scan), for a test or a benchmark that kills it, or reads its CPU apart.
 */
public final class ReachCommand {

    private ReachCommand() {}

    /** The command line: this JVM's {@code java}, {@code jvmOptions}, Reach's main class and each setting as an argument. */
    public static List<String> of(List<String> jvmOptions, Map<String, String> settings) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classPath(), ReachApplication.class.getName()));
        // As arguments: they then win over application.yml, as a user's --server.port would.
        settings.forEach((key, value) -> command.add("--" + key + "=" + value));
        return command;
    }

    /** Starts the command of {@link #of}, its output (both streams) going to {@code log}. */
    public static Process start(List<String> jvmOptions, Map<String, String> settings, Path log) throws IOException {
        Files.createDirectories(log.toAbsolutePath().getParent());
        return new ProcessBuilder(of(jvmOptions, settings)).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
    }

    private static String classPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.endsWith("test-classes") && !entry.endsWith("test-classes" + File.separator))
                .reduce((a, b) -> a + File.pathSeparator + b).orElseThrow();
    }
}
