package io.reach.shared;

import java.nio.file.Path;
import java.util.Map;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/** Makes {@code reach.data-dir} an absolute path before anything reads it, however the user wrote it. */
public class DataDirectory implements EnvironmentPostProcessor, Ordered {

    static final String KEY = "reach.data-dir";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        String configured = environment.getProperty(KEY);
        if (configured == null || configured.isBlank()) {
            return;
        }
        // H2 refuses a bare relative file path such as "mydata/reach" ("use an absolute path, ~/name, ./name"),
        // and the other users of the directory would read it against whatever the working directory is.
        environment.getPropertySources().addFirst(
                new MapPropertySource("reachDataDirectory", Map.of(KEY, absolute(configured, System.getProperty("user.home")))));
    }

    static String absolute(String configured, String home) {
        String path = configured.strip();
        if (path.equals("~") || path.startsWith("~/")) {
            path = home + path.substring(1);
        }
        return Path.of(path).toAbsolutePath().normalize().toString();
    }

    @Override
    public int getOrder() {
        return ConfigDataEnvironmentPostProcessor.ORDER + 1;
    }
}
