package io.reach.sandbox;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns a sandbox that cannot start into Spring Boot's "APPLICATION FAILED TO START" report, with what to do,
 * instead of a stack trace: a second {@code ./mvnw spring-boot:run} on another {@code SERVER_PORT} meets the first
 * one's sandbox on its ports; a rules file may hold a misspelt key.
 */
class SandboxCannotStartAnalyzer extends AbstractFailureAnalyzer<SandboxCannotStart> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, SandboxCannotStart failure) {
        return new FailureAnalysis(failure.getMessage(), failure.action(), failure);
    }
}
