package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.reach.support.ReachNode;
import java.net.ConnectException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.h2.Driver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** A Reach that cannot reach its database as it starts says which database, why, and what to look at. */
@ExtendWith(OutputCaptureExtension.class)
class DatabaseAtStartIT {

    @Test
    void aPostgreSqlThatRefusesTheConnectionStopsTheStartNamingItsAddressAndTheSettings(CapturedOutput output) {
        int closed = ReachNode.freePort();
        String url = "jdbc:postgresql://127.0.0.1:" + closed + "/reach?password=secret-in-url";

        Throwable failed = catchThrowable(() -> ReachNode.start("no-database", Map.of("spring.datasource.url", url,
                "spring.datasource.username", "reach", "spring.datasource.password", "secret-password"), Map.of()).close());

        assertThat(failed).hasRootCauseInstanceOf(ConnectException.class);
        assertThat(output.getAll()).contains("APPLICATION FAILED TO START")
                .contains("Reach cannot connect to its database at jdbc:postgresql://127.0.0.1:" + closed
                        + "/reach?password=*** as user 'reach': Connection to 127.0.0.1:" + closed + " refused")
                .contains("REACH_DB_URL, REACH_DB_USER and REACH_DB_PASSWORD")
                .doesNotContain("secret-in-url").doesNotContain("secret-password");
    }

    @Test
    void anH2FileThatAnotherProcessHoldsStopsTheStartNamingTheDataDirectory(CapturedOutput output) throws Exception {
        Path dataDir = Files.createDirectories(Path.of("target", "test-data", UUID.randomUUID().toString()));
        String url = "jdbc:h2:file:" + dataDir.toAbsolutePath() + "/reach;AUTO_SERVER=FALSE;DB_CLOSE_ON_EXIT=FALSE";
        // As another process would: an H2 of its own (its own class loader, so not this JVM's H2, which would share the
        // open database) holds the file's lock.
        URL h2 = Driver.class.getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader elsewhere = new URLClassLoader(new URL[] {h2}, ClassLoader.getPlatformClassLoader());
             Connection other = ((java.sql.Driver) elsewhere.loadClass("org.h2.Driver").getDeclaredConstructor().newInstance())
                     .connect(url, credentials())) {
            assertThat(other.isValid(1)).isTrue();
            Throwable failed = catchThrowable(() -> ReachNode.start("h2-in-use", Map.of("spring.datasource.url", url,
                    "spring.datasource.username", "sa", "spring.datasource.password", "",
                    "reach.data-dir", dataDir.toString()), Map.of()).close());

            assertThat(failed).isNotNull();
            assertThat(output.getAll()).contains("APPLICATION FAILED TO START")
                    .contains("Reach cannot open its H2 database (" + url)
                    .contains("another process has its file open")
                    .contains("set reach.data-dir (environment: REACH_DATA_DIR)");
        }
    }

    private static Properties credentials() {
        Properties credentials = new Properties();
        credentials.setProperty("user", "sa");
        credentials.setProperty("password", "");
        return credentials;
    }

    @Test
    void hidesAPasswordTheUrlCarries() {
        assertThat(DatabaseUnreachableAtStartAnalyzer.withoutPassword("jdbc:postgresql://db/reach?user=a&password=b&ssl=true"))
                .isEqualTo("jdbc:postgresql://db/reach?user=a&password=***&ssl=true");
        assertThat(DatabaseUnreachableAtStartAnalyzer.withoutPassword("jdbc:h2:file:./data/reach;PASSWORD=x;A=1"))
                .isEqualTo("jdbc:h2:file:./data/reach;PASSWORD=***;A=1");
    }
}
