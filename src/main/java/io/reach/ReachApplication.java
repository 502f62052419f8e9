package io.reach;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.scheduling.annotation.EnableScheduling;

/** Entry point of Reach: the API, the engine and (by default) the sandbox network in one process. */
@SpringBootApplication
@ConfigurationPropertiesScan
@EnableScheduling
public class ReachApplication {

    public static void main(String[] args) {
        SpringApplication.run(ReachApplication.class, args);
    }
}
