package io.reach.shared;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.web.server.PortInUseException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Reach's HTTP port is taken: says so in Reach's words, with the setting that moves it (Spring Boot's own report only
 * says to "configure this application to listen on another port"). Ahead of Spring Boot's analyzer of the same failure.
 */
@Order(Ordered.HIGHEST_PRECEDENCE)
class HttpPortInUseAnalyzer extends AbstractFailureAnalyzer<PortInUseException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, PortInUseException failure) {
        return new FailureAnalysis("Reach cannot listen on port " + failure.getPort() + ": another process holds it"
                + " (another Reach, started earlier?).",
                "Stop that process, or start Reach on a free port: SERVER_PORT=8081 ./mvnw spring-boot:run (with the jar:"
                        + " java -jar target/reach-….jar --server.port=8081). The sandbox network sends its webhooks to"
                        + " whichever port Reach listens on.", failure);
    }
}
