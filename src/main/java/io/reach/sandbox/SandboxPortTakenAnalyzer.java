package io.reach.sandbox;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns a sandbox port held by another process into Spring Boot's "APPLICATION FAILED TO START" report, with what to
 * do, instead of a stack trace: a second {@code ./mvnw spring-boot:run} on another {@code SERVER_PORT} meets the
 * first one's sandbox there.
 */
class SandboxPortTakenAnalyzer extends AbstractFailureAnalyzer<SandboxPortTaken> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, SandboxPortTaken taken) {
        Throwable cause = taken.getCause();
        String why = cause instanceof java.net.BindException && cause.getMessage() != null && cause.getMessage().contains("in use")
                ? "another process holds it (another Reach, started earlier with its own sandbox?)"
                : String.valueOf(cause == null || cause.getMessage() == null ? cause : cause.getMessage());
        return new FailureAnalysis(
                "The sandbox network's " + taken.server() + " cannot listen on port " + taken.port() + ": " + why + ".",
                "Stop that process; or give the sandbox's " + taken.server() + " another port: set "
                        + taken.property() + " (environment: " + taken.environmentVariable()
                        + ") to a free port, or to 0 for any free one; or, if this Reach should run no sandbox,"
                        + " set reach.sandbox.enabled=false (REACH_SANDBOX_ENABLED=false).",
                taken);
    }
}
