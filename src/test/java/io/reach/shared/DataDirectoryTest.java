package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.mock.env.MockPropertySource;

class DataDirectoryTest {

    private final String workingDirectory = Path.of("").toAbsolutePath().toString();

    @Test
    void makesABareRelativeDirectoryAbsoluteAgainstTheWorkingDirectory() {
        assertThat(DataDirectory.absolute("mydata", "/home/ann")).isEqualTo(workingDirectory + "/mydata");
        assertThat(DataDirectory.absolute("./data/../other/", "/home/ann")).isEqualTo(workingDirectory + "/other");
    }

    @Test
    void readsATildeAsTheHomeDirectoryAsAShellWould() {
        assertThat(DataDirectory.absolute("~/reach", "/home/ann")).isEqualTo("/home/ann/reach");
        assertThat(DataDirectory.absolute("~", "/home/ann")).isEqualTo("/home/ann");
    }

    @Test
    void leavesAnAbsoluteDirectoryAsItIs() {
        assertThat(DataDirectory.absolute("/var/lib/reach", "/home/ann")).isEqualTo("/var/lib/reach");
    }

    @Test
    void theDatabaseUrlThatReadsTheDirectorySeesTheAbsolutePath() {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addLast(new MockPropertySource()
                .withProperty("reach.data-dir", "mydata")
                .withProperty("spring.datasource.url", "jdbc:h2:file:${reach.data-dir}/reach;AUTO_SERVER=FALSE"));

        new DataDirectory().postProcessEnvironment(environment, new SpringApplication());

        assertThat(environment.getProperty("spring.datasource.url"))
                .isEqualTo("jdbc:h2:file:" + workingDirectory + "/mydata/reach;AUTO_SERVER=FALSE");
    }
}
